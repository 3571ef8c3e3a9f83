#include "server/interceptors/java_regex.h"

#include <fmt/format.h>

namespace sluice::interceptors {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Why RE2 cannot take the construct at `i` (outside a character class), or empty.
std::string refusal_at(std::string_view p, size_t i) {
  const std::string_view rest = p.substr(i);
  if (rest.starts_with("(?=") || rest.starts_with("(?!")) return "lookahead ((?= or (?!)";
  if (rest.starts_with("(?<=") || rest.starts_with("(?<!")) return "lookbehind ((?<= or (?<!)";
  if (rest.starts_with("(?>")) return "an atomic group ((?>)";
  if (rest.size() >= 2 && rest[0] == '\\' && is_digit(rest[1]) && rest[1] != '0')
    return fmt::format("a backreference (\\{})", rest[1]);
  if (rest.starts_with("\\k<")) return "a named backreference (\\k<name>)";
  return {};
}

}  // namespace

Result<JavaRegex> JavaRegex::compile(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 8);
  bool in_class = false;
  bool quoted = false;  // inside \Q...\E: everything literal
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (quoted) {
      if (c == '\\' && i + 1 < p.size() && p[i + 1] == 'E') {
        quoted = false;
        out += "\\E";
        ++i;
      } else {
        out += c;
      }
      continue;
    }
    if (c == '\\' && i + 1 < p.size() && p[i + 1] == 'Q') {
      quoted = true;
      out += "\\Q";
      ++i;
      continue;
    }
    if (!in_class) {
      if (std::string why = refusal_at(p, i); !why.empty())
        return make_error(fmt::format("regex '{}': RE2 does not support {} (at offset {})", p, why, i));
      // A quantifier followed by '+' is possessive in Java.
      if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < p.size() && p[i + 1] == '+' &&
          !(i > 0 && p[i - 1] == '\\'))
        return make_error(
            fmt::format("regex '{}': RE2 does not support possessive quantifiers ({}+ at offset {})", p, c, i));
      if (p.substr(i).starts_with("(?<") && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!') {
        out += "(?P<";  // Java's named group
        i += 2;
        continue;
      }
    }
    if (c == '\\' && i + 1 < p.size()) {
      out += c;
      out += p[i + 1];
      ++i;
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(out, options);
  if (!re->ok()) return make_error(fmt::format("regex '{}': {}", p, re->error()));
  JavaRegex r;
  r.translated_ = std::move(out);
  r.re2_ = std::move(re);
  return r;
}

Result<std::string> JavaRegex::to_rewrite(std::string_view j) const {
  std::string out;
  const int groups = re2_->NumberOfCapturingGroups();
  for (size_t i = 0; i < j.size(); ++i) {
    const char c = j[i];
    if (c == '\\') {
      if (i + 1 == j.size()) return make_error(fmt::format("replacement '{}': ends with a lone backslash", j));
      const char next = j[++i];
      if (next == '\\') out += "\\\\";
      else out += next;
      continue;
    }
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 1 < j.size() && j[i + 1] == '{') {
      const size_t end = j.find('}', i + 2);
      if (end == std::string_view::npos) return make_error(fmt::format("replacement '{}': unclosed ${{", j));
      const std::string name(j.substr(i + 2, end - i - 2));
      const auto& names = re2_->NamedCapturingGroups();
      auto it = names.find(name);
      if (it == names.end()) return make_error(fmt::format("replacement '{}': no group named '{}'", j, name));
      if (it->second > 9) return make_error(fmt::format("replacement '{}': RE2 rewrites reach groups 0-9 only", j));
      out += '\\';
      out += static_cast<char>('0' + it->second);
      i = end;
      continue;
    }
    if (i + 1 >= j.size() || !is_digit(j[i + 1]))
      return make_error(
          fmt::format("replacement '{}': '$' is followed by a group number or {{name}} (\\$ for a dollar)", j));
    // Java takes as many digits as still name an existing group.
    int group = j[++i] - '0';
    while (i + 1 < j.size() && is_digit(j[i + 1]) && group * 10 + (j[i + 1] - '0') <= groups)
      group = group * 10 + (j[++i] - '0');
    if (group > groups) return make_error(fmt::format("replacement '{}': no group {}", j, group));
    if (group > 9) return make_error(fmt::format("replacement '{}': RE2 rewrites reach groups 0-9 only", j));
    out += '\\';
    out += static_cast<char>('0' + group);
  }
  return out;
}

}  // namespace sluice::interceptors
