// The behaviours Flume's own tests check (TestTimestampInterceptor, TestHostInterceptor,
// TestStaticInterceptor, RemoveHeaderInterceptorTest, TestUUIDInterceptor), on sluice's
// interceptors.
#include "server/interceptors/header_interceptors.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/interceptors/chain.h"
#include "tests/support/allocation_counter.h"

namespace sluice::interceptors {
namespace {

using Headers = std::map<std::string, std::string>;

// Runs one interceptor (through a chain of one) over an event with `headers`; returns the
// headers after it, or nullopt when it dropped the event.
std::optional<Headers> run(std::unique_ptr<Interceptor> interceptor, const Headers& headers, int64_t now_ms = 0) {
  std::vector<std::unique_ptr<Interceptor>> list;
  list.push_back(std::move(interceptor));
  Chain chain(std::move(list));
  std::vector<ringbuf::Header> in;
  for (const auto& [k, v] : headers) in.push_back({k, v});
  ringbuf::PreparedEvent event{0, in, "body"};
  auto out = chain.run({&event, 1}, now_ms);
  if (out.empty()) return std::nullopt;
  Headers result;
  for (const ringbuf::Header& h : out[0].headers) result[std::string(h.key)] = std::string(h.value);
  return result;
}

// --- timestamp ---

TEST(TimestampInterceptor, SetsTheTimeOfInterceptionInMilliseconds) {
  auto out = run(std::make_unique<TimestampInterceptor>(TimestampInterceptor::Options{}), {}, 1711361793123);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Headers{{"timestamp", "1711361793123"}}));
}

TEST(TimestampInterceptor, PreserveExistingKeepsAnExistingValue) {
  auto out = run(std::make_unique<TimestampInterceptor>(TimestampInterceptor::Options{.preserve_existing = true}),
                 {{"timestamp", "1"}}, 5000);
  EXPECT_EQ(out->at("timestamp"), "1");
}

TEST(TimestampInterceptor, WithoutPreserveExistingReplacesTheValue) {
  auto out = run(std::make_unique<TimestampInterceptor>(TimestampInterceptor::Options{}), {{"timestamp", "1"}}, 5000);
  EXPECT_EQ(out->at("timestamp"), "5000");
}

TEST(TimestampInterceptor, ACustomHeaderLeavesTimestampAlone) {
  auto out =
      run(std::make_unique<TimestampInterceptor>(TimestampInterceptor::Options{.header_name = "timestampHeader"}),
          {{"timestamp", "1"}}, 5000);
  EXPECT_EQ(*out, (Headers{{"timestamp", "1"}, {"timestampHeader", "5000"}}));
}

// --- host ---

TEST(HostInterceptor, SetsTheHostHeaderToTheValueLookedUpAtStart) {
  auto out = run(std::make_unique<HostInterceptor>(HostInterceptor::Options{}, "10.1.2.3"), {});
  EXPECT_EQ(*out, (Headers{{"host", "10.1.2.3"}}));
}

TEST(HostInterceptor, ACustomHeaderName) {
  auto out =
      run(std::make_unique<HostInterceptor>(HostInterceptor::Options{.host_header = "hostname"}, "10.1.2.3"), {});
  EXPECT_EQ(*out, (Headers{{"hostname", "10.1.2.3"}}));
}

TEST(HostInterceptor, PreserveExistingAndClobber) {
  auto preserved =
      run(std::make_unique<HostInterceptor>(HostInterceptor::Options{.preserve_existing = true}, "10.1.2.3"),
          {{"host", "originalhost"}});
  EXPECT_EQ(preserved->at("host"), "originalhost");
  auto clobbered =
      run(std::make_unique<HostInterceptor>(HostInterceptor::Options{}, "10.1.2.3"), {{"host", "originalhost"}});
  EXPECT_EQ(clobbered->at("host"), "10.1.2.3") << "preserveExisting defaults to false";
}

TEST(HostInterceptor, WhenTheLookupFailedNoHeaderIsSet) {
  auto out = run(std::make_unique<HostInterceptor>(HostInterceptor::Options{}, std::nullopt), {{"a", "b"}});
  EXPECT_EQ(*out, (Headers{{"a", "b"}}));
}

TEST(HostInterceptor, LooksUpThisMachinesAddressAndName) {
  auto ip = HostInterceptor::local_host_value(true);
  ASSERT_TRUE(ip.ok()) << ip.error().message;
  EXPECT_TRUE(ip.value().find('.') != std::string::npos || ip.value().find(':') != std::string::npos) << ip.value();
  auto name = HostInterceptor::local_host_value(false);
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_FALSE(name.value().empty());
}

// --- static ---

TEST(StaticInterceptor, DefaultKeyAndValue) {
  auto out = run(std::make_unique<StaticInterceptor>(StaticInterceptor::Options{}), {});
  EXPECT_EQ(*out, (Headers{{"key", "value"}}));
}

TEST(StaticInterceptor, CustomKeyAndValue) {
  auto out = run(std::make_unique<StaticInterceptor>(StaticInterceptor::Options{.key = "myKey", .value = "myVal"}), {});
  EXPECT_EQ(*out, (Headers{{"myKey", "myVal"}}));
}

TEST(StaticInterceptor, PreservesByDefaultAndReplacesWhenAsked) {
  const Headers incumbent = {{"key", "incumbent value"}};
  auto preserved = run(std::make_unique<StaticInterceptor>(StaticInterceptor::Options{}), incumbent);
  EXPECT_EQ(preserved->at("key"), "incumbent value") << "preserveExisting defaults to true";
  auto replaced = run(std::make_unique<StaticInterceptor>(
                          StaticInterceptor::Options{.value = "replacement value", .preserve_existing = false}),
                      incumbent);
  EXPECT_EQ(replaced->at("key"), "replacement value");
}

// --- remove_header ---

const Headers kFixture = {{"my-header10", "my-header10"},
                          {"my-header11", "my-header11"},
                          {"my-header12", "my-header12"},
                          {"my-header20", "my-header20"},
                          {"my-header21", "my-header21"}};

std::set<std::string> keys(const Headers& h) {
  std::set<std::string> out;
  for (const auto& [k, v] : h) out.insert(k);
  return out;
}

std::unique_ptr<Interceptor> remover(std::string with_name, std::string from_list, std::string separator,
                                     std::string matching) {
  RemoveHeaderInterceptor::Options o;
  o.with_name = std::move(with_name);
  if (!from_list.empty()) {
    auto sep = JavaRegex::compile(separator);
    EXPECT_TRUE(sep.ok());
    o.from_list = RemoveHeaderInterceptor::split_list(from_list, sep.value());
  }
  if (!matching.empty()) o.matching = JavaRegex::compile(matching).value();
  return std::make_unique<RemoveHeaderInterceptor>(std::move(o));
}

TEST(RemoveHeaderInterceptor, WithName) {
  auto out = run(remover("my-header20", "", "", ""), kFixture);
  EXPECT_EQ(keys(*out), (std::set<std::string>{"my-header10", "my-header11", "my-header12", "my-header21"}));
  EXPECT_TRUE(run(remover("my-header20", "", "", ""), {})->empty()) << "an event without headers stays so";
}

TEST(RemoveHeaderInterceptor, FromListWithTheDefaultSeparator) {
  const std::string kDefault = R"(\s*,\s*)";
  EXPECT_EQ(keys(*run(remover("", "my-header20;my-header11", kDefault, ""), kFixture)), keys(kFixture))
      << "';' is not the default separator: one name that no header has";
  EXPECT_EQ(keys(*run(remover("", "my-header20, my-header11", kDefault, ""), kFixture)),
            (std::set<std::string>{"my-header10", "my-header12", "my-header21"}));
}

TEST(RemoveHeaderInterceptor, FromListWithACustomSeparator) {
  EXPECT_EQ(keys(*run(remover("", "my-header20;my-header11", ";", ""), kFixture)),
            (std::set<std::string>{"my-header10", "my-header12", "my-header21"}));
  EXPECT_EQ(keys(*run(remover("", "my-header20, my-header11", ";", ""), kFixture)), keys(kFixture));
}

TEST(RemoveHeaderInterceptor, MatchingTakesTheWholeName) {
  EXPECT_EQ(keys(*run(remover("", "", "", "my-header1.*"), kFixture)),
            (std::set<std::string>{"my-header20", "my-header21"}));
  EXPECT_EQ(keys(*run(remover("", "", "", "header1"), kFixture)), keys(kFixture)) << "a part of the name is not enough";
}

TEST(RemoveHeaderInterceptor, AllThreeTogether) {
  EXPECT_TRUE(run(remover("my-header11", "my-header10;my-header12", ";", "my-header2.*"), kFixture)->empty());
}

TEST(RemoveHeaderInterceptor, SplitsLikeJavasStringSplit) {
  auto comma = JavaRegex::compile(R"(\s*,\s*)").value();
  EXPECT_EQ(RemoveHeaderInterceptor::split_list("a , b,c,,", comma), (std::vector<std::string>{"a", "b", "c"}))
      << "trailing empty items are dropped";
  EXPECT_EQ(RemoveHeaderInterceptor::split_list(",a", comma), (std::vector<std::string>{"", "a"}));
  EXPECT_EQ(RemoveHeaderInterceptor::split_list("single", comma), (std::vector<std::string>{"single"}));
}

// --- UUID ---

bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i])) || std::isupper(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return s[14] == '4' && std::string_view("89ab").find(s[19]) != std::string_view::npos;
}

TEST(UuidInterceptor, SetsARandomVersion4Uuid) {
  auto out = run(std::make_unique<UuidInterceptor>(UuidInterceptor::Options{}, 1), {});
  ASSERT_EQ(out->count("id"), 1u);
  EXPECT_TRUE(is_uuid_v4(out->at("id"))) << out->at("id");
}

TEST(UuidInterceptor, EveryEventGetsADifferentOne) {
  std::vector<std::unique_ptr<Interceptor>> list;
  list.push_back(std::make_unique<UuidInterceptor>(UuidInterceptor::Options{}, 7));
  Chain chain(std::move(list));
  std::vector<ringbuf::PreparedEvent> in(1000, ringbuf::PreparedEvent{0, {}, "x"});
  auto out = chain.run(in, 0);
  std::set<std::string> ids;
  for (const auto& e : out) ids.insert(std::string(e.headers[0].value));
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(UuidInterceptor, PreservesAnExistingIdByDefault) {
  auto out = run(std::make_unique<UuidInterceptor>(UuidInterceptor::Options{}, 1), {{"id", "foo"}});
  EXPECT_EQ(out->at("id"), "foo");
  auto replaced =
      run(std::make_unique<UuidInterceptor>(UuidInterceptor::Options{.preserve_existing = false}, 1), {{"id", "foo"}});
  EXPECT_TRUE(is_uuid_v4(replaced->at("id")));
}

TEST(UuidInterceptor, Prefix) {
  auto out = run(std::make_unique<UuidInterceptor>(UuidInterceptor::Options{.prefix = "bar#"}, 1), {});
  ASSERT_TRUE(out->at("id").starts_with("bar#"));
  EXPECT_TRUE(is_uuid_v4(out->at("id").substr(4)));
}

// --- The chain as a source runs it ---

TEST(HeaderInterceptors, AWarmChainAllocatesNothingPerEvent) {
  std::vector<std::unique_ptr<Interceptor>> list;
  list.push_back(std::make_unique<TimestampInterceptor>(TimestampInterceptor::Options{}));
  list.push_back(std::make_unique<HostInterceptor>(HostInterceptor::Options{}, "10.0.0.1"));
  list.push_back(std::make_unique<StaticInterceptor>(StaticInterceptor::Options{.key = "dc", .value = "NYC"}));
  list.push_back(std::make_unique<UuidInterceptor>(UuidInterceptor::Options{}, 3));
  auto matching = JavaRegex::compile("syslog\\..*");
  ASSERT_TRUE(matching.ok());
  list.push_back(std::make_unique<RemoveHeaderInterceptor>(
      RemoveHeaderInterceptor::Options{.with_name = "Facility", .matching = std::move(matching).value()}));
  Chain chain(std::move(list));
  const ringbuf::Header headers[] = {{"Facility", "1"}, {"Severity", "5"}, {"syslog.appname", "app"}};
  std::vector<ringbuf::PreparedEvent> batch(100, ringbuf::PreparedEvent{0, headers, "a 200-byte body, more or less"});
  chain.run(batch, 1000);  // warms the scratch vectors and the arena
  const uint64_t before = testing::allocations_on_this_thread();
  for (int i = 0; i < 100; ++i) {
    auto out = chain.run(batch, 1000 + i);
    ASSERT_EQ(out.size(), batch.size());
    ASSERT_EQ(out[0].headers.size(), 5u);  // Severity, timestamp, host, dc, id
  }
  EXPECT_EQ(testing::allocations_on_this_thread(), before);
}

}  // namespace
}  // namespace sluice::interceptors
