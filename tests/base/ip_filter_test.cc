// Flume's ipFilterRules (the Avro source's; the source itself is tested end to end in
// tests/e2e/test_avro.py).
#include "base/ip_filter.h"

#include <gtest/gtest.h>

namespace sluice::base {
namespace {

std::vector<IpFilterRule> rules(std::string_view text) {
  auto r = parse_ip_filter_rules(text);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r.value() : std::vector<IpFilterRule>{};
}

std::string rule_error(std::string_view text) {
  auto r = parse_ip_filter_rules(text);
  return r.ok() ? "parsed" : r.error().message;
}

TEST(IpFilterRules, FirstMatchingRuleDecides) {
  auto r = rules("allow:ip:127.*,deny:ip:*");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(ip_allowed(r, "127.0.0.1"));
  EXPECT_TRUE(ip_allowed(r, "127.10.20.30"));
  EXPECT_FALSE(ip_allowed(r, "10.0.0.1"));
  EXPECT_FALSE(ip_allowed(r, "128.0.0.1"));
}

TEST(IpFilterRules, NoMatchAllows) {
  auto r = rules("deny:ip:10.0.0.?");
  EXPECT_FALSE(ip_allowed(r, "10.0.0.7"));
  EXPECT_TRUE(ip_allowed(r, "10.0.0.17"));
  EXPECT_TRUE(ip_allowed(r, "192.168.1.1"));
}

TEST(IpFilterRules, GlobsMatchTheWholeAddress) {
  auto r = rules("allow:ip:10.*.1, deny:ip:*");
  EXPECT_TRUE(ip_allowed(r, "10.2.3.1"));
  EXPECT_FALSE(ip_allowed(r, "10.2.3.12"));
  EXPECT_FALSE(ip_allowed(r, "110.2.3.1"));
  EXPECT_TRUE(ip_allowed(rules("allow:ip:::1"), "::1"));
  EXPECT_FALSE(ip_allowed(rules("deny:ip:*:*"), "::1"));
}

TEST(IpFilterRules, GlobEdgeCases) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a*b*c", "a-b-b-c"));
  EXPECT_FALSE(glob_match("a*b*c", "a-b-b-cd"));
  EXPECT_FALSE(glob_match("?", ""));
  EXPECT_TRUE(glob_match("1.2.3.4", "1.2.3.4"));
  EXPECT_FALSE(glob_match("1.2.3.4", "1.2.3.45"));
}

TEST(IpFilterRules, BadRulesNameTheRule) {
  EXPECT_EQ(rule_error(""), "no rules (e.g. allow:ip:127.*,deny:ip:*)");
  EXPECT_EQ(rule_error(" , "), "no rules (e.g. allow:ip:127.*,deny:ip:*)");
  EXPECT_EQ(rule_error("allow:127.*"), "rule 'allow:127.*': expected allow|deny:ip:PATTERN");
  EXPECT_EQ(rule_error("permit:ip:*"), "rule 'permit:ip:*': starts with allow or deny");
  EXPECT_EQ(rule_error("allow:ip:1.*,deny:host:*"), "rule 'deny:host:*': the second part is ip");
  EXPECT_EQ(rule_error("allow:name:localhost"),
            "rule 'allow:name:localhost': name rules need reverse DNS and are not supported; use ip rules");
}

}  // namespace
}  // namespace sluice::base
