// Flume's `logger` sink: every event to sluice's log (INFO), headers and the first
// maxBytesToLog bytes of the body in hex and text, like Flume's EventHelper. For debugging and
// quick looks, not for volume. Sink thread only.
#pragma once

#include <string>

#include "sinks/common/sink.h"

namespace sluice::sinks::logger {

struct LoggerSinkOptions {
  std::string name;
  size_t body_bytes_max = 16;
};

class LoggerSink final : public Sink {
 public:
  explicit LoggerSink(LoggerSinkOptions options) : options_(std::move(options)) {}
  Delivery deliver(std::span<const ringbuf::EventView> events) override;

  // The line logged for one event (without the log's own prefix).
  static std::string describe(const ringbuf::EventView& event, size_t body_bytes_max);

 private:
  const LoggerSinkOptions options_;
};

}  // namespace sluice::sinks::logger
