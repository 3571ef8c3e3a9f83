// The seq source (Flume's SequenceGeneratorSource): its options and its builder.
#include <memory>

#include "server/app/assembly.h"
#include "server/app/components/component_type.h"
#include "server/sources/seq_source.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "seq",
      .type_aliases = {"org.apache.flume.source.SequenceGeneratorSource"},
      .description =
          "Flume's sequence generator, for tests and demos: events whose bodies are 0, 1, 2, ... "
          "in decimal, without headers, stored in order, each once (a batch a full channel "
          "refuses is offered again). Runs on the first shard; once totalEvents are stored it "
          "idles.",
      .options =
          {
              {.name = "totalEvents",
               .type = OptionType::integer,
               .default_value = "9223372036854775807",
               .description = "How many events to generate (Flume's default: Long.MAX_VALUE, endless).",
               .min = 0},
              {.name = "batchSize",
               .type = OptionType::integer,
               .default_value = "1",
               .description = "Events per channel put, stored all or none.",
               .min = 1,
               .max = 100'000},
          },
  };
}

Status build_seq_source(const config::ComponentConfig& c, Assembly& assembly) {
  auto o = std::make_unique<sources::SeqSourceOptions>();
  o->name = c.name();
  o->total_events = static_cast<uint64_t>(c.get_int("totalEvents"));
  o->batch_size = static_cast<uint32_t>(c.get_int("batchSize"));
  auto writers = assembly.writers_of(c);
  if (!writers.ok()) return writers.error();
  const sources::SeqSourceOptions& options = assembly.keep(std::move(o));
  // One generator, as in Flume: on the first shard only, so the numbers stay in one order.
  auto& probe = assembly.add_source_probe(options.name, "seq", 0);
  assembly.add_shard_source(0, std::make_unique<sources::SeqSource>(options, std::move(writers.value()[0]), probe));
  return {};
}

}  // namespace

ComponentType seq_source_type() { return {spec(), &build_seq_source}; }

}  // namespace sluice::app
