// Compressed request bodies whose sequence numbers can still be patched in place.
//
// Deflate output normally depends on every byte before it, so changing one digit means
// compressing the whole request again, which would make a gzip or deflate client slower than
// the server it measures. Here the bytes that change (the "fields": sequence numbers, a frame
// serial) are written as stored blocks, which hold their bytes verbatim, and everything
// between them is compressed in pieces that each end with a full flush (Z_FULL_FLUSH: the
// compressor forgets its history, so no later piece refers back to earlier bytes, the patched
// ones included). The result is ordinary deflate data that any inflater reads; patching a field
// in it is patching the same bytes in the plain text. Fields closer than `join_gap` bytes share
// one stored block, since a tiny compressed piece costs more than it saves.
//
// The output starts byte-aligned, reads without any history before it (so it can start a
// stream or continue one at any flush point) and ends byte-aligned with no final block: the
// caller ends the stream (final_stored_block()) or sends more after it.
//
// Threads: pure functions, any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::bench {

struct ByteRange {
  size_t begin = 0;
  size_t end = 0;  // one past the last byte
};

struct PatchableDeflateOptions {
  int level = 6;  // zlib's default, and Flume's compression-level default
  // Fields with fewer bytes than this between them share a stored block.
  size_t join_gap = 64;
};

// Appends the deflate data of `plain` to `out` and, for every field, the offset in `out`
// where its bytes lie (wire_offsets[i] for fields[i]). `fields` must be sorted, disjoint and
// inside `plain`. An error only when zlib cannot start (out of memory).
Status deflate_patchable(std::string_view plain, std::span<const ByteRange> fields,
                         const PatchableDeflateOptions& options, std::string& out, std::vector<size_t>& wire_offsets);

// Appends a non-final stored block holding `bytes` (split at 65,535 bytes) and returns the
// offset of its first data byte. The stream must be byte-aligned here.
size_t append_stored_block(std::string_view bytes, std::string& out);
// Appends an empty final stored block: the end of deflate data.
void append_final_stored_block(std::string& out);

}  // namespace sluice::bench
