#include "ringbuf/segment_file.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "ringbuf/crc32c.h"

namespace sluice::ringbuf {
namespace {

template <typename T>
void store(std::byte* p, T v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

void encode_segment_header(const SegmentHeader& h, std::byte* out) {
  std::memset(out, 0, kSegmentHeaderBytes);
  std::memcpy(out, kSegmentMagic, 8);
  store<uint32_t>(out + 8, h.version);
  store<uint32_t>(out + 12, kSegmentHeaderBytes);
  store<uint64_t>(out + 16, h.segment_bytes);
  store<uint64_t>(out + 24, h.index);
  store<uint64_t>(out + 32, h.first_sequence);
  store<int64_t>(out + 40, h.created_ms);
  store<uint32_t>(out + 60, crc32c(out, 60));
}

SegmentHeaderCheck decode_segment_header(const std::byte* data, SegmentHeader& out) {
  if (std::memcmp(data, kSegmentMagic, 8) != 0) return SegmentHeaderCheck::not_a_segment;
  if (crc32c(data, 60) != load<uint32_t>(data + 60)) return SegmentHeaderCheck::bad_crc;
  out.version = load<uint32_t>(data + 8);
  out.segment_bytes = load<uint64_t>(data + 16);
  out.index = load<uint64_t>(data + 24);
  out.first_sequence = load<uint64_t>(data + 32);
  out.created_ms = load<int64_t>(data + 40);
  if (out.version != kSegmentFormatVersion || load<uint32_t>(data + 12) != kSegmentHeaderBytes)
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
