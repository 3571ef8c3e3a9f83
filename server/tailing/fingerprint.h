// What tells two files apart when their inode is not enough: a CRC32C of a file's first bytes
// (at most kFingerprintBytes). An inode is reused once its file is deleted, and a copy
// (copytruncate) has a new inode but the same first bytes; the pair (inode, fingerprint) keys
// a tailed file, and a fingerprint alone recognises content seen before under another name.
//
// Pure functions and blocking pread(2) of at most kFingerprintBytes (page cache, start-up and
// rotation only, never per event): any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::tailing {

inline constexpr uint32_t kFingerprintBytes = 256;

struct Fingerprint {
  uint32_t bytes = 0;  // how many first bytes it covers (fewer than kFingerprintBytes: a short file)
  uint32_t crc = 0;    // CRC32C of them

  bool operator==(const Fingerprint&) const = default;
  // A fingerprint of no bytes says nothing: any file may be the one it was taken from.
  bool empty() const { return bytes == 0; }
  // Whether it can still grow: taken when the file was shorter than kFingerprintBytes.
  bool partial() const { return bytes < kFingerprintBytes; }
};

// Of `data`'s first bytes (at most kFingerprintBytes of them).
Fingerprint fingerprint_of(std::string_view data);

// Of the first min(size, `bytes`) bytes of the open file `fd`; an error if it cannot be read.
Result<Fingerprint> read_fingerprint(int fd, uint32_t bytes = kFingerprintBytes);

// True when the file `fd` starts with the bytes `fingerprint` was taken of (an empty
// fingerprint always matches). A file shorter than them does not match.
Result<bool> starts_like(int fd, const Fingerprint& fingerprint);

// "256:1a2b3c4d", as the position file keeps it; parse_fingerprint is its inverse.
std::string format_fingerprint(const Fingerprint& fingerprint);
Result<Fingerprint> parse_fingerprint(std::string_view text);

}  // namespace sluice::tailing
