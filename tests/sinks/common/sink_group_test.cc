// The behaviours Flume's TestFailoverSinkProcessor and TestLoadBalancingSinkProcessor check,
// on sinks/common/sink_group.h, with a test clock.
#include "sinks/common/sink_group.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::sinks {
namespace {

// Counts the events it delivers; fails while `failing`.
class FakeSink final : public Sink {
 public:
  Delivery deliver(std::span<const ringbuf::EventView> events) override {
    ++attempts;
    if (failing) return Delivery::retry("down");
    delivered += events.size();
    return Delivery::ok();
  }
  bool failing = false;
  size_t delivered = 0, attempts = 0;
};

struct Group {
  std::vector<FakeSink*> sinks;
  std::vector<GroupMember> members;
  int64_t now = 1'000'000;
  Group(int n, std::vector<int64_t> priorities = {}) {
    for (int i = 0; i < n; ++i) {
      auto s = std::make_unique<FakeSink>();
      sinks.push_back(s.get());
      members.push_back({"s" + std::to_string(i + 1), "fake", std::move(s), priorities.empty() ? 0 : priorities[i]});
    }
  }
  SinkGroup::Clock clock() {
    return [this] { return now; };
  }
};

// A batch of one event: the fake sinks only count.
const std::vector<ringbuf::EventView> kOne(1);

void deliver(Sink& group, int batches) {
  for (int i = 0; i < batches; ++i) ASSERT_NE(group.deliver(kOne).status, DeliveryStatus::retry);
}

TEST(FailoverSinks, TheHighestPriorityTakesEverything) {
  Group g(3, {1, 3, 2});
  FailoverSinks group("g", std::move(g.members), 10'000, g.clock());
  deliver(group, 10);
  EXPECT_EQ(g.sinks[1]->delivered, 10u);
  EXPECT_EQ(group.active(), "s2");
}

TEST(FailoverSinks, AFailedSinkHandsTheSameBatchToTheNextAndSitsOut) {
  Group g(3, {3, 2, 1});
  FailoverSinks group("g", std::move(g.members), 10'000, g.clock());
  deliver(group, 5);
  g.sinks[0]->failing = true;
  deliver(group, 5);  // each batch fails on s1 once, then s2 takes it; s1 is out after the first
  EXPECT_EQ(g.sinks[0]->delivered, 5u);
  EXPECT_EQ(g.sinks[0]->attempts, 6u) << "sitting out, s1 is not tried again";
  EXPECT_EQ(g.sinks[1]->delivered, 5u);
  g.sinks[1]->failing = true;
  deliver(group, 3);
  EXPECT_EQ(g.sinks[2]->delivered, 3u);
  // s1 is back and its 2 s are up: it is tried first and takes over.
  g.sinks[0]->failing = false;
  g.now += 2001;
  deliver(group, 4);
  EXPECT_EQ(g.sinks[0]->delivered, 9u);
  EXPECT_EQ(group.active(), "s1");
}

TEST(FailoverSinks, WhenEverySinkFailsTheBatchIsRetriedNeverSkipped) {
  Group g(2, {2, 1});
  FailoverSinks group("g", std::move(g.members), 10'000, g.clock());
  g.sinks[0]->failing = g.sinks[1]->failing = true;
  Delivery d = group.deliver(kOne);
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_NE(d.error.find("s1: down"), std::string::npos) << d.error;
  EXPECT_EQ(group.deliver(kOne).status, DeliveryStatus::retry) << "both sitting out";
  g.sinks[1]->failing = false;
  g.now += 2001;
  EXPECT_EQ(group.deliver(kOne).status, DeliveryStatus::ok);
}

TEST(FailoverSinks, PenaltiesGrowToMaxPenaltyAndNeverOverflow) {
  Group g(2, {2, 1});
  FailoverSinks group("g", std::move(g.members), 30'000, g.clock());
  g.sinks[0]->failing = true;
  // 2 s, 4 s, 8 s, 16 s, then 30 s, even after 40 failures (Flume's int overflowed at 22).
  const int64_t waits[] = {2000, 4000, 8000, 16000, 30000, 30000};
  for (int64_t wait : waits) {
    const size_t attempts = g.sinks[0]->attempts;
    deliver(group, 1);
    ASSERT_EQ(g.sinks[0]->attempts, attempts + 1);
    g.now += wait - 1;
    deliver(group, 1);
    ASSERT_EQ(g.sinks[0]->attempts, attempts + 1) << "still sitting out just before " << wait << " ms";
    g.now += 1;
  }
  for (int i = 0; i < 40; ++i) {
    deliver(group, 1);
    g.now += 30'000;
  }
  const size_t attempts = g.sinks[0]->attempts;
  deliver(group, 1);
  g.now += 29'999;
  deliver(group, 1);
  EXPECT_EQ(g.sinks[0]->attempts, attempts + 1);
}

TEST(LoadBalancedSinks, RoundRobinSharesEvenly) {
  Group g(3);
  LoadBalancedSinks group("g", std::move(g.members), false, false, 30'000, g.clock(), 1);
  deliver(group, 300);
  for (FakeSink* s : g.sinks) EXPECT_EQ(s->delivered, 100u);
}

TEST(LoadBalancedSinks, RoundRobinAFailedSinksShareGoesToTheNext) {
  Group g(3);
  LoadBalancedSinks group("g", std::move(g.members), false, false, 30'000, g.clock(), 1);
  g.sinks[1]->failing = true;
  deliver(group, 300);
  EXPECT_EQ(g.sinks[0]->delivered, 100u);
  EXPECT_EQ(g.sinks[1]->delivered, 0u);
  EXPECT_EQ(g.sinks[2]->delivered, 200u) << "as Flume's testRoundRobinPersistentFailure: 100/0/200";
}

TEST(LoadBalancedSinks, RoundRobinWithBackoffLeavesAFailedSinkOut) {
  Group g(3);
  LoadBalancedSinks group("g", std::move(g.members), false, true, 30'000, g.clock(), 1);
  g.sinks[1]->failing = true;
  deliver(group, 30);
  EXPECT_EQ(g.sinks[1]->attempts, 1u) << "tried once, then sitting out";
  g.sinks[1]->failing = false;
  g.now += 2001;
  deliver(group, 30);
  EXPECT_GT(g.sinks[1]->delivered, 5u);
  EXPECT_EQ(g.sinks[0]->delivered + g.sinks[1]->delivered + g.sinks[2]->delivered, 60u);
}

TEST(LoadBalancedSinks, RandomUsesTheOneWorkingSink) {
  Group g(3);
  LoadBalancedSinks group("g", std::move(g.members), true, false, 30'000, g.clock(), 7);
  g.sinks[0]->failing = g.sinks[2]->failing = true;
  deliver(group, 10);
  EXPECT_EQ(g.sinks[1]->delivered, 10u);
}

TEST(LoadBalancedSinks, RandomSpreadsWithoutFailures) {
  Group g(10);
  LoadBalancedSinks group("g", std::move(g.members), true, false, 30'000, g.clock(), 7);
  deliver(group, 10000);
  size_t total = 0;
  for (FakeSink* s : g.sinks) {
    total += s->delivered;
    EXPECT_GT(s->delivered, 700u);
  }
  EXPECT_EQ(total, 10000u);
}

TEST(LoadBalancedSinks, RandomWithEverySinkOutIsARetryNotACrash) {
  Group g(2);
  LoadBalancedSinks group("g", std::move(g.members), true, true, 30'000, g.clock(), 7);
  g.sinks[0]->failing = g.sinks[1]->failing = true;
  EXPECT_EQ(group.deliver(kOne).status, DeliveryStatus::retry);
  Delivery d = group.deliver(kOne);  // Flume throws IllegalArgumentException here
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_NE(d.error.find("sitting out"), std::string::npos) << d.error;
}

}  // namespace
}  // namespace sluice::sinks
