#include "sinks/common/event_format.h"

#include <cstdint>

#include "sinks/common/utf8.h"

namespace sluice::sinks {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_unicode_escape(std::string& out, uint8_t byte) {
  out += "\\u00";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xF];
}

// Bytes JSON lets stand in a string unescaped, as far as a single byte tells.
bool plain_ascii(uint8_t c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

}  // namespace

size_t append_json_string_body(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t size = text.size();
  size_t replaced = 0;
  for (size_t i = 0; i < size;) {
    uint8_t c = p[i];
    if (plain_ascii(c)) {
      // Copy a run of plain ASCII at once.
      size_t j = i + 1;
      while (j < size && plain_ascii(p[j])) ++j;
      out.append(text.data() + i, j - i);
      i = j;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      default: break;
    }
    if (c < 0x20) {
      append_unicode_escape(out, c);
      ++i;
      continue;
    }
    Utf8Step step = utf8_step(p + i, size - i);
    if (step.valid) {
      out.append(text.data() + i, step.length);
    } else {
      out.append(kReplacementCharacter);
      ++replaced;
    }
    i += step.length;
  }
  return replaced;
}

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t size = bytes.size();
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
    out.append(quad, 4);
  }
  if (size - i == 1) {
    const uint32_t v = uint32_t{p[i]} << 16;
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
    out.append(quad, 4);
  } else if (size - i == 2) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
    out.append(quad, 4);
  }
}

bool append_line(std::string& out, const ringbuf::EventView& event, LineFormat format, InvalidUtf8 invalid_utf8) {
  bool invalid = false;
  switch (format) {
    case LineFormat::text: out += event.body(); break;
    case LineFormat::header_and_text: {
      out += '{';
      bool first = true;
      event.for_each_header([&](std::string_view key, std::string_view value) {
        if (!first) out += ", ";
        first = false;
        out += key;
        out += '=';
        out += value;
      });
      out += "} ";
      out += event.body();
      break;
    }
    case LineFormat::json: {
      out += "{\"headers\":{";
      bool first = true;
      size_t replaced = 0;
      event.for_each_header([&](std::string_view key, std::string_view value) {
        if (!first) out += ',';
        first = false;
        out += '"';
        replaced += append_json_string_body(out, key);
        out += "\":\"";
        replaced += append_json_string_body(out, value);
        out += '"';
      });
      // The extra pass over the body is only paid in base64 mode, and stops at the first
      // invalid byte.
      if (invalid_utf8 == InvalidUtf8::base64 && !is_valid_utf8(event.body())) {
        out += "},\"bodyBase64\":\"";
        append_base64(out, event.body());
        invalid = true;
      } else {
        out += "},\"body\":\"";
        replaced += append_json_string_body(out, event.body());
      }
      out += "\"}";
      invalid = invalid || replaced > 0;
      break;
    }
  }
  out += '\n';
  return invalid;
}

}  // namespace sluice::sinks
