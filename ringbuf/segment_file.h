// The file form of a segment: a 64-byte header, then records (record.h) from byte 64 on. Part
// of the on-disk format of durable channels; change only with kSegmentFormatVersion.
//
//   offset size field
//   0      8    magic "SLUICEWL"
//   8      4    format version (kSegmentFormatVersion)
//   12     4    header bytes (64)
//   16     8    segment bytes (the whole file)
//   24     8    segment index (also in the file name)
//   32     8    first sequence: the sequence the segment's first record has (or will have)
//   40     8    created, ms since the epoch (informational)
//   48     12   reserved, zero
//   60     4    CRC32C of bytes [0, 60)
//
// Pure functions: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::ringbuf {

inline constexpr uint32_t kSegmentFormatVersion = 1;
inline constexpr uint32_t kSegmentHeaderBytes = 64;
inline constexpr char kSegmentMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'W', 'L'};

struct SegmentHeader {
  uint32_t version = kSegmentFormatVersion;
  uint64_t segment_bytes = 0;
  uint64_t index = 0;
  uint64_t first_sequence = 0;
  int64_t created_ms = 0;
};

void encode_segment_header(const SegmentHeader& header, std::byte* out);

enum class SegmentHeaderCheck { ok, not_a_segment, bad_crc, other_version };

// Reads the header at `data` (kSegmentHeaderBytes). `out` is filled for ok and other_version.
SegmentHeaderCheck decode_segment_header(const std::byte* data, SegmentHeader& out);

// "seg-00000000000000000042.wal" for index 42; spare (reusable) files are "spare-N.wal".
std::string segment_file_name(uint64_t index);
std::optional<uint64_t> parse_segment_file_name(std::string_view name);

}  // namespace sluice::ringbuf
