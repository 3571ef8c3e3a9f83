// Sinks sharing one channel (sinks/common/event_port.h): each event goes to one consumer, the
// log is committed only over what every earlier consumer is done with, and a batch given back
// goes to the next reader first.
#include "sinks/common/event_port.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/segment_store.h"
#include "sinks/common/sink_runner.h"

namespace sluice::sinks {
namespace {

struct SharedLog {
  SharedLog() {
    ringbuf::LogOptions o;
    o.capacity_bytes = 1 << 20;
    log = std::make_unique<ringbuf::Log>(o, std::make_unique<ringbuf::MemorySegmentStore>(64 << 10), &bell);
  }
  void append(int count, int first = 0) {
    for (int i = first; i < first + count; ++i) {
      std::string body = "e" + std::to_string(i);
      ringbuf::Log* l = log.get();
      ASSERT_TRUE(ringbuf::append_event(std::span(&l, 1), ringbuf::PreparedEvent{1, {}, body}));
    }
    log->publish();
  }
  ringbuf::Doorbell bell;
  std::unique_ptr<ringbuf::Log> log;
};

std::vector<std::string> bodies(const std::vector<ringbuf::EventView>& views) {
  std::vector<std::string> out;
  for (const auto& v : views) out.emplace_back(v.body());
  return out;
}

TEST(SharedLogReader, ConsumersGetDifferentEvents) {
  SharedLog f;
  f.append(6);
  SharedLogReader shared(f.log->reader(0));
  auto a = shared.port(), b = shared.port();
  std::vector<ringbuf::EventView> got_a, got_b;
  EXPECT_EQ(a->read(got_a, 3, SIZE_MAX), 3u);
  EXPECT_EQ(b->read(got_b, 3, SIZE_MAX), 3u);
  EXPECT_EQ(bodies(got_a), (std::vector<std::string>{"e0", "e1", "e2"}));
  EXPECT_EQ(bodies(got_b), (std::vector<std::string>{"e3", "e4", "e5"}));
  EXPECT_FALSE(a->has_unread());
}

TEST(SharedLogReader, TheLogIsCommittedOnlyOverThePrefixThatIsDone) {
  SharedLog f;
  f.append(6);
  ringbuf::LogReader& reader = f.log->reader(0);
  SharedLogReader shared(reader);
  auto a = shared.port(), b = shared.port();
  std::vector<ringbuf::EventView> got_a, got_b;
  a->read(got_a, 3, SIZE_MAX);
  b->read(got_b, 3, SIZE_MAX);
  const uint64_t start = reader.committed_position();
  b->commit();  // the later batch is done first
  EXPECT_EQ(reader.committed_position(), start) << "e0-e2 are still out: a crash must deliver them again";
  EXPECT_TRUE(a->has_uncommitted());
  EXPECT_FALSE(b->has_uncommitted());
  a->commit();
  EXPECT_GT(reader.committed_position(), start);
  EXPECT_FALSE(reader.has_uncommitted()) << "both batches done: all of it committed";
}

TEST(SharedLogReader, AGivenBackBatchGoesToTheNextReaderFirst) {
  SharedLog f;
  f.append(4);
  SharedLogReader shared(f.log->reader(0));
  auto a = shared.port(), b = shared.port();
  std::vector<ringbuf::EventView> got;
  a->read(got, 2, SIZE_MAX);
  a->rewind();  // a's sink failed and is stopping
  got.clear();
  EXPECT_TRUE(b->has_unread());
  EXPECT_EQ(b->read(got, 1, SIZE_MAX), 2u) << "the whole given-back batch, whatever b asked for";
  EXPECT_EQ(bodies(got), (std::vector<std::string>{"e0", "e1"}));
  EXPECT_EQ(shared.redelivered_events(), 2u);
  got.clear();
  EXPECT_EQ(b->read(got, 10, SIZE_MAX), 2u);
  EXPECT_EQ(bodies(got), (std::vector<std::string>{"e2", "e3"}));
  b->commit();
  f.log->close();
  EXPECT_TRUE(a->drained());
}

TEST(SharedLogReader, APartlyDoneBatchHoldsTheCommit) {
  SharedLog f;
  f.append(4);
  ringbuf::LogReader& reader = f.log->reader(0);
  SharedLogReader shared(reader);
  auto a = shared.port();
  std::vector<ringbuf::EventView> got;
  a->read(got, 4, SIZE_MAX);
  const uint64_t start = reader.committed_position();
  a->commit_through(got[1]);  // a pipelined sink confirmed two of four
  EXPECT_EQ(reader.committed_position(), start);
  a->commit_through(got[3]);
  EXPECT_GT(reader.committed_position(), start);
}

// Two runners on one channel, as two sinks outside a group: every event delivered exactly once.
class CountingSink final : public Sink {
 public:
  Delivery deliver(std::span<const ringbuf::EventView> events) override {
    std::lock_guard lock(mutex);
    for (const auto& e : events) bodies.insert(std::string(e.body()));
    delivered += events.size();
    return Delivery::ok();
  }
  std::mutex mutex;
  std::multiset<std::string> bodies;
  size_t delivered = 0;
};

TEST(SharedLogReader, TwoSinkRunnersShareTheChannelsEvents) {
  SharedLog f;
  SharedLogReader shared(f.log->reader(0));
  auto sink_a = std::make_unique<CountingSink>(), sink_b = std::make_unique<CountingSink>();
  CountingSink *a = sink_a.get(), *b = sink_b.get();
  std::vector<std::unique_ptr<EventPort>> ports_a, ports_b;
  ports_a.push_back(shared.port());
  ports_b.push_back(shared.port());
  SinkRunnerOptions oa{.name = "a", .type = "test", .batch_events_max = 7};
  SinkRunnerOptions ob{.name = "b", .type = "test", .batch_events_max = 7};
  SinkRunner ra(oa, std::move(sink_a), std::move(ports_a), &f.bell);
  SinkRunner rb(ob, std::move(sink_b), std::move(ports_b), &f.bell);
  ra.start();
  rb.start();
  for (int round = 0; round < 50; ++round) f.append(20, round * 20);
  f.log->close();
  ra.request_drain();
  rb.request_drain();
  ra.join();
  rb.join();
  EXPECT_EQ(a->delivered + b->delivered, 1000u);
  std::multiset<std::string> all = a->bodies;
  all.insert(b->bodies.begin(), b->bodies.end());
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 1000u) << "none twice";
  EXPECT_TRUE(f.log->reader(0).drained());
}

}  // namespace
}  // namespace sluice::sinks
