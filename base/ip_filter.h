// Flume's ipFilterRules for the Avro source: "allow:ip:127.*,deny:ip:*". The first rule whose
// pattern matches the peer's address decides; no match allows. Patterns are globs over the
// textual address (* any run, ? one character). Flume's name rules need reverse DNS on the
// accept path and are refused with a clear error.
//
// Threads: pure functions, any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::base {

struct IpFilterRule {
  bool allow = true;
  std::string pattern;
};

// An error names the offending rule.
Result<std::vector<IpFilterRule>> parse_ip_filter_rules(std::string_view text);
bool ip_allowed(const std::vector<IpFilterRule>& rules, std::string_view ip);
// The glob the rules use: * matches any run of characters, ? exactly one.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace sluice::base
