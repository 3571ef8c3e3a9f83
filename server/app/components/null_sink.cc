// The null sink (Flume's NullSink): its options and its builder.
#include <fmt/format.h>

#include "server/app/components/component_type.h"
#include "sinks/null/null_sink.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "null",
      .type_aliases = {"org.apache.flume.sink.NullSink"},
      .description = "Discards every event: for measuring sources and channels.",
      .options = {{.name = "batchSize",
                   .type = OptionType::integer,
                   .default_value = "1000",
                   .description = "Most events taken from the channel at a time. Flume's default is 100.",
                   .min = 1,
                   .max = 1'000'000}},
  };
}

Result<BuiltSink> build_null_sink(const config::ComponentConfig& c, uint32_t shards) {
  BuiltSink built;
  built.batch_events_max = static_cast<size_t>(c.get_int("batchSize"));
  built.description = fmt::format("sink {} (null) discards every event", c.name());
  built.sink = std::make_unique<sinks::null::NullSink>();
  return built;
}

}  // namespace

ComponentType null_sink_type() { return {spec(), &build_null_sink}; }

}  // namespace sluice::app
