// Drives one sink: a thread that reads batches from every shard's log of the sink's channel
// (one EventPort per shard: the shard's LogReader, or a share of it; event_port.h), hands them to the sink and commits
// what the sink delivered. Idle, it sleeps on the channel's doorbell. Failed deliveries are retried with bounded
// backoff; nothing is committed past a batch that was not delivered.
//
// It also measures how old events are when they are delivered: the delivery time minus each
// event's timestamp (a syslog message's own time, a `timestamp` header, or else the time the
// source received it), as the histogram sluice_sink_event_age_seconds. With clients that stamp
// their send time (sluice-bench does) that is the latency from send to sink delivery.
//
// Threads: construct, start() and stop*() from the main thread; everything else runs on the
// runner's own thread. collect() may run on the admin thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/counter.h"
#include "base/histogram.h"
#include "base/logger.h"
#include "base/metrics.h"
#include "ringbuf/doorbell.h"
#include "ringbuf/log.h"
#include "sinks/common/event_port.h"
#include "sinks/common/sink.h"

namespace sluice::sinks {

struct SinkRunnerOptions {
  std::string name;  // the sink's name in the config
  std::string type;  // file_roll, null, ...
  size_t batch_events_max = 1000;
  size_t batch_bytes_max = 4 << 20;
  int64_t retry_backoff_ms_min = 100;
  int64_t retry_backoff_ms_max = 10'000;
  // When the last wake-up found fewer than gather_below_events to read, the next one waits
  // gather_us before reading (0: never): a trickle of small publishes (a request/response
  // source publishes each call's 100 events on its own) then makes one wake-up per gather_us
  // instead of one per publish. A streaming load reads many events per wake-up and never
  // waits. Costs at most gather_us of delivery latency; acknowledgements do not wait for sinks.
  int64_t gather_us = 200;
  size_t gather_below_events = 1024;
};

class SinkRunner final : private DoneCallback {
 public:
  // The runner is its channel's only consumer: it reads each shard's log directly.
  SinkRunner(SinkRunnerOptions options, std::unique_ptr<Sink> sink, std::vector<ringbuf::LogReader*> readers,
             ringbuf::Doorbell* doorbell);
  // The runner reads each shard through `ports` (a share of a channel other sinks read too).
  SinkRunner(SinkRunnerOptions options, std::unique_ptr<Sink> sink, std::vector<std::unique_ptr<EventPort>> ports,
             ringbuf::Doorbell* doorbell);
  ~SinkRunner();

  Status open() { return sink_->open(); }
  void start();
  // Ask the runner to finish once every log is closed and drained (graceful shutdown).
  void request_drain() {
    drain_requested_.store(true, std::memory_order_release);
    doorbell_->ring();
  }
  // Give up now, delivered or not (shutdown timeout).
  void request_abort() {
    abort_requested_.store(true, std::memory_order_release);
    sink_->interrupt();
    doorbell_->ring();
  }
  // True once the thread has finished (joined by the destructor or join()).
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  void join();

  void collect(base::MetricsWriter& out) const;
  const std::string& name() const { return options_.name; }

 private:
  void run();
  // Synchronous sinks: one batch at a time, committed when delivered.
  void run_synchronous();
  // Pipelined sinks: keep each shard's window full, commit what the sink reports done.
  void run_pipelined();
  // Reads one batch from `reader` and delivers it; false when there was nothing to read.
  bool deliver_one_batch(EventPort& reader);
  // Sleeps on the doorbell until a shard publishes, or `timeout_ms` (false: work is waiting).
  void wait_for_events(int64_t timeout_ms);
  void done(uint32_t shard, size_t count) override;
  // Counts and logs (rate-limited) events the sink refused for good.
  void rejected(size_t count, std::string_view why) override;
  bool all_drained() const;
  void sleep_backoff(int64_t ms);
  // Counts events [first, last) as delivered now: their ages and bytes. Before the commit, which
  // may let the producer reuse their bytes.
  template <typename It>
  void count_delivered(It first, It last);

  const SinkRunnerOptions options_;
  std::unique_ptr<Sink> sink_;
  std::vector<std::unique_ptr<EventPort>> readers_;  // one per shard
  ringbuf::Doorbell* doorbell_;
  std::vector<ringbuf::EventView> batch_;
  // Pipelined sinks: per shard, the events started and not yet reported done, oldest first.
  std::vector<std::deque<ringbuf::EventView>> in_flight_;
  size_t in_flight_total_ = 0;
  std::thread thread_;
  std::atomic<bool> drain_requested_{false};
  std::atomic<bool> abort_requested_{false};
  std::atomic<bool> finished_{false};
  // Events read since the last wake-up from the doorbell, and whether the next one gathers.
  uint64_t read_since_wake_ = 0;
  int64_t backoff_ms_ = 0;
  uint64_t retry_log_suppressed_ = 0;
  int64_t last_retry_log_ms_ = 0;

  base::Counter drained_events_, drained_bytes_, batches_, delivery_errors_, rejected_events_;
  base::RateLimitedLog rejection_log_{1, 10'000};
  base::Histogram event_age_us_;
};

}  // namespace sluice::sinks
