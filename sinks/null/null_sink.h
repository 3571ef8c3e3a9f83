// Flume's `null` sink: takes every event and discards it. Measures everything up to the sink.
// Sink thread only.
#pragma once

#include "sinks/common/sink.h"

namespace sluice::sinks::null {

class NullSink final : public Sink {
 public:
  Delivery deliver(std::span<const ringbuf::EventView> events) override { return Delivery::ok(); }
};

}  // namespace sluice::sinks::null
