#include "server/config/properties.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "server/config/errors.h"

namespace sluice::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

std::string_view skip_blanks(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_blank(s[i])) ++i;
  return s.substr(i);
}

// Physical lines end in \n, \r\n or \r, as java.util.Properties has them.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find_first_of("\r\n", pos_);
    if (end == std::string_view::npos) {
      line = text_.substr(pos_);
      pos_ = text_.size();
    } else {
      line = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
      if (text_[end] == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    }
    ++number_;
    return true;
  }
  int number() const { return number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int number_ = 0;
};

bool ends_in_odd_backslashes(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && s[s.size() - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The four hex digits of a \uXXXX escape starting at s[i] (the backslash), if well formed.
std::optional<uint32_t> code_unit_at(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return std::nullopt;
  uint32_t v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    char c = s[k];
    uint32_t d;
    if (c >= '0' && c <= '9') d = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<uint32_t>(c - 'A' + 10);
    else return std::nullopt;
    v = v * 16 + d;
  }
  return v;
}

// Replaces escapes and drops unescaped trailing blanks. `what` names the text in errors
// ("key 'x'", "the value of 'x'"). Returns false after adding an error.
bool unescape(std::string_view raw, std::string& out, int line, std::string_view what, ErrorList& errors) {
  out.clear();
  size_t significant_end = 0;  // escaped blanks are kept, trailing plain ones are not
  for (size_t i = 0; i < raw.size();) {
    char c = raw[i];
    if (c != '\\') {
      out += c;
      if (!is_blank(c)) significant_end = out.size();
      ++i;
      continue;
    }
    if (i + 1 >= raw.size()) {  // a lone backslash at the very end of the file
      ++i;
      continue;
    }
    char e = raw[i + 1];
    switch (e) {
      case '\\':
      case '=':
      case ':':
      case '#':
      case '!':
      case ' ':
        out += e;
        i += 2;
        break;
      case 't':
        out += '\t';
        i += 2;
        break;
      case 'n':
        out += '\n';
        i += 2;
        break;
      case 'r':
        out += '\r';
        i += 2;
        break;
      case 'f':
        out += '\f';
        i += 2;
        break;
      case 'u': {
        std::optional<uint32_t> unit = code_unit_at(raw, i);
        if (!unit) {
          errors.add(line, fmt::format("malformed \\u escape in {} (expected \\u and 4 hex digits)", what));
          return false;
        }
        uint32_t cp = *unit;
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          std::optional<uint32_t> low = code_unit_at(raw, i);
          if (!low || *low < 0xDC00 || *low > 0xDFFF) {
            errors.add(line, fmt::format("unpaired surrogate \\u{:04X} in {}", cp, what));
            return false;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
          i += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          errors.add(line, fmt::format("unpaired surrogate \\u{:04X} in {}", cp, what));
          return false;
        } else if (cp == 0) {
          errors.add(line, fmt::format("\\u0000 is not allowed in {}", what));
          return false;
        }
        append_utf8(out, cp);
        break;
      }
      default:
        errors.add(line, fmt::format("unknown escape '\\{}' in {} (write '\\\\' for a backslash)", e, what));
        return false;
    }
    significant_end = out.size();
  }
  out.resize(significant_end);
  return true;
}

// Splits one logical line (comments and continuations already handled) into key and value.
std::optional<Property> parse_entry(std::string_view logical, int line, ErrorList& errors) {
  size_t i = 0;
  while (i < logical.size()) {
    char c = logical[i];
    if (c == '\\') {
      i += 2;
      continue;
    }
    if (c == '=' || c == ':' || is_blank(c)) break;
    ++i;
  }
  i = std::min(i, logical.size());
  std::string_view raw_key = logical.substr(0, i);
  std::string_view rest = skip_blanks(logical.substr(i));
  if (!rest.empty() && (rest.front() == '=' || rest.front() == ':')) rest = skip_blanks(rest.substr(1));

  if (raw_key.empty()) {
    errors.add(line, "entry has no key");
    return std::nullopt;
  }
  Property p;
  p.line = line;
  if (!unescape(raw_key, p.key, line, fmt::format("key '{}'", raw_key), errors)) return std::nullopt;
  if (!unescape(rest, p.value, line, fmt::format("the value of '{}'", p.key), errors)) return std::nullopt;
  return p;
}

}  // namespace

Result<std::vector<Property>> parse_properties(std::string_view text, std::string_view source_name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark

  ErrorList errors;
  std::vector<Property> entries;
  std::unordered_map<std::string, int> first_line_of;
  LineReader lines(text);
  std::string_view physical;
  while (lines.next(physical)) {
    std::string_view first = skip_blanks(physical);
    if (first.empty() || first.front() == '#' || first.front() == '!') continue;

    int start_line = lines.number();
    std::string logical(first);
    while (ends_in_odd_backslashes(logical)) {
      logical.pop_back();
      std::string_view next;
      if (!lines.next(next)) break;
      logical += skip_blanks(next);
    }

    std::optional<Property> p = parse_entry(logical, start_line, errors);
    if (!p) continue;
    auto [it, inserted] = first_line_of.emplace(p->key, p->line);
    if (!inserted) {
      errors.add(p->line, fmt::format("key '{}' is set twice (first on line {})", p->key, it->second));
      continue;
    }
    entries.push_back(std::move(*p));
  }
  if (!errors.empty()) return errors.to_error(source_name);
  return entries;
}

}  // namespace sluice::config
