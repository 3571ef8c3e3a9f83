// UTF-8 validation and repair for the sinks that write formats which must be UTF-8 (the JSON
// serializers of file_roll and HDFS, the header strings of HDFS Avro container files, the Kafka
// sink's dead-letter lines). One rule everywhere, so that what a reader sees never depends on
// the sink:
//
//   Valid UTF-8 (Unicode 15, table 3-7: no overlong forms, no surrogates D800..DFFF, nothing
//   above U+10FFFF) passes unchanged. Every *maximal subpart* of an ill-formed sequence becomes
//   one U+FFFD (EF BF BD), as the Unicode standard (3.9, "U+FFFD substitution of maximal
//   subparts") and the WHATWG Encoding standard's decoder have it: a lead byte followed by the
//   continuation bytes that could still have completed it is one subpart; a byte that cannot
//   start a sequence is a subpart of its own. So "\xF0\x9F\x98" (truncated) is one U+FFFD,
//   "\xC0\xAF" (overlong) two, "\xED\xA0\x80" (a surrogate) three, and a raw 0xFF one, which a
//   reader tells apart from a real "ÿ" (C3 BF), passed through unchanged.
//
// The JSON writer (append_json_string_body() in event_format.h) applies this rule one utf8_step()
// at a time. Pure functions, any thread; nothing allocates but append_utf8_replacing_invalid(). is_valid_utf8() skips
// ASCII eight bytes at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::sinks {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// One step of the decoder at the start of `bytes` (not empty): `length` bytes (1-4) form either
// one valid scalar value (`valid`) or one maximal ill-formed subpart, to be replaced by U+FFFD.
struct Utf8Step {
  uint32_t length = 1;
  bool valid = true;
};
Utf8Step utf8_step(const uint8_t* bytes, size_t available);

// How many bytes at the start of `text` are ASCII (below 0x80).
size_t ascii_prefix_length(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Appends `text` with each maximal ill-formed subpart replaced by U+FFFD (the rule above): the
// Avro file writer's header strings. Allocates only as `out` grows.
void append_utf8_replacing_invalid(std::string& out, std::string_view text);

}  // namespace sluice::sinks
