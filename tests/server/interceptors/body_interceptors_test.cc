// The behaviours Flume's own tests check (TestSearchAndReplaceInterceptor,
// TestRegexFilteringInterceptor, TestRegexExtractorInterceptor and its serializers' tests), on
// sluice's interceptors.
#include "server/interceptors/body_interceptors.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "server/interceptors/chain.h"
#include "tests/support/allocation_counter.h"

namespace sluice::interceptors {
namespace {

using Headers = std::map<std::string, std::string>;

struct Outcome {
  bool kept = false;
  std::string body;
  Headers headers;
};

Outcome run(Interceptor& interceptor, std::string_view body, const Headers& headers = {}) {
  std::vector<ringbuf::Header> in;
  for (const auto& [k, v] : headers) in.push_back({k, v});
  std::vector<ringbuf::Header> scratch(in.begin(), in.end());
  Arena arena;
  EventEdit edit(scratch, body, arena, 0);
  Outcome out;
  out.kept = interceptor.intercept(edit);
  out.body = std::string(edit.body());
  for (const ringbuf::Header& h : edit.headers()) out.headers[std::string(h.key)] = std::string(h.value);
  return out;
}

std::unique_ptr<SearchReplaceInterceptor> search_replace(std::string_view pattern, std::string_view replacement) {
  auto regex = JavaRegex::compile(pattern);
  EXPECT_TRUE(regex.ok()) << pattern;
  auto r = Replacement::compile(regex.value(), replacement);
  EXPECT_TRUE(r.ok()) << replacement << ": " << (r.ok() ? "" : r.error().message);
  return std::make_unique<SearchReplaceInterceptor>(std::move(regex).value(), std::move(r).value());
}

// --- search_replace ---

TEST(SearchReplaceInterceptor, RemovesAPrefix) {
  EXPECT_EQ(run(*search_replace("^prefix", ""), "prefix non-prefix suffix").body, " non-prefix suffix");
}

TEST(SearchReplaceInterceptor, StripsASyslogPriority) {
  EXPECT_EQ(run(*search_replace("^<[0-9]+>", ""), "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!").body,
            "Feb  5 17:32:18 10.0.0.99 Use the BFG!");
}

TEST(SearchReplaceInterceptor, CapturedGroupsInTheReplacement) {
  EXPECT_EQ(run(*search_replace("The quick brown ([a-z]+) jumped over the lazy ([a-z]+).",
                                "The hungry $2 ate the careless $1."),
                "The quick brown fox jumped over the lazy dog.")
                .body,
            "The hungry dog ate the careless fox.");
}

TEST(SearchReplaceInterceptor, ReplacesEveryMatch) {
  EXPECT_EQ(run(*search_replace(R"([A-Za-z0-9_.]+@[A-Za-z0-9_-]+\.com)", "REDACTED"),
                "Email addresses: test@test.com and foo@test.com")
                .body,
            "Email addresses: REDACTED and REDACTED");
}

TEST(SearchReplaceInterceptor, AnEmptyReplacementDeletes) {
  EXPECT_EQ(run(*search_replace("^[A-Za-z0-9_]+", ""), "Abc123@test.com").body, "@test.com");
}

TEST(SearchReplaceInterceptor, EmptyMatchesAsJavasReplaceAll) {
  // Java: "abc".replaceAll("x*", "-") is "-a-b-c-"; "baaa".replaceAll("a*", "-") is "-b--".
  EXPECT_EQ(run(*search_replace("x*", "-"), "abc").body, "-a-b-c-");
  EXPECT_EQ(run(*search_replace("a*", "-"), "baaa").body, "-b--");
  EXPECT_EQ(run(*search_replace("x*", "-"), "").body, "-");
  EXPECT_EQ(run(*search_replace("x*", "-"), "é").body, "-é-") << "a UTF-8 character is kept whole";
}

TEST(SearchReplaceInterceptor, NamedGroupsAndEscapedDollars) {
  EXPECT_EQ(run(*search_replace("(?<user>[a-z]+)@(?<host>[a-z]+)", "${host}\\$${user}"), "mail bob@example now").body,
            "mail example$bob now");
}

TEST(SearchReplaceInterceptor, NoMatchLeavesTheBodyAndHeadersAlone) {
  auto out = run(*search_replace("zzz", "y"), "unchanged", {{"h", "v"}});
  EXPECT_TRUE(out.kept);
  EXPECT_EQ(out.body, "unchanged");
  EXPECT_EQ(out.headers, (Headers{{"h", "v"}}));
}

TEST(SearchReplaceInterceptor, AWarmInterceptorAllocatesNothingPerEvent) {
  std::vector<std::unique_ptr<Interceptor>> list;
  list.push_back(search_replace("[0-9]+", "N"));
  Chain chain(std::move(list));
  std::vector<ringbuf::PreparedEvent> batch(100, ringbuf::PreparedEvent{0, {}, "user 123 logged in from 10.0.0.1"});
  chain.run(batch, 0);
  const uint64_t before = testing::allocations_on_this_thread();
  for (int i = 0; i < 50; ++i) ASSERT_EQ(chain.run(batch, 0)[99].body, "user N logged in from N.N.N.N");
  EXPECT_EQ(testing::allocations_on_this_thread(), before);
}

// --- regex_filter ---

std::unique_ptr<RegexFilterInterceptor> filter(std::string_view regex, bool exclude) {
  return std::make_unique<RegexFilterInterceptor>(JavaRegex::compile(regex).value(), exclude);
}

TEST(RegexFilterInterceptor, TheDefaultKeepsEverything) {
  EXPECT_TRUE(run(*filter(".*", false), "test").kept);
  EXPECT_TRUE(run(*filter(".*", false), "").kept);
}

TEST(RegexFilterInterceptor, Inclusion) {
  auto f = filter("(INFO.*)|(WARNING.*)", false);
  EXPECT_TRUE(run(*f, "INFO: some message").kept);
  EXPECT_TRUE(run(*f, "WARNING: some message").kept);
  EXPECT_FALSE(run(*f, "DEBUG: some message").kept);
}

TEST(RegexFilterInterceptor, Exclusion) {
  auto f = filter(".*DEBUG.*", true);
  EXPECT_TRUE(run(*f, "INFO: some message").kept);
  EXPECT_TRUE(run(*f, "WARNING: some message").kept);
  EXPECT_FALSE(run(*f, "this message has DEBUG in it").kept);
}

TEST(RegexFilterInterceptor, AMatchAnywhereCounts) {
  EXPECT_TRUE(run(*filter("ERROR", false), "2024-01-01 ERROR disk full").kept) << "find(), not matches()";
  EXPECT_FALSE(run(*filter("^ERROR", false), "2024-01-01 ERROR disk full").kept);
}

// --- regex_extractor ---

std::unique_ptr<RegexExtractorInterceptor> extractor(std::string_view regex, std::vector<ExtractorSerializer> s) {
  return std::make_unique<RegexExtractorInterceptor>("e", JavaRegex::compile(regex).value(), std::move(s));
}

TEST(RegexExtractorInterceptor, AddsAHeaderForEveryGroup) {
  auto out = run(*extractor(R"((\d):(\d):(\d))", {{"Num1"}, {"Num2"}, {"Num3"}}), "1:2:3.4foobar5");
  EXPECT_EQ(out.body, "1:2:3.4foobar5");
  EXPECT_EQ(out.headers, (Headers{{"Num1", "1"}, {"Num2", "2"}, {"Num3", "3"}}));
}

TEST(RegexExtractorInterceptor, GroupsWithoutASerializerAreIgnored) {
  auto out =
      run(*extractor(R"(^(\d\d\d\d-\d\d-\d\d\s\d\d:\d\d)(:\d\d,\d\d\d))", {{"timestamp"}}), "2012-10-17 14:34:44,338");
  EXPECT_EQ(out.headers, (Headers{{"timestamp", "2012-10-17 14:34"}}));
}

TEST(RegexExtractorInterceptor, SerializersWithoutAGroupAreIgnored) {
  auto out = run(*extractor(R"((\d+))", {{"first"}, {"second"}}), "a 42 b");
  EXPECT_EQ(out.headers, (Headers{{"first", "42"}}));
}

TEST(RegexExtractorInterceptor, TheMillisSerializerReadsTheTime) {
  // Flume's test with a pattern that has the zone, so that it does not depend on where it runs.
  ExtractorSerializer millis{"timestamp", JodaPattern::compile("yyyy-MM-dd HH:mmZ").value()};
  auto out = run(*extractor(R"(^(\d\d\d\d-\d\d-\d\d\s\d\d:\d\d[-+]\d{4})(.*))", {millis, {"data"}}),
                 "2012-10-18 18:47-0700:57,614 some log line");
  EXPECT_EQ(out.headers, (Headers{{"timestamp", "1350611220000"}, {"data", ":57,614 some log line"}}));
}

TEST(RegexExtractorInterceptor, NoMatchLeavesTheEventAsItWas) {
  auto out = run(*extractor(R"((\d+))", {{"n"}}), "no digits", {{"h", "v"}});
  EXPECT_TRUE(out.kept);
  EXPECT_EQ(out.headers, (Headers{{"h", "v"}}));
}

TEST(RegexExtractorInterceptor, OnlyTheFirstMatchCountsAndHeadersAreOverwritten) {
  auto out = run(*extractor(R"(id=(\w+))", {{"id"}}), "id=first id=second", {{"id", "old"}});
  EXPECT_EQ(out.headers, (Headers{{"id", "first"}}));
}

TEST(RegexExtractorInterceptor, AValueTheMillisSerializerCannotReadLeavesItsHeaderUnset) {
  ExtractorSerializer millis{"when", JodaPattern::compile("yyyy-MM-dd").value()};
  auto out = run(*extractor(R"(at (\S+) by (\S+))", {millis, {"who"}}), "at yesterday by bob");
  EXPECT_TRUE(out.kept);
  EXPECT_EQ(out.headers, (Headers{{"who", "bob"}}));
}

TEST(RegexExtractorInterceptor, AGroupThatTookNoPartSetsNothing) {
  auto out = run(*extractor(R"((a)|(b))", {{"A"}, {"B"}}), "b");
  EXPECT_EQ(out.headers, (Headers{{"B", "b"}}));
}

// --- Replacement ---

TEST(Replacement, RefusesGroupsThePatternLacks) {
  auto regex = JavaRegex::compile("(a)").value();
  EXPECT_FALSE(Replacement::compile(regex, "$2").ok());
  EXPECT_FALSE(Replacement::compile(regex, "cost: $").ok());
  EXPECT_TRUE(Replacement::compile(regex, "$1$1 \\$ \\\\").ok());
}

}  // namespace
}  // namespace sluice::interceptors
