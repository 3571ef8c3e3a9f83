// A channel: one Log per shard (each shard appends only to its own), one doorbell its sinks
// sleep on, and the channel's metrics. Built on the main thread before anything runs; then each
// Log follows its own threading contract (ringbuf/log.h) and collect() runs on the admin thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ringbuf/doorbell.h"
#include "ringbuf/log.h"
#include "server/base/metrics.h"

namespace sluice::app {

struct ChannelOptions {
  std::string name;
  std::string type;                  // memory
  uint64_t capacity_bytes = 256ull << 20;  // whole channel; each shard gets an equal share
  uint64_t capacity_events = 0;      // whole channel, 0: bounded by bytes only
  uint32_t segment_bytes = 4u << 20;
  uint32_t shards = 1;
  uint32_t readers = 1;              // sinks reading the channel
};

class Channel {
 public:
  explicit Channel(const ChannelOptions& options);

  const std::string& name() const { return options_.name; }
  ringbuf::Log& log(uint32_t shard) { return *logs_.at(shard); }
  ringbuf::Doorbell& doorbell() { return doorbell_; }
  uint32_t shards() const { return options_.shards; }
  // The largest event record a shard's log can hold.
  size_t record_bytes_max() const { return logs_.front()->record_bytes_max(); }

  void collect(base::MetricsWriter& out) const;

 private:
  const ChannelOptions options_;
  ringbuf::Doorbell doorbell_;
  std::vector<std::unique_ptr<ringbuf::Log>> logs_;
};

}  // namespace sluice::app
