#include "protocols/avro/avro_binary.h"

#include <limits>

namespace sluice::avro {

std::string_view errc_reason(errc code) {
  switch (code) {
    case errc::ok: return "ok";
    case errc::truncated: return "input ends inside a value";
    case errc::varint_too_long: return "varint longer than 10 bytes";
    case errc::int_out_of_range: return "int outside 32 bits";
    case errc::bad_boolean: return "boolean byte not 0 or 1";
    case errc::negative_length: return "negative length";
    case errc::length_over_limit: return "string or bytes longer than the limit";
    case errc::items_over_limit: return "array or map with more items than the limit";
    case errc::total_over_limit: return "more array and map items than the limit";
    case errc::bad_block_size: return "array or map block size does not match";
    case errc::bad_union_index: return "union index out of range";
    case errc::bad_enum: return "enum index out of range";
    case errc::bad_value: return "value not allowed by the schema";
    case errc::trailing_bytes: return "bytes after the end of the message";
    case errc::key_over_limit: return "header key longer than 32767 bytes";
  }
  return "unknown error";
}

bool Reader::fail(errc code) {
  if (error_ == errc::ok) error_ = code;
  p_ = end_;  // nothing more is read from a failed input
  return false;
}

bool Reader::read_long(int64_t& out) {
  if (!ok()) return false;
  uint64_t value = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (p_ == end_) return fail(errc::truncated);
    const auto byte = static_cast<uint8_t>(*p_++);
    // The 10th byte may only carry bit 63.
    if (shift == 63 && (byte & 0x7E) != 0) return fail(errc::varint_too_long);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      out = static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
      return true;
    }
  }
  return fail(errc::varint_too_long);
}

bool Reader::read_int(int32_t& out) {
  int64_t value = 0;
  if (!read_long(value)) return false;
  if (value < std::numeric_limits<int32_t>::min() || value > std::numeric_limits<int32_t>::max())
    return fail(errc::int_out_of_range);
  out = static_cast<int32_t>(value);
  return true;
}

bool Reader::read_boolean(bool& out) {
  if (!ok()) return false;
  if (p_ == end_) return fail(errc::truncated);
  const auto byte = static_cast<uint8_t>(*p_);
  if (byte > 1) return fail(errc::bad_boolean);
  ++p_;
  out = byte == 1;
  return true;
}

bool Reader::read_bytes(std::string_view& out) {
  int64_t length = 0;
  if (!read_long(length)) return false;
  if (length < 0) return fail(errc::negative_length);
  if (static_cast<uint64_t>(length) > limits_.length_bytes_max) return fail(errc::length_over_limit);
  if (static_cast<uint64_t>(length) > remaining()) return fail(errc::truncated);
  out = std::string_view(p_, static_cast<size_t>(length));
  p_ += length;
  return true;
}

bool Reader::read_fixed(size_t size, std::string_view& out) {
  if (!ok()) return false;
  if (size > remaining()) return fail(errc::truncated);
  out = std::string_view(p_, size);
  p_ += size;
  return true;
}

bool Reader::read_enum(uint32_t symbol_count, uint32_t& out) {
  int64_t index = 0;
  if (!read_long(index)) return false;
  if (index < 0 || index >= static_cast<int64_t>(symbol_count)) return fail(errc::bad_enum);
  out = static_cast<uint32_t>(index);
  return true;
}

bool Reader::read_union_index(uint32_t branch_count, uint32_t& out) {
  int64_t index = 0;
  if (!read_long(index)) return false;
  if (index < 0 || index >= static_cast<int64_t>(branch_count)) return fail(errc::bad_union_index);
  out = static_cast<uint32_t>(index);
  return true;
}

bool Reader::read_block(size_t item_bytes_min, Block& block) {
  int64_t count = 0;
  if (!read_long(count)) return false;
  block.end = nullptr;
  if (count == 0) {
    block.count = 0;
    return true;
  }
  if (count < 0) {
    // -2^63 has no positive counterpart: no real writer produces it.
    if (count == std::numeric_limits<int64_t>::min()) return fail(errc::items_over_limit);
    count = -count;
    int64_t size = 0;
    if (!read_long(size)) return false;
    if (size < 0 || static_cast<uint64_t>(size) > remaining()) return fail(errc::bad_block_size);
    block.end = p_ + size;
  }
  const auto n = static_cast<uint64_t>(count);
  if (n > limits_.items_max || block.items_total + n > limits_.items_max) return fail(errc::items_over_limit);
  if (n > limits_.total_items_max || total_items_ + n > limits_.total_items_max) return fail(errc::total_over_limit);
  // Every item takes at least item_bytes_min bytes: a count the input cannot hold is a lie,
  // caught before a caller sizes anything by it.
  const size_t limit_end = block.end ? static_cast<size_t>(block.end - p_) : remaining();
  if (item_bytes_min > 0 && n > limit_end / item_bytes_min) return fail(errc::truncated);
  block.count = static_cast<size_t>(n);
  block.items_total += block.count;
  total_items_ += block.count;
  return true;
}

bool Reader::end_block(const Block& block) {
  if (!ok()) return false;
  if (block.end != nullptr && p_ != block.end) return fail(errc::bad_block_size);
  return true;
}

bool Reader::skip(size_t n) {
  if (!ok()) return false;
  if (n > remaining()) return fail(errc::truncated);
  p_ += n;
  return true;
}

bool Reader::expect_end() {
  if (!ok()) return false;
  if (p_ != end_) return fail(errc::trailing_bytes);
  return true;
}

size_t encode_long(int64_t value, char* out) {
  auto zigzag = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  size_t n = 0;
  while (zigzag >= 0x80) {
    out[n++] = static_cast<char>((zigzag & 0x7F) | 0x80);
    zigzag >>= 7;
  }
  out[n++] = static_cast<char>(zigzag);
  return n;
}

void Writer::write_long(int64_t value) {
  char buffer[10];
  out_.append(buffer, encode_long(value, buffer));
}

void Writer::write_bytes(std::string_view value) {
  write_long(static_cast<int64_t>(value.size()));
  out_.append(value);
}

}  // namespace sluice::avro
