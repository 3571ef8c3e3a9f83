// The behaviours Flume's selector tests check (TestReplicatingChannelSelector,
// TestMultiplexingChannelSelector, TestLoadBalancingChannelSelector) on sluice's selector, and
// the writer that uses it: required channels all or none, optional ones best effort.
#include "server/sources/channel_selector.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ringbuf/segment_store.h"
#include "server/sources/event_writer.h"

namespace sluice::sources {
namespace {

using ringbuf::Header;
using ringbuf::LogMask;

constexpr LogMask ch1 = 1, ch2 = 2, ch3 = 4, ch4 = 8;

ChannelSelector replicating(uint32_t channels, LogMask optional) {
  return ChannelSelector({.type = ChannelSelector::Type::replicating, .channels = channels, .optional = optional}, 1);
}

TEST(ReplicatingSelector, EveryChannelIsRequiredButTheOptionalOnes) {
  auto plain = replicating(4, 0);
  EXPECT_EQ(plain.select({}).required, ch1 | ch2 | ch3 | ch4);
  EXPECT_EQ(plain.select({}).optional, 0u);
  EXPECT_EQ(replicating(4, ch1).select({}).required, ch2 | ch3 | ch4);
  EXPECT_EQ(replicating(4, ch1 | ch4).select({}).required, ch2 | ch3);
  EXPECT_EQ(replicating(4, ch1 | ch4).select({}).optional, ch1 | ch4);
  EXPECT_TRUE(plain.fixed());
  EXPECT_EQ(replicating(4, ch1 | ch4).may_require(), ch2 | ch3) << "answers never wait for an optional channel";
}

// Flume's fixture: header myheader; foo -> ch1 ch2, bar -> ch2 ch3, xyz -> ch1 ch2 ch3; optional
// foo: ch2 ch3, xyz: ch1 ch3, zebra: ch1 ch2, less what each value requires (the config layer's
// job, done here by hand).
ChannelSelector flume_fixture(bool with_default) {
  ChannelSelector::Options o{.type = ChannelSelector::Type::multiplexing, .channels = 3, .header = "myheader"};
  const LogMask fallback = with_default ? (ch1 | ch3) : 0;
  o.mappings = {{"foo", {ch1 | ch2, ch3}},
                {"bar", {ch2 | ch3, 0}},
                {"xyz", {ch1 | ch2 | ch3, 0}},
                {"zebra", {fallback, (ch1 | ch2) & ~fallback}}};
  o.default_choice = {fallback, 0};
  return ChannelSelector(o, 1);
}

ChannelChoice with(ChannelSelector& s, std::vector<Header> headers) { return s.select(headers); }

TEST(MultiplexingSelector, ChoosesByTheHeadersValue) {
  auto s = flume_fixture(true);
  EXPECT_EQ(with(s, {{"myheader", "foo"}}).required, ch1 | ch2);
  EXPECT_EQ(with(s, {{"myheader", "foo"}}).optional, ch3);
  EXPECT_EQ(with(s, {{"myheader", "bar"}}).required, ch2 | ch3);
  EXPECT_EQ(with(s, {{"myheader", "bar"}}).optional, 0u);
  EXPECT_EQ(with(s, {{"other", "x"}, {"myheader", "xyz"}}).required, ch1 | ch2 | ch3);
  EXPECT_FALSE(s.fixed());
}

TEST(MultiplexingSelector, NoHeaderOrNoMappingTakesTheDefault) {
  auto s = flume_fixture(true);
  EXPECT_EQ(with(s, {}).required, ch1 | ch3);
  EXPECT_EQ(with(s, {{"someheader", "foo"}}).required, ch1 | ch3);
  EXPECT_EQ(with(s, {{"myheader", "bar1"}}).required, ch1 | ch3);
  EXPECT_EQ(with(s, {{"myheader", "bar1"}}).optional, 0u);
  EXPECT_EQ(with(s, {{"myheader", "  "}}).required, ch1 | ch3) << "a blank value counts as none";
  EXPECT_EQ(with(s, {{"myheader", "zebra"}}).required, ch1 | ch3);
  EXPECT_EQ(with(s, {{"myheader", "zebra"}}).optional, ch2) << "a required channel is not optional too";
  EXPECT_EQ(with(s, {{"myheader", "FOO"}}).required, ch1 | ch3) << "values are compared exactly";
}

TEST(MultiplexingSelector, WithoutADefaultAnUnmatchedEventGoesNowhere) {
  auto s = flume_fixture(false);
  EXPECT_EQ(with(s, {{"myheader", "foo"}}).required, ch1 | ch2);
  EXPECT_EQ(with(s, {{"myheader", "zebra"}}).required, 0u);
  EXPECT_EQ(with(s, {{"myheader", "zebra"}}).optional, ch1 | ch2);
  EXPECT_EQ(with(s, {{"myheader", "none"}}).required | with(s, {{"myheader", "none"}}).optional, 0u);
  EXPECT_EQ(s.may_require(), ch1 | ch2 | ch3);
}

TEST(LoadBalancingSelector, RoundRobinTakesEachChannelInTurn) {
  ChannelSelector s({.type = ChannelSelector::Type::load_balancing, .channels = 4}, 1);
  EXPECT_EQ(s.select({}).required, ch1);
  EXPECT_EQ(s.select({}).required, ch2);
  EXPECT_EQ(s.select({}).required, ch3);
  EXPECT_EQ(s.select({}).required, ch4);
  EXPECT_EQ(s.select({}).required, ch1);
  EXPECT_EQ(s.select({}).optional, 0u);
}

TEST(LoadBalancingSelector, RandomSpreadsOverEveryChannel) {
  ChannelSelector s({.type = ChannelSelector::Type::load_balancing, .channels = 3, .random = true}, 42);
  std::map<LogMask, int> counts;
  for (int i = 0; i < 3000; ++i) ++counts[s.select({}).required];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [mask, n] : counts) EXPECT_GT(n, 800) << mask;
}

// --- EventWriter ---

std::unique_ptr<ringbuf::Log> make_log(uint64_t capacity_events = 0) {
  static ringbuf::Doorbell bell;
  ringbuf::LogOptions options;
  options.capacity_bytes = 64 * 1024;
  options.capacity_events = capacity_events;
  return std::make_unique<ringbuf::Log>(options, std::make_unique<ringbuf::MemorySegmentStore>(16 * 1024), &bell);
}

std::vector<std::string> bodies(ringbuf::Log& log) {
  log.publish();
  std::vector<ringbuf::EventView> views;
  log.reader(0).read(views, 1000, SIZE_MAX);
  std::vector<std::string> out;
  for (const auto& v : views) out.emplace_back(v.body());
  return out;
}

TEST(EventWriter, AFullOptionalChannelNeverHoldsUpTheRequiredOnes) {
  auto required = make_log(), optional = make_log(/*capacity_events=*/1);
  auto selector = replicating(2, ch2);
  EventWriter writer({required.get(), optional.get()}, nullptr, &selector);
  ASSERT_EQ(writer.acknowledged_logs().size(), 1u);
  EXPECT_EQ(writer.acknowledged_logs()[0], required.get());
  const ringbuf::PreparedEvent events[] = {{1, {}, "a"}, {2, {}, "b"}, {3, {}, "c"}};
  auto written = writer.write(events, 0);
  EXPECT_EQ(written.refusal, ringbuf::AppendRefusal::none);
  EXPECT_EQ(written.optional_dropped, 2u);
  EXPECT_EQ(bodies(*required), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(bodies(*optional), (std::vector<std::string>{"a"}));
  // One event (a syslog message) takes the same path.
  EXPECT_EQ(writer.write({&events[0], 1}, 0).optional_dropped, 1u);
}

TEST(EventWriter, AFullRequiredChannelRefusesTheWholeBatchAndTheOptionalOnesGetNothing) {
  auto full = make_log(/*capacity_events=*/2), optional = make_log();
  auto selector = replicating(2, ch2);
  EventWriter writer({full.get(), optional.get()}, nullptr, &selector);
  const ringbuf::PreparedEvent events[] = {{1, {}, "a"}, {2, {}, "b"}, {3, {}, "c"}};
  EXPECT_NE(writer.write(events, 0).refusal, ringbuf::AppendRefusal::none);
  EXPECT_TRUE(bodies(*full).empty());
  EXPECT_TRUE(bodies(*optional).empty()) << "a batch the source will offer again is not half stored";
}

TEST(EventWriter, MultiplexesEventByEventAndCountsWhatWentNowhere) {
  auto cz = make_log(), us = make_log(), other = make_log();
  ChannelSelector::Options o{.type = ChannelSelector::Type::multiplexing, .channels = 3, .header = "state"};
  o.mappings = {{"CZ", {ch1, 0}}, {"US", {ch2 | ch3, 0}}};
  ChannelSelector selector(o, 1);
  EventWriter writer({cz.get(), us.get(), other.get()}, nullptr, &selector);
  const Header czh[] = {{"state", "CZ"}}, ush[] = {{"state", "US"}}, xx[] = {{"state", "XX"}};
  const ringbuf::PreparedEvent events[] = {{1, czh, "prague"}, {2, ush, "boston"}, {3, xx, "lost"}, {4, czh, "brno"}};
  auto written = writer.write(events, 0);
  EXPECT_EQ(written.refusal, ringbuf::AppendRefusal::none);
  EXPECT_EQ(written.unrouted, 1u);
  EXPECT_EQ(bodies(*cz), (std::vector<std::string>{"prague", "brno"}));
  EXPECT_EQ(bodies(*us), (std::vector<std::string>{"boston"}));
  EXPECT_EQ(bodies(*other), (std::vector<std::string>{"boston"}));
  // One event at a time (syslog) takes the same routes.
  EXPECT_EQ(writer.write({&events[2], 1}, 0).unrouted, 1u);
  EXPECT_EQ(writer.write({&events[1], 1}, 0).refusal, ringbuf::AppendRefusal::none);
  EXPECT_EQ(bodies(*us), (std::vector<std::string>{"boston"})) << "read once already: the new one follows";
}

TEST(EventWriter, OneEventToAFullRequiredChannelIsRefusedAndItsOptionalOnesGetNothing) {
  auto full = make_log(/*capacity_events=*/1), optional = make_log();
  ChannelSelector::Options o{.type = ChannelSelector::Type::multiplexing, .channels = 2, .header = "k"};
  o.default_choice = {ch1, ch2};
  ChannelSelector selector(o, 1);
  EventWriter writer({full.get(), optional.get()}, nullptr, &selector);
  const ringbuf::PreparedEvent one{1, {}, "a"}, two{2, {}, "b"};
  EXPECT_EQ(writer.write({&one, 1}, 0).refusal, ringbuf::AppendRefusal::none);
  EXPECT_NE(writer.write({&two, 1}, 0).refusal, ringbuf::AppendRefusal::none);
  EXPECT_EQ(bodies(*optional), (std::vector<std::string>{"a"}));
}

}  // namespace
}  // namespace sluice::sources
