// The interface every sink implements. A sink runs on its own thread (the SinkRunner's), which
// is the only thread that calls these methods.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/metrics.h"
#include "base/result.h"
#include "ringbuf/record.h"

namespace sluice::sinks {

enum class DeliveryStatus {
  ok,      // the batch is safely delivered: the runner commits it
  retry,   // a passing failure: the runner backs off and offers the same batch again
  reject,  // done, but `rejected` of its events can never be delivered (the sink dropped or
           // dead-lettered them): the runner commits the batch, counts and logs them
};

struct Delivery {
  DeliveryStatus status = DeliveryStatus::ok;
  std::string error;  // retry: what went wrong; reject: why the events were refused (for the log)
  size_t rejected = 0;
  static Delivery ok() { return {}; }
  static Delivery retry(std::string why) { return {DeliveryStatus::retry, std::move(why)}; }
  static Delivery reject(size_t events, std::string why) { return {DeliveryStatus::reject, std::move(why), events}; }
};

// How a pipelined sink reports progress: `count` more of the oldest events it started for
// `shard` are done, in order (delivered, or refused for good and reported with rejected()).
class DoneCallback {
 public:
  virtual void done(uint32_t shard, size_t count) = 0;
  // `count` events the sink took can never be delivered (dropped or dead-lettered); they are
  // reported done() like the others. `why` is for the log.
  virtual void rejected(size_t count, std::string_view why) = 0;

 protected:
  ~DoneCallback() = default;
};

// For pipelined sinks: events refused outside poll() (in start()), reported at the next poll().
class PendingRejections {
 public:
  void add(std::string_view why) {
    ++count_;
    why_.assign(why);
  }
  void report(DoneCallback& done) {
    if (count_ == 0) return;
    done.rejected(count_, why_);
    count_ = 0;
  }

 private:
  size_t count_ = 0;
  std::string why_;  // the last one's (a line of the log, not a record of each)
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Before the first batch (open files, connect). An error here stops sluice at start-up.
  virtual Status open() { return {}; }
  // Delivers `events` (one shard's, in order). The views stay valid until the runner commits.
  // Synchronous sinks implement this; pipelined ones the four below instead.
  virtual Delivery deliver(std::span<const ringbuf::EventView> events) { return Delivery::retry("not implemented"); }

  // Pipelined sinks (Kafka) keep many events in flight and report them done as the target
  // confirms; the runner commits each shard over the contiguous prefix reported done.
  virtual bool pipelined() const { return false; }
  // How many more events of `shard` the sink would take now (its in-flight window).
  virtual size_t window(uint32_t shard) const { return 0; }
  // Starts delivering `events` of `shard`, which follow in log order the ones started before.
  // The views stay valid until the sink reports them done.
  virtual void start(uint32_t shard, std::span<const ringbuf::EventView> events) {}
  // Waits up to `timeout_ms` for confirmations (0: only what is there) and reports them.
  virtual void poll(int64_t timeout_ms, DoneCallback& done) {}
  // Called at least every `tick_interval_ms()` and after every batch: timers such as rolls.
  virtual void tick(int64_t now_ms) {}
  virtual int64_t tick_interval_ms() const { return 1000; }
  // Any thread (the runner's request_abort): make a deliver() that is blocked on a peer return
  // soon, as a retry. Must be thread-safe.
  virtual void interrupt() {}
  // Flushes and closes: no more batches will come. A pipelined sink stops with its events in
  // flight unconfirmed (they are not committed, so a restart delivers them again).
  virtual void close() {}
  // Sink-specific metrics (admin thread; read only what is safe to read concurrently).
  virtual void collect(base::MetricsWriter& out, const base::Labels& labels) const {}
};

}  // namespace sluice::sinks
