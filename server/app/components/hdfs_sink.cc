// The hdfs sink (Flume's HDFSEventSink, over WebHDFS or file://): its options and its builder.
#include <fmt/format.h>

#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"
#include "sinks/hdfs/hdfs_sink.h"
#include "sinks/hdfs/hdfs_uri.h"
#include "sinks/hdfs/local_file_system.h"
#include "sinks/hdfs/webhdfs_file_system.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::DurationUnit;
using config::invalid_utf8_option;
using config::kGiB;
using config::kKiB;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "hdfs",
      .type_aliases = {"org.apache.flume.sink.hdfs.HDFSEventSink"},
      .description =
          "Writes events to files in HDFS over WebHDFS (webhdfs:// or http:// to the name "
          "node) or in a local file system (file://), named by hdfs.path and hdfs.filePrefix "
          "with Flume's escapes, rolled by count, size, age and idleness, written under an "
          "in-use name and renamed when closed. The channel moves on only over what the file "
          "system acknowledged (WebHDFS 200, or fdatasync), in group commits; after a crash "
          "the files left in use are cut back to what was acknowledged and closed at start.",
      .options =
          {
              {.name = "hdfs.path",
               .description = "Directory URI: webhdfs://namenode:9870/logs/%Y-%m-%d (http:// is the same), "
                              "or file:///var/log/events/%{host}. Flume's escapes: %{header}, %Y %m %d %H "
                              "%M %S %y %j %s %t and the others of Flume's BucketPath.",
               .required = true},
              {.name = "hdfs.filePrefix",
               .default_value = "FlumeData",
               .description = "Start of every file name; the escapes of hdfs.path work here too."},
              {.name = "hdfs.fileSuffix",
               .description = "End of every file name (e.g. .avro); when empty, CompressedStream files end "
                              "with the codec's extension (.gz, .zst)."},
              {.name = "hdfs.inUsePrefix", .description = "Put before the name of a file while it is written."},
              {.name = "hdfs.inUseSuffix",
               .default_value = ".tmp",
               .description = "Put after the name of a file while it is written."},
              {.name = "hdfs.emptyInUseSuffix",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "No in-use suffix (Flume 1.9's switch; the same as hdfs.inUseSuffix = "
                              "empty)."},
              {.name = "hdfs.rollInterval",
               .type = OptionType::duration,
               .default_value = "30",
               .description = "Close a file this many seconds after it was opened; 0 never.",
               .min = 0,
               .unit = DurationUnit::seconds},
              {.name = "hdfs.rollSize",
               .type = OptionType::bytes,
               .default_value = "1024",
               .description = "Close a file once its events' bodies add up to this many bytes; 0 never. "
                              "Flume's default (1 KiB) makes many small files: raise it.",
               .min = 0},
              {.name = "hdfs.rollCount",
               .type = OptionType::integer,
               .default_value = "10",
               .description = "Close a file once it holds this many events; 0 never. Flume's default "
                              "(10) makes many small files: raise it.",
               .min = 0},
              {.name = "hdfs.idleTimeout",
               .type = OptionType::duration,
               .default_value = "0",
               .description = "Close a file that got no event for this many seconds; 0 never.",
               .min = 0,
               .unit = DurationUnit::seconds},
              {.name = "hdfs.batchSize",
               .type = OptionType::integer,
               .default_value = "1000",
               .description = "Most events taken from the channel at a time (Flume's default is 100; "
                              "when they are made durable is hdfs.groupCommit*).",
               .min = 1,
               .max = 1'000'000},
              {.name = "hdfs.maxOpenFiles",
               .type = OptionType::integer,
               .default_value = "5000",
               .description = "Most files open at once; opening one more closes the least recently used.",
               .min = 1,
               .max = 1'000'000},
              {.name = "hdfs.fileType",
               .type = OptionType::enumeration,
               .default_value = "DataStream",
               .description = "DataStream: the serializer's output as is; CompressedStream: compressed "
                              "with hdfs.codeC. (Flume's default, SequenceFile, is not supported: say "
                              "DataStream.)",
               .values = {"DataStream", "CompressedStream"},
               .values_not_supported = {"SequenceFile"}},
              {.name = "hdfs.codeC",
               .default_value = "gzip",
               .description = "CompressedStream's codec: gzip (or GzipCodec) or zstd (or ZStandardCodec). "
                              "Every group commit ends a gzip member or zstd frame, so zcat and zstdcat "
                              "read every file, even one cut short by a crash."},
              {.name = "serializer",
               .type = OptionType::enumeration,
               .default_value = "TEXT",
               .description = "TEXT: the body and a newline; HEADER_AND_TEXT: Flume's {k=v, ...} headers, "
                              "a space, the body; avro_event: an Avro object container file of Flume's "
                              "Event schema (headers and body); JSON (sluice): a JSON object per line, "
                              "invalid UTF-8 written as U+FFFD as file_roll's JSON does.",
               .values = {"TEXT", "HEADER_AND_TEXT", "avro_event", "JSON"}},
              invalid_utf8_option("serializer.invalidUtf8"),
              {.name = "serializer.appendNewline",
               .type = OptionType::boolean,
               .default_value = "true",
               .description = "TEXT: a newline after each body."},
              {.name = "serializer.compressionCodec",
               .default_value = "null",
               .description = "avro_event: the Avro codec of the file's blocks: null, deflate or "
                              "zstandard."},
              {.name = "serializer.syncIntervalBytes",
               .type = OptionType::bytes,
               .default_value = "2048000",
               .description = "avro_event: end an Avro block once it holds this many bytes.",
               .min = 32,
               .max = kGiB},
              {.name = "hdfs.round",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Round the event time down before the time escapes use it."},
              {.name = "hdfs.roundValue",
               .type = OptionType::integer,
               .default_value = "1",
               .description = "Round down to a multiple of this many hdfs.roundUnit.",
               .min = 1,
               .max = 60},
              {.name = "hdfs.roundUnit",
               .type = OptionType::enumeration,
               .default_value = "second",
               .description = "second, minute or hour.",
               .values = {"second", "minute", "hour"}},
              {.name = "hdfs.timeZone",
               .description = "Time zone of the time escapes (an IANA name such as Europe/Paris, or "
                              "GMT+02:00); empty: the machine's."},
              {.name = "hdfs.useLocalTimeStamp",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Time escapes use the time the sink writes the event instead of its "
                              "timestamp header. Without it, an event with no timestamp header cannot "
                              "be placed under a time-escaped path: it is counted and dropped (logged)."},
              {.name = "hdfs.callTimeout",
               .type = OptionType::duration,
               .default_value = "10000",
               .description = "Longest wait for one WebHDFS call, in milliseconds; then it is retried.",
               .min = 100,
               .unit = DurationUnit::milliseconds},
              {.name = "hdfs.user",
               .description = "sluice: WebHDFS user.name (simple authentication); empty: none is sent "
                              "(the cluster's static user)."},
              {.name = "hdfs.delegationToken",
               .description = "sluice: a WebHDFS delegation token (delegation=) for a secure cluster; "
                              "wins over hdfs.user."},
              {.name = "hdfs.groupCommitBytes",
               .type = OptionType::bytes,
               .default_value = "8m",
               .description = "sluice: send what is pending (WebHDFS APPEND, or write and fdatasync) "
                              "once this many bytes wait; also when the channel has nothing more, and "
                              "after hdfs.groupCommitInterval.",
               .min = 4 * kKiB,
               .max = kGiB},
              {.name = "hdfs.groupCommitInterval",
               .type = OptionType::duration,
               .default_value = "200ms",
               .description = "sluice: the longest an event waits before its file is sent.",
               .min = 1,
               .max = 600'000,
               .unit = DurationUnit::milliseconds},
              {.name = "hdfs.stateDir",
               .default_value = "./var/hdfs-state",
               .description = "sluice: directory of the sink's journal (<sink name>.journal): the files "
                              "in use and how much of each is acknowledged, for closing them after a "
                              "crash. Keep it on a local disk; two sluice agents cannot share one."},
              {.name = "hdfs.closeTries",
               .type = OptionType::integer,
               .default_value = "0",
               .description = "Accepted for Flume compatibility; sluice retries closing a file until it "
                              "succeeds (and closes leftovers at the next start).",
               .min = 0},
              {.name = "hdfs.retryInterval",
               .type = OptionType::duration,
               .default_value = "180",
               .description = "Accepted for Flume compatibility; failed calls back off from 100 ms to 10 s.",
               .min = 0,
               .unit = DurationUnit::seconds},
              {.name = "hdfs.threadsPoolSize",
               .type = OptionType::integer,
               .default_value = "10",
               .description = "Accepted for Flume compatibility; no effect.",
               .min = 1},
              {.name = "hdfs.rollTimerPoolSize",
               .type = OptionType::integer,
               .default_value = "1",
               .description = "Accepted for Flume compatibility; no effect.",
               .min = 1},
              {.name = "hdfs.minBlockReplicas",
               .type = OptionType::integer,
               .default_value = "0",
               .description = "Accepted for Flume compatibility; no effect (the name node decides).",
               .min = 0},
              {.name = "hdfs.writeFormat",
               .default_value = "Writable",
               .description = "Accepted for Flume compatibility (a SequenceFile setting); no effect."},
          },
      .flume_options_not_supported = {"hdfs.kerberosPrincipal", "hdfs.kerberosKeytab", "hdfs.proxyUser",
                                      "serializer.schemaURL"},
  };
}

// The hdfs sink's options from its configuration; errors name the key.
Result<std::unique_ptr<sinks::hdfs::HdfsSinkOptions>> hdfs_sink_options(const config::ComponentConfig& c,
                                                                        uint32_t shards) {
  namespace hdfs = sinks::hdfs;
  auto o = std::make_unique<hdfs::HdfsSinkOptions>();
  o->name = c.name();
  o->shards = shards;
  auto uri = hdfs::parse_hdfs_uri(c.get_string("hdfs.path"));
  if (!uri.ok()) return make_error(fmt::format("{}: {}", c.locate("hdfs.path"), uri.error().message));
  o->path = uri->path;
  if (uri->scheme == hdfs::HdfsUri::Scheme::file) {
    o->file_system = std::make_unique<hdfs::LocalFileSystem>();
  } else {
    hdfs::WebHdfsOptions w;
    w.host = uri->host;
    w.port = uri->port;
    w.user = c.get_string("hdfs.user");
    w.delegation = c.get_string("hdfs.delegationToken");
    w.call_timeout_ms = c.get_duration_ms("hdfs.callTimeout");
    o->file_system = std::make_unique<hdfs::WebHdfsFileSystem>(std::move(w));
  }
  o->file_prefix = c.get_string("hdfs.filePrefix");
  o->file_suffix = c.get_string("hdfs.fileSuffix");
  o->in_use_prefix = c.get_string("hdfs.inUsePrefix");
  o->in_use_suffix = c.get_bool("hdfs.emptyInUseSuffix") ? std::string() : c.get_string("hdfs.inUseSuffix");
  o->path_options.time_zone = c.get_string("hdfs.timeZone");
  o->path_options.use_local_time_stamp = c.get_bool("hdfs.useLocalTimeStamp");
  if (c.get_bool("hdfs.round")) {
    auto unit = hdfs::parse_round_unit(c.get_enum("hdfs.roundUnit"));
    o->path_options.round_unit = unit.value();  // the schema allows only the three units
    o->path_options.round_value = static_cast<int>(c.get_int("hdfs.roundValue"));
    if (Status s = o->path_options.validate(); !s)
      return make_error(fmt::format("{}: {}", c.locate("hdfs.roundValue"), s.message()));
  }
  o->roll_interval_ms = c.get_duration_ms("hdfs.rollInterval");
  o->roll_size_bytes = c.get_bytes("hdfs.rollSize");
  o->roll_count = static_cast<uint64_t>(c.get_int("hdfs.rollCount"));
  o->idle_timeout_ms = c.get_duration_ms("hdfs.idleTimeout");
  o->max_open_files = static_cast<size_t>(c.get_int("hdfs.maxOpenFiles"));
  o->group_commit_bytes = c.get_bytes("hdfs.groupCommitBytes");
  o->group_commit_interval_ms = c.get_duration_ms("hdfs.groupCommitInterval");
  o->journal_path = c.get_string("hdfs.stateDir") + "/" + c.name() + ".journal";

  hdfs::FileWriterOptions& w = o->writer;
  w.file_type = c.get_enum("hdfs.fileType") == "CompressedStream" ? hdfs::FileType::compressed_stream
                                                                  : hdfs::FileType::data_stream;
  auto serializer = hdfs::parse_serializer(c.get_enum("serializer"));
  if (!serializer.ok()) return make_error(fmt::format("{}: {}", c.locate("serializer"), serializer.error().message));
  w.serializer = serializer.value();
  w.append_newline = c.get_bool("serializer.appendNewline");
  w.invalid_utf8 = sinks::invalid_utf8_named(c.get_enum("serializer.invalidUtf8"));
  if (w.file_type == hdfs::FileType::compressed_stream) {
    auto codec = hdfs::parse_stream_codec(c.get_string("hdfs.codeC"));
    if (!codec.ok()) return make_error(fmt::format("{}: {}", c.locate("hdfs.codeC"), codec.error().message));
    w.stream_codec = codec.value();
  }
  if (w.serializer == hdfs::SerializerType::avro_event) {
    auto codec = hdfs::parse_avro_codec(c.get_string("serializer.compressionCodec"));
    if (!codec.ok())
      return make_error(fmt::format("{}: {}", c.locate("serializer.compressionCodec"), codec.error().message));
    w.avro_codec = codec.value();
    w.avro_sync_interval_bytes = c.get_bytes("serializer.syncIntervalBytes");
  }
  if (Status s = w.validate(); !s) return make_error(fmt::format("sink {}: {}", c.name(), s.message()));
  return o;
}

Result<BuiltSink> build_hdfs_sink(const config::ComponentConfig& c, uint32_t shards) {
  auto o = hdfs_sink_options(c, shards);
  if (!o.ok()) return make_error(o.error().message);
  BuiltSink built;
  built.batch_events_max = static_cast<size_t>(c.get_int("hdfs.batchSize"));
  built.description = fmt::format("sink {} (hdfs) writes {} files to {}{}", c.name(), c.get_enum("hdfs.fileType"),
                                  o.value()->file_system->describe(), o.value()->path);
  built.sink = std::make_unique<sinks::hdfs::HdfsSink>(std::move(*o.value()));
  return built;
}

}  // namespace

ComponentType hdfs_sink_type() { return {spec(), &build_hdfs_sink}; }

}  // namespace sluice::app
