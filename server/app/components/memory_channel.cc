// The memory channel (Flume's MemoryChannel): its options and its builder.
#include <fmt/format.h>

#include "ringbuf/channel.h"
#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::kGiB;
using config::kKiB;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::channel,
      .type = "memory",
      .type_aliases = {"org.apache.flume.channel.MemoryChannel"},
      .description = "Events kept in memory, in a log per shard; lost when the process stops.",
      .options =
          {
              {.name = "capacity",
               .type = OptionType::integer,
               .default_value = "0",
               .description = "Most events the channel holds; 0 bounds it by byteCapacity only. Flume's "
                              "default is 100: sluice bounds channels by bytes instead.",
               .min = 0},
              {.name = "byteCapacity",
               .type = OptionType::bytes,
               .default_value = "256m",
               .description = "Most bytes the channel holds, for the whole channel: each shard gets an "
                              "equal share. Counts whole stored events, headers included (Flume counts "
                              "bodies only and defaults to 80% of the JVM heap).",
               .min = 64 * kKiB},
              {.name = "segmentSize",
               .type = OptionType::bytes,
               .default_value = "4m",
               .description = "sluice: size of each segment of the channel's log. An event larger than "
                              "a segment is refused.",
               .min = 64 * kKiB,
               .max = kGiB},
              {.name = "transactionCapacity",
               .type = OptionType::integer,
               .default_value = "100",
               .description = "Accepted for Flume compatibility; no effect (sources and sinks move "
                              "batches of their own size).",
               .min = 1},
              {.name = "keep-alive",
               .type = OptionType::integer,
               .default_value = "3",
               .description = "Accepted for Flume compatibility; no effect (a full channel pushes back "
                              "on its sources instead of timing out).",
               .min = 0},
              {.name = "byteCapacityBufferPercentage",
               .type = OptionType::integer,
               .default_value = "20",
               .description = "Accepted for Flume compatibility; no effect (byteCapacity already counts "
                              "headers).",
               .min = 0,
               .max = 100},
          },
  };
}

Result<std::unique_ptr<ringbuf::Channel>> build_memory_channel(const config::ComponentConfig& c,
                                                               ringbuf::ChannelOptions o) {
  // A small memory channel gets smaller segments rather than one larger than itself.
  uint64_t segment = o.segment_bytes;
  uint64_t per_shard = o.capacity_bytes / o.shards;
  while (segment > per_shard / 2 && segment > (64 << 10)) segment /= 2;
  segment &= ~uint64_t{7};
  if (per_shard < segment)
    return make_error(fmt::format("{}: {} bytes over {} shards leaves {} per shard, less than one {} byte segment",
                                  c.locate("byteCapacity"), o.capacity_bytes, o.shards, per_shard, segment));
  o.segment_bytes = static_cast<uint32_t>(segment);
  return ringbuf::Channel::open(o);
}

}  // namespace

ComponentType memory_channel_type() { return {spec(), &build_memory_channel}; }

}  // namespace sluice::app
