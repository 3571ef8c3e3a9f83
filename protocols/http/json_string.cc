#include <cstdint>
#include <cstring>

#include "protocols/http/json_events.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::http::detail {

namespace {

// The first '"' or '\\' at or after p. The string's closing quote lies before the end of the
// input, which is followed by kBodyPaddingBytes readable bytes: 16-byte loads never leave it.
inline const char* find_quote_or_backslash(const char* p) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (;;) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#else
  while (*p != '"' && *p != '\\') ++p;
  return p;
#endif
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p; -1 when they are not.
int32_t hex4(const char* p) {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

char* put_utf8(char* d, uint32_t cp) {
  if (cp < 0x80) {
    *d++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *d++ = static_cast<char>(0xC0 | (cp >> 6));
    *d++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *d++ = static_cast<char>(0xE0 | (cp >> 12));
    *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *d++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *d++ = static_cast<char>(0xF0 | (cp >> 18));
    *d++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *d++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return d;
}

}  // namespace

bool is_json_number(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  auto digit = [&] { return p < end && *p >= '0' && *p <= '9'; };
  if (p < end && *p == '-') ++p;
  if (!digit()) return false;
  if (*p == '0') {
    ++p;
  } else {
    while (digit()) ++p;
  }
  if (p < end && *p == '.') {
    ++p;
    if (!digit()) return false;
    while (digit()) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (!digit()) return false;
    while (digit()) ++p;
  }
  return p == end;
}

const char* read_json_string(const char* p, EventBuilder& out, std::string_view& value, const char*& error_at,
                             std::string_view& error) {
  const char* const start = p;
  p = find_quote_or_backslash(p);
  if (*p == '"') {
    value = std::string_view(start, static_cast<size_t>(p - start));
    return p + 1;
  }
  // Escapes: unescape into the arena. The result is shorter than the JSON text it comes from.
  char* const begin = out.arena_tail();
  char* d = begin;
  std::memcpy(d, start, static_cast<size_t>(p - start));
  d += p - start;
  for (;;) {
    // *p == '\\'
    const char c = p[1];
    switch (c) {
      case '"': *d++ = '"'; break;
      case '\\': *d++ = '\\'; break;
      case '/': *d++ = '/'; break;
      case 'b': *d++ = '\b'; break;
      case 'f': *d++ = '\f'; break;
      case 'n': *d++ = '\n'; break;
      case 'r': *d++ = '\r'; break;
      case 't': *d++ = '\t'; break;
      case 'u': {
        int32_t cp = hex4(p + 2);
        if (cp < 0) {
          error_at = p;
          error = "invalid \\u escape in a string";
          return nullptr;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          error_at = p;
          error = "lone UTF-16 surrogate in a string";
          return nullptr;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const int32_t low = (p[6] == '\\' && p[7] == 'u') ? hex4(p + 8) : -1;
          if (low < 0xDC00 || low > 0xDFFF) {
            error_at = p;
            error = "lone UTF-16 surrogate in a string";
            return nullptr;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          p += 6;
        }
        d = put_utf8(d, static_cast<uint32_t>(cp));
        p += 4;  // the hex digits; the "\\u" is skipped below
        break;
      }
      default:
        error_at = p;
        error = "invalid escape in a string";
        return nullptr;
    }
    p += 2;
    const char* q = find_quote_or_backslash(p);
    std::memcpy(d, p, static_cast<size_t>(q - p));
    d += q - p;
    p = q;
    if (*p == '"') break;
  }
  value = out.arena_commit(static_cast<size_t>(d - begin));
  return p + 1;
}

}  // namespace sluice::http::detail
