// The interface every sink implements. A sink runs on its own thread (the SinkRunner's), which
// is the only thread that calls these methods.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "ringbuf/record.h"
#include "server/base/metrics.h"
#include "server/base/result.h"

namespace sluice::sinks {

enum class DeliveryStatus {
  ok,     // the batch is safely delivered: the runner commits it
  retry,  // a passing failure: the runner backs off and offers the same batch again
};

struct Delivery {
  DeliveryStatus status = DeliveryStatus::ok;
  std::string error;  // for retry: what went wrong, for the log
  static Delivery ok() { return {}; }
  static Delivery retry(std::string why) { return {DeliveryStatus::retry, std::move(why)}; }
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Before the first batch (open files, connect). An error here stops sluice at start-up.
  virtual Status open() { return {}; }
  // Delivers `events` (one shard's, in order). The views stay valid until the runner commits.
  virtual Delivery deliver(std::span<const ringbuf::EventView> events) = 0;
  // Called at least every `tick_interval_ms()` and after every batch: timers such as rolls.
  virtual void tick(int64_t now_ms) {}
  virtual int64_t tick_interval_ms() const { return 1000; }
  // Flushes and closes: no more batches will come.
  virtual void close() {}
  // Sink-specific metrics (admin thread; read only what is safe to read concurrently).
  virtual void collect(base::MetricsWriter& out, const base::Labels& labels) const {}
};

}  // namespace sluice::sinks
