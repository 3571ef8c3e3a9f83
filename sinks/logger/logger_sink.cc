#include "sinks/logger/logger_sink.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/logger.h"

namespace sluice::sinks::logger {

std::string LoggerSink::describe(const ringbuf::EventView& event, size_t body_bytes_max) {
  std::string line = "Event: { headers:{";
  bool first = true;
  event.for_each_header([&](std::string_view key, std::string_view value) {
    if (!first) line += ", ";
    first = false;
    line += key;
    line += '=';
    line += value;
  });
  line += "} body: ";
  std::string_view body = event.body().substr(0, body_bytes_max);
  for (unsigned char c : body) line += fmt::format("{:02X} ", c);
  for (unsigned char c : body) line += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
  if (event.body().size() > body_bytes_max) line += fmt::format("... ({} bytes)", event.body().size());
  line += " }";
  return line;
}

Delivery LoggerSink::deliver(std::span<const ringbuf::EventView> events) {
  for (const auto& event : events)
    base::log_info("sink {}: {}", options_.name, describe(event, options_.body_bytes_max));
  return Delivery::ok();
}

}  // namespace sluice::sinks::logger
