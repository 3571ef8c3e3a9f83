// The text inputs of `sluice-bench verify`: files with one event per line, as the file_roll
// sink and the HDFS sink's DataStream text write them, plain or compressed. The format is told
// by the first bytes, not the name: gzip (1f 8b; concatenated members, as a stream flushed
// per batch writes them, are read one after another) and zstd (28 b5 2f fd; any number of
// frames); anything else is plain text.
//
// Threads: any thread; nothing is shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::bench {

// A line longer than this is handed on in pieces of at most this size (each piece then counts
// as an event of its own). sluice-bench's own events are at most 1 MiB.
inline constexpr size_t kLineBytesMax = 4u << 20;
// Bytes read (and decompressed) per step.
inline constexpr size_t kReadChunkBytes = 1u << 20;

enum class TextEncoding : uint8_t { plain, gzip, zstd };
std::string_view text_encoding_name(TextEncoding encoding);

// The files behind `paths`: a file as given; a directory's files, recursively, in name order,
// leaving out names ending in ".tmp" (files a sink is still writing) unless `include_in_use`.
// An error for a path that does not exist or cannot be listed.
Result<std::vector<std::string>> list_text_inputs(std::span<const std::string> paths, bool include_in_use);

struct TextFileResult {
  TextEncoding encoding = TextEncoding::plain;
  uint64_t lines = 0;
  // The compressed data stopped in the middle of a stream: everything before it was read (a
  // file still being written looks like this).
  bool truncated = false;
};

// Calls `on_line` with every line of the file, decompressed, without its '\n' (a last line
// without one counts too). An error when the file cannot be read or is corrupt; lines before
// the error have been handed on.
Result<TextFileResult> read_text_events(const std::string& path, const std::function<void(std::string_view)>& on_line);

}  // namespace sluice::bench
