// The logger sink (Flume's LoggerSink): its options and its builder.
#include <fmt/format.h>

#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"
#include "sinks/logger/logger_sink.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::kMiB;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "logger",
      .type_aliases = {"org.apache.flume.sink.LoggerSink"},
      .description = "Logs every event at info level; for testing and debugging.",
      .options = {{.name = "maxBytesToLog",
                   .type = OptionType::integer,
                   .default_value = "16",
                   .description = "Most bytes of an event's body that are logged.",
                   .min = 0,
                   .max = 1 * kMiB}},
  };
}

Result<BuiltSink> build_logger_sink(const config::ComponentConfig& c, uint32_t shards) {
  sinks::logger::LoggerSinkOptions o;
  o.name = c.name();
  o.body_bytes_max = static_cast<size_t>(c.get_int("maxBytesToLog"));
  BuiltSink built;
  // No batch-size key: the runner's default batch.
  built.description = fmt::format("sink {} (logger) logs every event", c.name());
  built.sink = std::make_unique<sinks::logger::LoggerSink>(std::move(o));
  return built;
}

}  // namespace

ComponentType logger_sink_type() { return {spec(), &build_logger_sink}; }

}  // namespace sluice::app
