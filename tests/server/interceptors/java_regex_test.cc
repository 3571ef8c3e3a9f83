#include "server/interceptors/java_regex.h"

#include <gtest/gtest.h>

namespace sluice::interceptors {
namespace {

std::string error_of(std::string_view pattern) {
  auto r = JavaRegex::compile(pattern);
  return r.ok() ? std::string() : r.error().message;
}

TEST(JavaRegex, TheCommonSubsetMatchesAsInJava) {
  // Patterns from Flume's interceptor tests and user guide.
  for (std::string_view p : {R"((\d):(\d):(\d))", R"(^(\d\d\d\d-\d\d-\d\d\s\d\d:\d\d))", "(?i)error|warn",
                             R"(\Q1.2.3\E)", "[^,]+,[a-z]{2,3}"}) {
    auto r = JavaRegex::compile(p);
    EXPECT_TRUE(r.ok()) << p << ": " << (r.ok() ? "" : r.error().message);
  }
  auto r = JavaRegex::compile(R"((\d):(\d):(\d))");
  ASSERT_TRUE(r.ok());
  std::string a, b, c;
  EXPECT_TRUE(re2::RE2::PartialMatch("x 1:2:3 y", r->re2(), &a, &b, &c));
  EXPECT_EQ(a + b + c, "123");
  auto quoted = JavaRegex::compile(R"(\Q1.2\E)");
  ASSERT_TRUE(quoted.ok());
  EXPECT_TRUE(re2::RE2::PartialMatch("v1.2", quoted->re2()));
  EXPECT_FALSE(re2::RE2::PartialMatch("v1x2", quoted->re2())) << "\\Q...\\E is literal";
}

TEST(JavaRegex, NamedGroupsBecomeRe2Syntax) {
  auto r = JavaRegex::compile(R"((?<year>\d{4})-(?<month>\d\d))");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->translated(), R"((?P<year>\d{4})-(?P<month>\d\d))");
  EXPECT_EQ(r->re2().NamedCapturingGroups().at("month"), 2);
}

TEST(JavaRegex, WhatRe2CannotDoIsRefusedByName) {
  EXPECT_NE(error_of(R"((a)\1)").find("backreference"), std::string::npos);
  EXPECT_NE(error_of(R"((?<n>a)\k<n>)").find("named backreference"), std::string::npos);
  EXPECT_NE(error_of("foo(?=bar)").find("lookahead"), std::string::npos);
  EXPECT_NE(error_of("foo(?!bar)").find("lookahead"), std::string::npos);
  EXPECT_NE(error_of("(?<=a)b").find("lookbehind"), std::string::npos);
  EXPECT_NE(error_of("(?<!a)b").find("lookbehind"), std::string::npos);
  EXPECT_NE(error_of("(?>ab)").find("atomic group"), std::string::npos);
  EXPECT_NE(error_of("a++").find("possessive"), std::string::npos);
  EXPECT_NE(error_of(R"(\d{2}+)").find("possessive"), std::string::npos);
  // The message names the pattern and where.
  EXPECT_EQ(error_of("x(?=y)"), "regex 'x(?=y)': RE2 does not support lookahead ((?= or (?!) (at offset 1)");
  // RE2's own errors come through too.
  EXPECT_NE(error_of("(unclosed"), "");
}

TEST(JavaRegex, ConstructsThatOnlyLookAlikeAreNotRefused) {
  EXPECT_EQ(error_of(R"(\\1)"), "") << "an escaped backslash then 1";
  EXPECT_EQ(error_of(R"(a\++)"), "") << "a literal plus, repeated";
  EXPECT_EQ(error_of("[(?=]"), "") << "inside a class these are literals";
  EXPECT_EQ(error_of(R"(\Q(?=\E)"), "") << "quoted";
}

TEST(JavaRegex, JavaReplacementsBecomeRe2Rewrites) {
  auto r = JavaRegex::compile(R"((?<k>\w+)=(\w+))");
  ASSERT_TRUE(r.ok());
  auto rw = r->to_rewrite("$2:${k} costs \\$5 \\\\");
  ASSERT_TRUE(rw.ok()) << rw.error().message;
  EXPECT_EQ(rw.value(), "\\2:\\1 costs $5 \\\\");
  std::string text = "a=1 b=2";
  re2::RE2::GlobalReplace(&text, r->re2(), rw.value());
  EXPECT_EQ(text, "1:a costs $5 \\ 2:b costs $5 \\");
  EXPECT_FALSE(r->to_rewrite("$3").ok()) << "no group 3";
  EXPECT_FALSE(r->to_rewrite("${nope}").ok());
  EXPECT_FALSE(r->to_rewrite("cost $").ok());
  // Java reads $12 as group 1 then '2' when there is no group 12.
  auto one = r->to_rewrite("$12");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.value(), "\\12");
}

}  // namespace
}  // namespace sluice::interceptors
