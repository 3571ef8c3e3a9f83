#include "sinks/common/sink_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "base/time.h"
#include "ringbuf/append.h"
#include "ringbuf/segment_store.h"

namespace sluice::sinks {
namespace {

// Records what it is given; fails the first `failures` deliveries.
class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(int failures) : failures_left_(failures) {}
  Delivery deliver(std::span<const ringbuf::EventView> events) override {
    if (failures_left_.load() > 0) {
      --failures_left_;
      return Delivery::retry("injected failure");
    }
    std::lock_guard lock(mutex_);
    for (const auto& e : events) bodies_.emplace_back(e.body());
    return Delivery::ok();
  }
  void close() override { closed_ = true; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::atomic<int> failures_left_;
  std::atomic<bool> closed_{false};

 private:
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

struct Fixture {
  explicit Fixture(uint32_t shards) {
    ringbuf::LogOptions o;
    o.capacity_bytes = 1 << 20;
    for (uint32_t i = 0; i < shards; ++i)
      logs.push_back(
          std::make_unique<ringbuf::Log>(o, std::make_unique<ringbuf::MemorySegmentStore>(256 << 10), &bell));
  }
  void append(uint32_t shard, const std::string& body, int64_t timestamp_ms = 1) {
    ringbuf::Log* log = logs[shard].get();
    ringbuf::PreparedEvent e{.timestamp_ms = timestamp_ms, .headers = {}, .body = body};
    ASSERT_TRUE(ringbuf::append_event(std::span(&log, 1), e));
    log->publish();
  }
  std::vector<ringbuf::LogReader*> readers() {
    std::vector<ringbuf::LogReader*> r;
    for (auto& l : logs) r.push_back(&l->reader(0));
    return r;
  }
  ringbuf::Doorbell bell;
  std::vector<std::unique_ptr<ringbuf::Log>> logs;
};

TEST(SinkRunner, DeliversEveryShardThenDrainsAndCloses) {
  Fixture f(2);
  auto sink = std::make_unique<RecordingSink>(0);
  RecordingSink* seen = sink.get();
  SinkRunner runner({.name = "k1", .type = "test"}, std::move(sink), f.readers(), &f.bell);
  runner.start();
  for (int i = 0; i < 100; ++i) f.append(i % 2, "e" + std::to_string(i));
  for (auto& l : f.logs) l->close();
  runner.request_drain();
  runner.join();
  EXPECT_TRUE(runner.finished());
  EXPECT_TRUE(seen->closed_);
  EXPECT_EQ(seen->bodies().size(), 100u);
  for (auto& l : f.logs) EXPECT_EQ(l->stats().size_events(), 0u);
}

TEST(SinkRunner, RetriesAFailedBatchAndCommitsNothingUntilItSucceeds) {
  Fixture f(1);
  auto sink = std::make_unique<RecordingSink>(2);
  RecordingSink* seen = sink.get();
  SinkRunner runner({.name = "k1", .type = "test", .retry_backoff_ms_min = 1, .retry_backoff_ms_max = 5},
                    std::move(sink), f.readers(), &f.bell);
  for (int i = 0; i < 10; ++i) f.append(0, "e" + std::to_string(i));
  runner.start();
  f.logs[0]->close();
  runner.request_drain();
  runner.join();
  EXPECT_EQ(seen->failures_left_.load(), 0);
  ASSERT_EQ(seen->bodies().size(), 10u);
  EXPECT_EQ(seen->bodies().front(), "e0");
  base::MetricsWriter w;
  runner.collect(w);
  EXPECT_EQ(w.sum("sluice_sink_errors_total"), 2);
  EXPECT_EQ(w.sum("sluice_sink_drained_events_total"), 10);
}

TEST(SinkRunner, MeasuresTheAgeOfEveryDeliveredEventFromItsTimestamp) {
  Fixture f(2);
  SinkRunner runner({.name = "k1", .type = "test"}, std::make_unique<RecordingSink>(0), f.readers(), &f.bell);
  const int64_t now_ms = base::realtime_ms();
  // 7 events an hour old (past the largest bound), 5 from a minute ago, 3 from the future (a
  // client clock ahead of ours), over both shards.
  for (int i = 0; i < 7; ++i) f.append(i % 2, "old", now_ms - 3'600'000);
  for (int i = 0; i < 5; ++i) f.append(i % 2, "minute", now_ms - 60'000);
  for (int i = 0; i < 3; ++i) f.append(i % 2, "ahead", now_ms + 60'000);
  runner.start();
  for (auto& l : f.logs) l->close();
  runner.request_drain();
  runner.join();
  base::MetricsWriter w;
  runner.collect(w);
  const base::Labels sink = {{"component", "k1"}};
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_count", sink), 15);
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_bucket", {{"le", "0.001"}}), 3);
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_bucket", {{"le", "30"}}), 3);
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_bucket", {{"le", "120"}}), 8);
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_bucket", {{"le", "600"}}), 8);
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_bucket", {{"le", "+Inf"}}), 15);
  // Ages in seconds, up to the test's own run time late.
  const double sum = w.sum("sluice_sink_event_age_seconds_sum");
  EXPECT_GE(sum, 7 * 3600.0 + 5 * 60.0);
  EXPECT_LT(sum, 7 * 3600.0 + 5 * 60.0 + 12 * 60.0);
}

// Refuses for good every event whose body starts with "bad", delivering the others.
class RejectingSink final : public Sink {
 public:
  Delivery deliver(std::span<const ringbuf::EventView> events) override {
    ++deliveries;
    size_t bad = 0;
    for (const auto& e : events) {
      if (e.body().starts_with("bad")) ++bad;
      else delivered.emplace_back(e.body());
    }
    return bad ? Delivery::reject(bad, "the target refused them") : Delivery::ok();
  }
  std::atomic<int> deliveries{0};
  std::vector<std::string> delivered;  // read after join()
};

TEST(SinkRunner, RejectedEventsAreCommittedCountedAndNeverRetried) {
  Fixture f(1);
  auto sink = std::make_unique<RejectingSink>();
  RejectingSink* seen = sink.get();
  SinkRunner runner({.name = "k1", .type = "test", .batch_events_max = 4, .retry_backoff_ms_min = 1}, std::move(sink),
                    f.readers(), &f.bell);
  for (int i = 0; i < 10; ++i) f.append(0, (i % 3 == 0 ? "bad" : "ok") + std::to_string(i));
  runner.start();
  f.logs[0]->close();
  runner.request_drain();
  runner.join();
  EXPECT_EQ(seen->deliveries.load(), 3) << "batches of 4, 4 and 2; none offered again";
  EXPECT_EQ(seen->delivered.size(), 6u);
  EXPECT_EQ(f.logs[0]->stats().size_events(), 0u) << "the rejected events are committed too";
  base::MetricsWriter w;
  runner.collect(w);
  EXPECT_EQ(w.sum("sluice_sink_rejected_events_total", {{"component", "k1"}}), 4);
  EXPECT_EQ(w.sum("sluice_sink_errors_total"), 0);
  EXPECT_EQ(w.sum("sluice_sink_drained_events_total"), 10);
}

TEST(SinkRunner, AbortStopsAFailingSinkWithoutCommitting) {
  Fixture f(1);
  SinkRunner runner({.name = "k1", .type = "test", .retry_backoff_ms_min = 1, .retry_backoff_ms_max = 5},
                    std::make_unique<RecordingSink>(1'000'000), f.readers(), &f.bell);
  f.append(0, "stuck");
  runner.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  runner.request_abort();
  runner.join();
  EXPECT_EQ(f.logs[0]->stats().size_events(), 1u);
}

}  // namespace
}  // namespace sluice::sinks

namespace sluice::sinks {
namespace {

// A pipelined sink with a small window that confirms events in batches, optionally holding
// some back; it reports them in order per shard, as a real one must.
class WindowSink final : public Sink {
 public:
  explicit WindowSink(uint32_t shards, size_t window) : started_(shards), confirmed_(shards), window_(window) {}
  bool pipelined() const override { return true; }
  size_t window(uint32_t shard) const override { return window_ - (started_[shard] - confirmed_[shard]); }
  void start(uint32_t shard, std::span<const ringbuf::EventView> events) override {
    for (const auto& e : events) {
      if (refuse_bad_ && e.body() == "bad") rejections_.add("refused by the test");
      std::lock_guard lock(mutex_);
      bodies_.emplace_back(e.body());
    }
    started_[shard] += events.size();
    max_in_flight_ = std::max(max_in_flight_, started_[shard] - confirmed_[shard]);
  }
  void poll(int64_t, DoneCallback& done) override {
    if (hold_.load()) return;
    for (uint32_t s = 0; s < started_.size(); ++s) {
      size_t n = started_[s] - confirmed_[s];
      if (n == 0) continue;
      confirmed_[s] += n;
      done.done(s, n);
    }
    rejections_.report(done);
  }
  // Refuses the events of shard 0 whose body is "bad" (still reported done).
  void refuse_bad() { refuse_bad_ = true; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::atomic<bool> hold_{false};
  size_t max_in_flight_ = 0;

 private:
  std::vector<size_t> started_, confirmed_;
  size_t window_;
  bool refuse_bad_ = false;
  PendingRejections rejections_;
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

TEST(PipelinedSinkRunner, KeepsWindowsFullAndCommitsWhatIsConfirmed) {
  Fixture f(2);
  auto sink = std::make_unique<WindowSink>(2, 7);
  WindowSink* seen = sink.get();
  SinkRunner runner({.name = "k1", .type = "test", .batch_events_max = 5}, std::move(sink), f.readers(), &f.bell);
  for (int i = 0; i < 300; ++i) f.append(i % 2, "e" + std::to_string(i));
  runner.start();
  for (auto& l : f.logs) l->close();
  runner.request_drain();
  runner.join();
  EXPECT_EQ(seen->bodies().size(), 300u);
  EXPECT_LE(seen->max_in_flight_, 7u);
  for (auto& l : f.logs) EXPECT_EQ(l->stats().size_events(), 0u);
  base::MetricsWriter w;
  runner.collect(w);
  EXPECT_EQ(w.sum("sluice_sink_drained_events_total"), 300);
  // Timestamp 1 (1970) is older than the largest bound: every confirmed event is counted there.
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_count"), 300);
  EXPECT_EQ(w.sum("sluice_sink_event_age_seconds_bucket", {{"le", "600"}}), 0);
}

TEST(PipelinedSinkRunner, RejectionsReportedAtPollAreCounted) {
  Fixture f(2);
  auto sink = std::make_unique<WindowSink>(2, 7);
  sink->refuse_bad();
  SinkRunner runner({.name = "k1", .type = "test", .batch_events_max = 5}, std::move(sink), f.readers(), &f.bell);
  for (int i = 0; i < 40; ++i) f.append(i % 2, i % 4 == 0 ? "bad" : "good");
  runner.start();
  for (auto& l : f.logs) l->close();
  runner.request_drain();
  runner.join();
  for (auto& l : f.logs) EXPECT_EQ(l->stats().size_events(), 0u);
  base::MetricsWriter w;
  runner.collect(w);
  EXPECT_EQ(w.sum("sluice_sink_rejected_events_total"), 10);
  EXPECT_EQ(w.sum("sluice_sink_drained_events_total"), 40);
}

TEST(PipelinedSinkRunner, UnconfirmedEventsAreNotCommitted) {
  Fixture f(1);
  auto sink = std::make_unique<WindowSink>(1, 100);
  sink->hold_ = true;
  SinkRunner runner({.name = "k1", .type = "test"}, std::move(sink), f.readers(), &f.bell);
  for (int i = 0; i < 10; ++i) f.append(0, "held");
  runner.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  runner.request_abort();
  runner.join();
  EXPECT_EQ(f.logs[0]->stats().size_events(), 10u) << "nothing confirmed, nothing committed";
}

}  // namespace
}  // namespace sluice::sinks
