// ASCII case for protocol tokens and config names (HTTP header names, codec names, Flume type
// names): only A-Z and a-z are folded, every other byte compares as itself, so the result never
// depends on the locale. Pure functions: any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice::base {

constexpr char to_lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
  return true;
}

}  // namespace sluice::base
