#include "sinks/common/event_format.h"

#include <cstdint>

namespace sluice::sinks {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_unicode_escape(std::string& out, uint8_t byte) {
  out += "\\u00";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xF];
}

// Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes there are not one.
size_t utf8_sequence_length(const uint8_t* p, size_t available) {
  uint8_t b = p[0];
  size_t n;
  uint32_t min;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) { n = 2; min = 0x80; }
  else if ((b & 0xF0) == 0xE0) { n = 3; min = 0x800; }
  else if ((b & 0xF8) == 0xF0) { n = 4; min = 0x10000; }
  else return 0;
  if (n > available) return 0;
  uint32_t cp = b & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

void append_json_string_body(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t size = text.size();
  for (size_t i = 0; i < size;) {
    uint8_t c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      // Copy a run of plain ASCII at once.
      size_t j = i + 1;
      while (j < size && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\') ++j;
      out.append(text.data() + i, j - i);
      i = j;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      append_unicode_escape(out, c);
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(p + i, size - i);
    if (n == 0) {
      append_unicode_escape(out, c);
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
}

void append_line(std::string& out, const ringbuf::EventView& event, LineFormat format) {
  switch (format) {
    case LineFormat::text:
      out += event.body();
      break;
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
      event.for_each_header([&](std::string_view key, std::string_view value) {
        if (!first) out += ',';
        first = false;
        out += '"';
        append_json_string_body(out, key);
        out += "\":\"";
        append_json_string_body(out, value);
        out += '"';
      });
      out += "},\"body\":\"";
      append_json_string_body(out, event.body());
      out += "\"}";
      break;
    }
  }
  out += '\n';
}

}  // namespace sluice::sinks
