#include "ringbuf/segment_file.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/bytes.h"
#include "ringbuf/crc32c.h"

namespace sluice::ringbuf {
namespace {}  // namespace

void encode_segment_header(const SegmentHeader& h, std::byte* out) {
  std::memset(out, 0, kSegmentHeaderBytes);
  std::memcpy(out, kSegmentMagic, 8);
  base::store_le<uint32_t>(out + 8, h.version);
  base::store_le<uint32_t>(out + 12, kSegmentHeaderBytes);
  base::store_le<uint64_t>(out + 16, h.segment_bytes);
  base::store_le<uint64_t>(out + 24, h.index);
  base::store_le<uint64_t>(out + 32, h.first_sequence);
  base::store_le<int64_t>(out + 40, h.created_ms);
  base::store_le<uint32_t>(out + 60, crc32c(out, 60));
}

SegmentHeaderCheck decode_segment_header(const std::byte* data, SegmentHeader& out) {
  if (std::memcmp(data, kSegmentMagic, 8) != 0) return SegmentHeaderCheck::not_a_segment;
  if (crc32c(data, 60) != base::load_le<uint32_t>(data + 60)) return SegmentHeaderCheck::bad_crc;
  out.version = base::load_le<uint32_t>(data + 8);
  out.segment_bytes = base::load_le<uint64_t>(data + 16);
  out.index = base::load_le<uint64_t>(data + 24);
  out.first_sequence = base::load_le<uint64_t>(data + 32);
  out.created_ms = base::load_le<int64_t>(data + 40);
  if (out.version != kSegmentFormatVersion || base::load_le<uint32_t>(data + 12) != kSegmentHeaderBytes)
    return SegmentHeaderCheck::other_version;
  return SegmentHeaderCheck::ok;
}

std::string segment_file_name(uint64_t index) { return fmt::format("seg-{:020}.wal", index); }

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  constexpr std::string_view prefix = "seg-", suffix = ".wal";
  if (name.size() != prefix.size() + 20 + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
    return std::nullopt;
  std::string_view digits = name.substr(prefix.size(), 20);
  uint64_t index = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return index;
}

}  // namespace sluice::ringbuf
