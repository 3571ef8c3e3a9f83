#include "sinks/common/utf8.h"

#include <cstring>

namespace sluice::sinks {

Utf8Step utf8_step(const uint8_t* p, size_t available) {
  const uint8_t lead = p[0];
  if (lead < 0x80) return {1, true};
  // Table 3-7 of the Unicode standard: the lead byte fixes how many continuation bytes follow
  // and narrows the range of the first of them (which is what rules out overlong forms,
  // surrogates and values above U+10FFFF); later ones are always 80..BF.
  uint32_t continuation_bytes;
  uint8_t lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation_bytes = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation_bytes = 2;
    if (lead == 0xE0) lo = 0xA0;       // below: overlong
    else if (lead == 0xED) hi = 0x9F;  // above: surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation_bytes = 3;
    if (lead == 0xF0) lo = 0x90;       // below: overlong
    else if (lead == 0xF4) hi = 0x8F;  // above: beyond U+10FFFF
  } else {
    return {1, false};  // 80..BF (a stray continuation), C0, C1 (always overlong), F5..FF
  }
  for (uint32_t i = 1; i <= continuation_bytes; ++i) {
    // The subpart ends before the first byte that could not continue the sequence.
    if (i >= available || p[i] < lo || p[i] > hi) return {i, false};
    lo = 0x80;
    hi = 0xBF;
  }
  return {continuation_bytes + 1, true};
}

size_t ascii_prefix_length(std::string_view text) {
  const char* p = text.data();
  const size_t size = text.size();
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < size && static_cast<uint8_t>(p[i]) < 0x80) ++i;
  return i;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    i += ascii_prefix_length(text.substr(i));
    if (i == text.size()) break;
    Utf8Step step = utf8_step(p + i, text.size() - i);
    if (!step.valid) return false;
    i += step.length;
  }
  return true;
}

void append_utf8_replacing_invalid(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    const size_t ascii = ascii_prefix_length(text.substr(i));
    out.append(text.data() + i, ascii);
    i += ascii;
    if (i == text.size()) break;
    Utf8Step step = utf8_step(p + i, text.size() - i);
    if (step.valid) out.append(text.data() + i, step.length);
    else out += kReplacementCharacter;
    i += step.length;
  }
}

}  // namespace sluice::sinks
