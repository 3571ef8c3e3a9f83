#include "base/ip_filter.h"

#include <fmt/format.h>

namespace sluice::base {

bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<std::vector<IpFilterRule>> parse_ip_filter_rules(std::string_view text) {
  std::vector<IpFilterRule> rules;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view rule =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!rule.empty() && rule.front() == ' ') rule.remove_prefix(1);
    while (!rule.empty() && rule.back() == ' ') rule.remove_suffix(1);
    if (!rule.empty()) {
      size_t c1 = rule.find(':');
      size_t c2 = c1 == std::string_view::npos ? c1 : rule.find(':', c1 + 1);
      if (c2 == std::string_view::npos)
        return make_error(fmt::format("rule '{}': expected allow|deny:ip:PATTERN", rule));
      std::string_view verdict = rule.substr(0, c1), kind = rule.substr(c1 + 1, c2 - c1 - 1);
      if (verdict != "allow" && verdict != "deny")
        return make_error(fmt::format("rule '{}': starts with allow or deny", rule));
      if (kind == "name")
        return make_error(
            fmt::format("rule '{}': name rules need reverse DNS and are not supported; use ip rules", rule));
      if (kind != "ip") return make_error(fmt::format("rule '{}': the second part is ip", rule));
      rules.push_back({verdict == "allow", std::string(rule.substr(c2 + 1))});
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (rules.empty()) return make_error("no rules (e.g. allow:ip:127.*,deny:ip:*)");
  return rules;
}

bool ip_allowed(const std::vector<IpFilterRule>& rules, std::string_view ip) {
  for (const IpFilterRule& r : rules)
    if (glob_match(r.pattern, ip)) return r.allow;
  return true;
}

}  // namespace sluice::base
