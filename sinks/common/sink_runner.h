// Drives one sink: a thread that reads batches from every shard's log of the sink's channel
// (one LogReader per shard), hands them to the sink and commits what the sink delivered. Idle,
// it sleeps on the channel's doorbell. Failed deliveries are retried with bounded backoff;
// nothing is committed past a batch that was not delivered.
//
// Threads: construct, start() and stop*() from the main thread; everything else runs on the
// runner's own thread. collect() may run on the admin thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ringbuf/doorbell.h"
#include "ringbuf/log.h"
#include "server/base/counter.h"
#include "server/base/metrics.h"
#include "sinks/common/sink.h"

namespace sluice::sinks {

struct SinkRunnerOptions {
  std::string name;   // the sink's name in the config
  std::string type;   // file_roll, null, ...
  size_t batch_events_max = 1000;
  size_t batch_bytes_max = 4 << 20;
  int64_t retry_backoff_ms_min = 100;
  int64_t retry_backoff_ms_max = 10'000;
};

class SinkRunner {
 public:
  SinkRunner(SinkRunnerOptions options, std::unique_ptr<Sink> sink, std::vector<ringbuf::LogReader*> readers,
             ringbuf::Doorbell* doorbell);
  ~SinkRunner();

  Status open() { return sink_->open(); }
  void start();
  // Ask the runner to finish once every log is closed and drained (graceful shutdown).
  void request_drain() { drain_requested_.store(true, std::memory_order_release); doorbell_->ring(); }
  // Give up now, delivered or not (shutdown timeout).
  void request_abort() { abort_requested_.store(true, std::memory_order_release); doorbell_->ring(); }
  // True once the thread has finished (joined by the destructor or join()).
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  void join();

  void collect(base::MetricsWriter& out) const;
  const std::string& name() const { return options_.name; }

 private:
  void run();
  // Reads one batch from `reader` and delivers it; false when there was nothing to read.
  bool deliver_one_batch(ringbuf::LogReader& reader);
  bool all_drained() const;
  void sleep_backoff(int64_t ms);

  const SinkRunnerOptions options_;
  std::unique_ptr<Sink> sink_;
  std::vector<ringbuf::LogReader*> readers_;
  ringbuf::Doorbell* doorbell_;
  std::vector<ringbuf::EventView> batch_;
  std::thread thread_;
  std::atomic<bool> drain_requested_{false};
  std::atomic<bool> abort_requested_{false};
  std::atomic<bool> finished_{false};
  int64_t backoff_ms_ = 0;
  uint64_t retry_log_suppressed_ = 0;
  int64_t last_retry_log_ms_ = 0;

  base::Counter drained_events_, drained_bytes_, batches_, delivery_errors_;
};

}  // namespace sluice::sinks
