// The file channel (Flume's FileChannel; sluice's own segment format, see docs/CHANNELS.md): its
// options and its builder.
#include <algorithm>

#include <fmt/format.h>

#include "ringbuf/channel.h"
#include "ringbuf/checkpoint.h"
#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::DurationUnit;
using config::kGiB;
using config::kKiB;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::channel,
      .type = "file",
      .type_aliases = {"org.apache.flume.channel.file.FileChannel"},
      .description =
          "Events kept in preallocated, memory-mapped segment files (a write-ahead log per "
          "shard) that survive a restart: after a crash the channel recovers from its files "
          "and every sink resumes from its checkpoint (at-least-once). Data lives under "
          "<dataDir>/<channel name>/shard-<n>.",
      .options =
          {
              {.name = "dataDirs",
               .type = OptionType::list,
               .default_value = "./var/channel",
               .description = "Directories for the segment files, separated by blanks; shard n uses "
                              "the (n mod count)-th, so several disks share the load. A directory "
                              "holding files of an incompatible format is a start-up error."},
              {.name = "checkpointDir",
               .description = "Directory for the checkpoints (where every sink has got to); empty: "
                              "next to the segments."},
              {.name = "durability",
               .type = OptionType::enumeration,
               .default_value = "fsync",
               .description = "os: an event is stored once it is in the page cache (survives a crash "
                              "of sluice, kill -9 included, not a power cut). fsync: group commit, one "
                              "fdatasync covers every append since the last; sinks see (and sources "
                              "acknowledge) an event only once it is on disk, like Flume's file channel.",
               .values = {"os", "fsync"}},
              {.name = "groupCommitInterval",
               .type = OptionType::duration,
               .default_value = "10ms",
               .description = "fsync: longest time an appended event waits for its fdatasync.",
               .min = 0,
               .max = 60'000,
               .unit = DurationUnit::milliseconds},
              {.name = "groupCommitBytes",
               .type = OptionType::bytes,
               .default_value = "16m",
               .description = "fsync: start the fdatasync early once this many bytes wait for it.",
               .min = 4 * kKiB},
              {.name = "capacity",
               .type = OptionType::integer,
               .default_value = "0",
               .description = "Most events the channel holds; 0 bounds it by byteCapacity only. "
                              "Flume's default is 1000000.",
               .min = 0},
              {.name = "byteCapacity",
               .type = OptionType::bytes,
               .default_value = "0",
               .description = "Most bytes of disk the channel's undelivered events take, for the "
                              "whole channel (each shard gets an equal share, at least two segments). "
                              "A full channel pushes back on its sources. 0: 4g, or 4 segments per "
                              "shard if that is more.",
               .min = 0},
              {.name = "segmentSize",
               .type = OptionType::bytes,
               .default_value = "64m",
               .description = "Size of each segment file (preallocated). Flume's maxFileSize is "
                              "accepted as a name for it.",
               .aliases = {"maxFileSize"},
               .min = 256 * kKiB,
               .max = kGiB},
              {.name = "checkpointInterval",
               .type = OptionType::duration,
               .default_value = "1000",
               .description = "How often every sink's position is saved, in milliseconds; a crash "
                              "redelivers at most what was delivered since (Flume's default is 30000).",
               .min = 10,
               .unit = DurationUnit::milliseconds},
              {.name = "minimumRequiredSpace",
               .type = OptionType::bytes,
               .default_value = "0",
               .description = "Do not create a new segment when the disk would be left with less free "
                              "space than this; the channel pushes back until space returns.",
               .min = 0},
              {.name = "transactionCapacity",
               .type = OptionType::integer,
               .default_value = "10000",
               .description = "Accepted for Flume compatibility; no effect.",
               .min = 1},
              {.name = "keep-alive",
               .type = OptionType::integer,
               .default_value = "3",
               .description = "Accepted for Flume compatibility; no effect.",
               .min = 0},
              {.name = "checkpointOnClose",
               .type = OptionType::boolean,
               .default_value = "true",
               .description = "Accepted for Flume compatibility; sluice always checkpoints on a clean "
                              "stop."},
              {.name = "useDualCheckpoints",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Accepted for Flume compatibility; sluice's checkpoint always keeps two "
                              "copies."},
              {.name = "backupCheckpointDir",
               .description = "Accepted for Flume compatibility; no effect (see useDualCheckpoints)."},
              {.name = "use-fast-replay",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Accepted for Flume compatibility; no effect (recovery reads segments "
                              "directly)."},
              {.name = "use-log-replay-v1",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Accepted for Flume compatibility; no effect."},
          },
      .flume_options_not_supported = {"fsyncPerTransaction", "fsyncInterval", "encryption.activeKey",
                                      "encryption.cipherProvider", "encryption.keyProvider",
                                      "encryption.keyProvider.keyStoreFile", "encryption.keys"},
  };
}

Result<std::unique_ptr<ringbuf::Channel>> build_file_channel(const config::ComponentConfig& c,
                                                             ringbuf::ChannelOptions o) {
  // A file channel's segment size is part of its files: it is never adjusted behind the user's
  // back (a restart with other settings would not find its segments).
  const uint64_t segment = o.segment_bytes;
  o.durability = c.get_enum("durability") == "fsync" ? ringbuf::Durability::fsync : ringbuf::Durability::os;
  o.data_dirs = c.get_list("dataDirs");
  if (o.data_dirs.empty()) return make_error(fmt::format("{}: needs at least one directory", c.locate("dataDirs")));
  o.checkpoint_dir = c.get_string("checkpointDir");
  o.group_commit_interval_ms = c.get_duration_ms("groupCommitInterval");
  o.group_commit_bytes = c.get_bytes("groupCommitBytes");
  o.checkpoint_interval_ms = c.get_duration_ms("checkpointInterval");
  o.minimum_free_bytes = c.get_bytes("minimumRequiredSpace");
  for (const std::string& reader : o.readers)
    if (reader.size() > ringbuf::kCheckpointNameBytesMax)
      return make_error(
          fmt::format("channel {}: sink name '{}' is longer than the {} bytes a file channel's "
                      "checkpoint holds",
                      c.name(), reader, ringbuf::kCheckpointNameBytesMax));
  if (o.capacity_bytes == 0) o.capacity_bytes = std::max<uint64_t>(4ull << 30, 4 * segment * o.shards);
  if (o.capacity_bytes / o.shards < 2 * segment)
    return make_error(
        fmt::format("{}: {} bytes over {} shards leaves {} per shard; each shard needs at least "
                    "two {}-byte segments: raise byteCapacity to {} or lower segmentSize",
                    c.locate("byteCapacity"), o.capacity_bytes, o.shards, o.capacity_bytes / o.shards, segment,
                    2 * segment * o.shards));
  return ringbuf::Channel::open(o);
}

}  // namespace

ComponentType file_channel_type() { return {spec(), &build_file_channel}; }

}  // namespace sluice::app
