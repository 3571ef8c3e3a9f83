#include "server/app/agent.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <liburing.h>

#include "base/log.h"
#include "base/net.h"
#include "base/time.h"
#include "server/sources/http_source.h"
#include "server/sources/syslog_tcp_source.h"
#include "server/sources/syslog_udp_source.h"
#include "sinks/avro/avro_sink.h"
#include "sinks/file_roll/file_roll_sink.h"
#include "sinks/hdfs/hdfs_sink.h"
#include "sinks/hdfs/hdfs_uri.h"
#include "sinks/hdfs/local_file_system.h"
#include "sinks/hdfs/webhdfs_file_system.h"
#include "sinks/kafka/kafka_sink.h"
#include "sinks/logger/logger_sink.h"
#include "sinks/null/null_sink.h"

namespace sluice::app {
namespace {

// A syslog event's record can hold the message twice (header values are substrings of it, and
// the body is at most the message) plus fixed overhead.
size_t syslog_record_bytes_max(size_t event_bytes_max, size_t client_ip_header_bytes) {
  return 2 * event_bytes_max + client_ip_header_bytes + 1024;
}

std::vector<int> available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

// sink.serializer.invalidUtf8 / serializer.invalidUtf8 (enum: "replace" or "base64").
sinks::InvalidUtf8 invalid_utf8(std::string_view value) {
  return value == "base64" ? sinks::InvalidUtf8::base64 : sinks::InvalidUtf8::replace;
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
  w.invalid_utf8 = invalid_utf8(c.get_enum("serializer.invalidUtf8"));
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

sinks::LineFormat line_format(std::string_view serializer) {
  if (serializer == "HEADER_AND_TEXT") return sinks::LineFormat::header_and_text;
  if (serializer == "JSON") return sinks::LineFormat::json;
  return sinks::LineFormat::text;
}

}  // namespace

Agent::Agent(const config::AgentConfig& config, const AgentOptions& options) : config_(config), options_(options) {}

Agent::~Agent() {
  if (started_) stop();
}

Result<std::unique_ptr<Agent>> Agent::build(const config::AgentConfig& config, const AgentOptions& options) {
  SLUICE_ASSERT(options.shards >= 1, "at least one shard");
  std::unique_ptr<Agent> agent(new Agent(config, options));
  if (Status s = agent->build_channels(); !s) return Error{s.message()};
  if (Status s = agent->build_sinks(); !s) return Error{s.message()};
  if (Status s = agent->build_sources(); !s) return Error{s.message()};
  agent->register_metrics();
  return agent;
}

Status Agent::build_channels() {
  for (const config::ComponentConfig& c : config_.channels) {
    ringbuf::ChannelOptions o;
    o.name = c.name();
    o.type = std::string(c.type());
    o.capacity_bytes = c.get_bytes("byteCapacity");
    o.capacity_events = static_cast<uint64_t>(c.get_int("capacity"));
    o.shards = options_.shards;
    for (const auto& s : config_.sinks)
      if (s.get_string("channel") == c.name()) o.readers.push_back(s.name());
    if (o.readers.size() > ringbuf::kCheckpointReadersMax)
      return make_error(fmt::format("channel {}: {} sinks read it; a channel serves at most {}", c.name(),
                                    o.readers.size(), ringbuf::kCheckpointReadersMax));
    uint64_t segment = c.get_bytes("segmentSize");
    if (segment % 8 != 0)
      return make_error(fmt::format("{}: segmentSize must be a multiple of 8", c.locate("segmentSize")));
    if (o.type == "file") {
      // A file channel's segment size is part of its files: it is never adjusted behind the
      // user's back (a restart with other settings would not find its segments).
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
          return make_error(fmt::format("channel {}: sink name '{}' is longer than the {} bytes a file channel's "
                                        "checkpoint holds",
                                        c.name(), reader, ringbuf::kCheckpointNameBytesMax));
      if (o.capacity_bytes == 0) o.capacity_bytes = std::max<uint64_t>(4ull << 30, 4 * segment * o.shards);
      if (o.capacity_bytes / o.shards < 2 * segment)
        return make_error(fmt::format("{}: {} bytes over {} shards leaves {} per shard; each shard needs at least "
                                      "two {}-byte segments: raise byteCapacity to {} or lower segmentSize",
                                      c.locate("byteCapacity"), o.capacity_bytes, o.shards,
                                      o.capacity_bytes / o.shards, segment, 2 * segment * o.shards));
    } else {
      // A small memory channel gets smaller segments rather than one larger than itself.
      uint64_t per_shard = o.capacity_bytes / o.shards;
      while (segment > per_shard / 2 && segment > (64 << 10)) segment /= 2;
      segment &= ~uint64_t{7};
      if (per_shard < segment)
        return make_error(fmt::format("{}: {} bytes over {} shards leaves {} per shard, less than one {} byte "
                                      "segment",
                                      c.locate("byteCapacity"), o.capacity_bytes, o.shards, per_shard, segment));
    }
    o.segment_bytes = static_cast<uint32_t>(segment);
    auto channel = ringbuf::Channel::open(o);
    if (!channel.ok()) return Error{channel.error().message};
    channels_.push_back(std::move(channel).value());
  }
  return {};
}

Status Agent::build_sinks() {
  std::vector<uint32_t> next_reader(channels_.size(), 0);
  for (const config::ComponentConfig& c : config_.sinks) {
    const std::string& channel_name = c.get_string("channel");
    size_t index = 0;
    while (channels_[index]->name() != channel_name) ++index;
    ringbuf::Channel& channel = *channels_[index];
    uint32_t reader = next_reader[index]++;

    sinks::SinkRunnerOptions runner;
    runner.name = c.name();
    runner.type = std::string(c.type());
    std::unique_ptr<sinks::Sink> sink;
    if (c.type() == "file_roll") {
      sinks::FileRollOptions o;
      o.name = c.name();
      o.directory = c.get_string("sink.directory");
      o.roll_interval_ms = c.get_duration_ms("sink.rollInterval");
      o.format = line_format(c.get_enum("sink.serializer"));
      o.invalid_utf8 = invalid_utf8(c.get_enum("sink.serializer.invalidUtf8"));
      o.prefix = c.get_string("sink.pathManager.prefix");
      o.extension = c.get_string("sink.pathManager.extension");
      runner.batch_events_max = static_cast<size_t>(c.get_int("sink.batchSize"));
      descriptions_.push_back(fmt::format("sink {} (file_roll) writes {} lines to {}, {}", c.name(),
                                          c.get_enum("sink.serializer"), o.directory,
                                          o.roll_interval_ms ? "a new file every " +
                                                                   config::format_duration_ms(o.roll_interval_ms)
                                                             : std::string("one file (never rolled)")));
      sink = std::make_unique<sinks::FileRollSink>(std::move(o));
    } else if (c.type() == "logger") {
      sinks::LoggerSinkOptions o;
      o.name = c.name();
      o.body_bytes_max = static_cast<size_t>(c.get_int("maxBytesToLog"));
      descriptions_.push_back(fmt::format("sink {} (logger) logs every event", c.name()));
      sink = std::make_unique<sinks::LoggerSink>(std::move(o));
    } else if (c.type() == "kafka") {
      sinks::KafkaSinkOptions o;
      o.name = c.name();
      o.shards = options_.shards;
      o.producer_config.emplace_back("bootstrap.servers", c.get_string("kafka.bootstrap.servers"));
      for (const auto& kv : c.get_prefixed("kafka.producer.")) o.producer_config.push_back(kv);
      o.topic = c.get_string("kafka.topic");
      o.allow_topic_override = c.get_bool("allowTopicOverride");
      o.topic_header = c.get_string("topicHeader");
      o.partition_header = c.get_string("partitionIdHeader");
      o.default_partition = static_cast<int32_t>(c.get_int("defaultPartitionId"));
      o.flume_event_format = c.get_bool("useFlumeEventFormat");
      o.window_per_shard = static_cast<size_t>(c.get_int("maxInFlight"));
      o.dead_letter = c.get_enum("deadLetter") == "file" ? sinks::DeadLetterAction::file : sinks::DeadLetterAction::drop;
      o.dead_letter_file = c.get_string("deadLetterFile");
      if (o.dead_letter == sinks::DeadLetterAction::file && o.dead_letter_file.empty())
        return make_error(fmt::format("{}: deadLetter = file needs deadLetterFile", c.locate("deadLetter")));
      runner.batch_events_max = static_cast<size_t>(c.get_int("flumeBatchSize"));
      descriptions_.push_back(fmt::format("sink {} (kafka) produces to {} at {}", c.name(), o.topic,
                                          c.get_string("kafka.bootstrap.servers")));
      sink = std::make_unique<sinks::KafkaSink>(std::move(o));
    } else if (c.type() == "avro") {
      sinks::AvroSinkOptions o;
      o.name = c.name();
      o.host = c.get_string("hostname");
      o.port = static_cast<uint16_t>(c.get_int("port"));
      o.connect_timeout_ms = c.get_duration_ms("connect-timeout");
      o.request_timeout_ms = c.get_duration_ms("request-timeout");
      o.reset_connection_interval_ms = c.get_duration_ms("reset-connection-interval");
      o.deflate = c.get_enum("compression-type") == "deflate";
      o.compression_level = static_cast<int>(c.get_int("compression-level"));
      runner.batch_events_max = static_cast<size_t>(c.get_int("batch-size"));
      descriptions_.push_back(fmt::format("sink {} (avro) forwards to {}:{}{}", c.name(), o.host, o.port,
                                          o.deflate ? ", deflated" : ""));
      sink = std::make_unique<sinks::AvroSink>(std::move(o));
    } else if (c.type() == "hdfs") {
      auto o = hdfs_sink_options(c, options_.shards);
      if (!o.ok()) return make_error(o.error().message);
      runner.batch_events_max = static_cast<size_t>(c.get_int("hdfs.batchSize"));
      descriptions_.push_back(fmt::format("sink {} (hdfs) writes {} files to {}{}", c.name(),
                                          c.get_enum("hdfs.fileType"), o.value()->file_system->describe(),
                                          o.value()->path));
      sink = std::make_unique<sinks::hdfs::HdfsSink>(std::move(*o.value()));
    } else if (c.type() == "null") {
      runner.batch_events_max = static_cast<size_t>(c.get_int("batchSize"));
      descriptions_.push_back(fmt::format("sink {} (null) discards every event", c.name()));
      sink = std::make_unique<sinks::NullSink>();
    } else {
      SLUICE_UNREACHABLE("sink type with a spec but no builder");
    }
    std::vector<ringbuf::LogReader*> readers;
    for (uint32_t shard = 0; shard < options_.shards; ++shard) readers.push_back(&channel.log(shard).reader(reader));
    sink_runners_.push_back(
        std::make_unique<sinks::SinkRunner>(std::move(runner), std::move(sink), std::move(readers), &channel.doorbell()));
  }
  return {};
}

std::vector<ringbuf::Channel*> Agent::channels_of(const config::ComponentConfig& c) {
  std::vector<ringbuf::Channel*> channels;
  for (const std::string& name : c.get_list("channels"))
    for (auto& ch : channels_)
      if (ch->name() == name) channels.push_back(ch.get());
  return channels;
}

Status Agent::check_record_size(const config::ComponentConfig& c, std::string_view option, uint64_t event_bytes,
                                uint64_t record_bytes) {
  for (ringbuf::Channel* ch : channels_of(c)) {
    if (record_bytes > ch->record_bytes_max())
      return make_error(fmt::format(
          "{}: events up to {} bytes need records of up to {} bytes, but channel {} holds at most {}; raise its "
          "segmentSize/byteCapacity or lower {}",
          c.locate(option), event_bytes, record_bytes, ch->name(), ch->record_bytes_max(), option));
  }
  return {};
}

Status Agent::open_listeners(const config::ComponentConfig& c, base::Transport transport, const std::string& host,
                             uint16_t port, std::vector<int>& fds) {
  std::string_view port_key = "port";
  if (Status free = base::check_address_free(transport, host, port); !free)
    return make_error(fmt::format("source {}: {} ({})", c.name(), free.message(), c.locate(port_key)));
  for (uint32_t shard = 0; shard < options_.shards; ++shard) {
    auto fd = base::open_listener(transport, host, port, base::PortSharing::shared);
    if (!fd.ok()) {
      for (int open : fds) ::close(open);
      return make_error(fmt::format("source {}: {} ({})", c.name(), fd.error().message, c.locate(port_key)));
    }
    fds.push_back(fd.value());
  }
  descriptions_.push_back(fmt::format("source {} ({}) listening on {}:{}/{} on {} shard{}", c.name(), c.type(), host,
                                      port, transport == base::Transport::tcp ? "tcp" : "udp", options_.shards,
                                      options_.shards == 1 ? "" : "s"));
  return {};
}

std::vector<ringbuf::Log*> Agent::logs_of(const std::vector<ringbuf::Channel*>& channels, uint32_t shard) {
  std::vector<ringbuf::Log*> logs;
  for (ringbuf::Channel* ch : channels) logs.push_back(&ch->log(shard));
  return logs;
}

Status Agent::build_syslog_source(const config::ComponentConfig& c) {
  auto o = std::make_unique<sources::SyslogSourceOptions>();
  o->name = c.name();
  o->type = std::string(c.type());
  o->host = c.get_string("host");
  o->port = static_cast<uint16_t>(c.get_int("port"));
  o->event_bytes_max = c.get_bytes("eventSize");
  auto keep = syslog::parse_keep_fields(c.get_string("keepFields"));
  if (!keep.ok()) return make_error(fmt::format("{}: {}", c.locate("keepFields"), keep.error().message));
  o->event.keep_fields = keep.value();
  o->event.syslog_headers = c.get_bool("syslogHeaders");
  o->event.client_ip_header = c.get_string("clientIPHeader");
  o->event.body_bytes_max = o->event_bytes_max;
  const bool tcp = c.type() == "syslogtcp";
  if (tcp) {
    o->connections_max = static_cast<uint32_t>(c.get_int("maxConnections"));
    o->idle_timeout_ms = c.get_duration_ms("idleTimeout");
  }
  if (Status s = check_record_size(c, "eventSize", o->event_bytes_max,
                                   syslog_record_bytes_max(o->event_bytes_max, o->event.client_ip_header.size()));
      !s)
    return s;
  if (!tcp) {
    // Room for the datagram, the recvmsg header and the sender's address.
    auto bytes = static_cast<uint32_t>(std::min<uint64_t>(o->event_bytes_max, 65507) + sizeof(io_uring_recvmsg_out) +
                                       sizeof(sockaddr_in6) + 64);
    datagram_buffer_bytes_ = std::max(datagram_buffer_bytes_, (bytes + 4095) / 4096 * 4096);
  }
  std::vector<int> fds;
  if (Status s = open_listeners(c, tcp ? base::Transport::tcp : base::Transport::udp, o->host, o->port, fds); !s)
    return s;
  std::vector<ringbuf::Channel*> channels = channels_of(c);
  for (uint32_t shard = 0; shard < options_.shards; ++shard) {
    auto& probe = *source_probes_.emplace_back(std::make_unique<sources::SourceProbe>(o->name, o->type, shard));
    if (tcp)
      shard_sources_[shard].push_back(
          std::make_unique<sources::SyslogTcpSource>(*o, fds[shard], logs_of(channels, shard), probe));
    else
      shard_sources_[shard].push_back(
          std::make_unique<sources::SyslogUdpSource>(*o, fds[shard], logs_of(channels, shard), probe));
  }
  syslog_options_.push_back(std::move(o));
  return {};
}

Status Agent::build_http_source(const config::ComponentConfig& c) {
  auto o = std::make_unique<sources::HttpSourceOptions>();
  o->name = c.name();
  o->host = c.get_string("bind");
  o->port = static_cast<uint16_t>(c.get_int("port"));
  o->path = c.get_string("path");
  if (o->path.empty() || o->path.front() != '/')
    return make_error(fmt::format("{}: a path starts with /", c.locate("path")));
  const std::string& handler = c.get_enum("handler");
  o->default_format = handler == "NDJSON" ? http::BodyFormat::ndjson
                      : handler == "TEXT" ? http::BodyFormat::text
                                          : http::BodyFormat::flume_json;
  o->request_headers = c.get_list("requestHeaders");
  o->body_bytes_max = c.get_bytes("maxBodyBytes");
  o->header_bytes_max = c.get_bytes("maxHeaderBytes");
  o->events_per_request_max = static_cast<size_t>(c.get_int("maxEventsPerRequest"));
  o->connections_max = static_cast<uint32_t>(c.get_int("maxConnections"));
  o->idle_timeout_ms = c.get_duration_ms("idleTimeout");
  o->request_timeout_ms = c.get_duration_ms("requestTimeout");
  o->send_timeout_ms = c.get_duration_ms("sendTimeout");
  o->pending_body_bytes_max = c.get_bytes("maxPendingBodyBytes");
  if (o->pending_body_bytes_max < o->body_bytes_max)
    return make_error(fmt::format("{}: must be at least maxBodyBytes ({} bytes)", c.locate("maxPendingBodyBytes"),
                                  o->body_bytes_max));
  // A request body is usually many events; one event too large for a channel is answered 413
  // when it arrives, rather than refusing a large maxBodyBytes here.
  std::vector<int> fds;
  if (Status s = open_listeners(c, base::Transport::tcp, o->host, o->port, fds); !s) return s;
  std::vector<ringbuf::Channel*> channels = channels_of(c);
  for (uint32_t shard = 0; shard < options_.shards; ++shard) {
    auto& probe = *source_probes_.emplace_back(std::make_unique<sources::SourceProbe>(o->name, "http", shard));
    auto& http_probe = *http_probes_.emplace_back(std::make_unique<sources::HttpProbe>());
    base::Labels labels = {{"component", o->name}, {"type", "http"}, {"shard", std::to_string(shard)}};
    metrics_.add([&http_probe, labels](base::MetricsWriter& out) { http_probe.collect(out, labels); });
    shard_sources_[shard].push_back(
        std::make_unique<sources::HttpSource>(*o, fds[shard], logs_of(channels, shard), probe, http_probe));
  }
  http_options_.push_back(std::move(o));
  return {};
}

Status Agent::build_avro_source(const config::ComponentConfig& c) {
  auto o = std::make_unique<sources::AvroSourceOptions>();
  o->name = c.name();
  o->host = c.get_string("bind");
  o->port = static_cast<uint16_t>(c.get_int("port"));
  o->deflate = c.get_enum("compression-type") == "deflate";
  o->ip_filter = c.get_bool("ipFilter");
  if (o->ip_filter) {
    if (c.get_string("ipFilterRules").empty())
      return make_error(fmt::format("{}: ipFilter = true needs ipFilterRules (e.g. allow:ip:10.*,deny:ip:*)",
                                    c.locate("ipFilter")));
    // The schema checked the rules already.
    o->ip_filter_rules = base::parse_ip_filter_rules(c.get_string("ipFilterRules")).value();
  }
  o->frame_bytes_max = c.get_bytes("maxFrameBytes");
  o->events_per_call_max = static_cast<size_t>(c.get_int("maxEventsPerCall"));
  o->connections_max = static_cast<uint32_t>(c.get_int("maxConnections"));
  o->idle_timeout_ms = c.get_duration_ms("idleTimeout");
  o->frame_timeout_ms = c.get_duration_ms("frameTimeout");
  o->send_timeout_ms = c.get_duration_ms("sendTimeout");
  o->partial_bytes_max = c.get_bytes("maxPartialBytesPerShard");
  if (o->partial_bytes_max < o->frame_bytes_max)
    return make_error(fmt::format("{}: maxPartialBytesPerShard ({}) is smaller than maxFrameBytes ({}): no frame of "
                                  "the largest size could ever be received",
                                  c.locate("maxPartialBytesPerShard"), o->partial_bytes_max, o->frame_bytes_max));
  // Like HTTP: a call is many events; one too large for a channel is answered FAILED when it
  // arrives (and logged), rather than refusing a large maxFrameBytes here.
  std::vector<int> fds;
  if (Status s = open_listeners(c, base::Transport::tcp, o->host, o->port, fds); !s) return s;
  std::vector<ringbuf::Channel*> channels = channels_of(c);
  for (uint32_t shard = 0; shard < options_.shards; ++shard) {
    auto& probe = *source_probes_.emplace_back(std::make_unique<sources::SourceProbe>(o->name, "avro", shard));
    shard_sources_[shard].push_back(
        std::make_unique<sources::AvroSource>(*o, fds[shard], logs_of(channels, shard), probe));
  }
  avro_options_.push_back(std::move(o));
  return {};
}

Status Agent::build_sources() {
  shard_sources_.resize(options_.shards);
  for (const config::ComponentConfig& c : config_.sources) {
    Status s = c.type() == "http"   ? build_http_source(c)
               : c.type() == "avro" ? build_avro_source(c)
                                    : build_syslog_source(c);
    if (!s) return s;
  }
  return {};
}

void Agent::register_metrics() {
  for (auto& ch : channels_) metrics_.add([c = ch.get()](base::MetricsWriter& out) { c->collect(out); });
  for (auto& runner : sink_runners_) metrics_.add([r = runner.get()](base::MetricsWriter& out) { r->collect(out); });
  for (auto& probe : source_probes_) metrics_.add([p = probe.get()](base::MetricsWriter& out) { p->collect(out); });
  metrics_.add([this](base::MetricsWriter& out) {
    out.gauge("sluice_shards", "Shards (threads with their own io_uring) running.", {},
              static_cast<double>(options_.shards));
    out.gauge("sluice_uptime_seconds", "Seconds since start.", {},
              static_cast<double>(base::realtime_ms() - started_ms_) / 1000.0);
    out.gauge("sluice_process_open_files_limit", "The soft RLIMIT_NOFILE the process runs with.", {},
              static_cast<double>(open_files_limit_));
    out.gauge("sluice_process_connection_fds",
              "Descriptors held by accepted connections of all sources (the rest of the limit is kept "
              "for channels, sinks and the admin endpoint).",
              {}, static_cast<double>(connection_fds_.in_use()));
    out.gauge("sluice_process_connection_fds_max", "The most descriptors accepted connections may hold.", {},
              static_cast<double>(connection_fds_.capacity()));
  });
}

void Agent::budget_connection_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  open_files_limit_ = limit.rlim_cur;
  const uint64_t open_now = base::count_open_fds();
  const uint64_t reserve = options_.fd_reserve >= 0 ? static_cast<uint64_t>(options_.fd_reserve)
                                                    : base::fd_reserve(limit.rlim_cur);
  connection_fds_.set_capacity(base::connection_fd_capacity(limit.rlim_cur, open_now, reserve));
  base::log_info("open files: limit {}, {} open; accepted connections may hold {}, {} kept for channels, sinks "
                 "and the admin endpoint",
                 limit.rlim_cur, open_now, connection_fds_.capacity(), reserve);
}

Status Agent::start() {
  started_ms_ = base::realtime_ms();
  for (auto& runner : sink_runners_) {
    Status opened = runner->open();
    if (!opened) return make_error(fmt::format("sink {}: {}", runner->name(), opened.message()));
  }
  for (auto& runner : sink_runners_) runner->start();
  started_ = true;
  budget_connection_fds();

  std::vector<int> cpus = available_cpus();
  for (uint32_t i = 0; i < options_.shards; ++i) {
    ShardOptions so;
    so.id = i;
    so.cpu = options_.pin_shards && !cpus.empty() ? cpus[i % cpus.size()] : -1;
    so.datagram_buffer_bytes = datagram_buffer_bytes_;
    so.connection_fds = &connection_fds_;
    std::vector<ringbuf::Log*> logs;
    std::vector<std::unique_ptr<LogDurability>> durability;
    for (auto& ch : channels_) {
      logs.push_back(&ch->log(i));
      if (ch->durable()) durability.push_back(std::make_unique<LogDurability>(*ch, i));
    }
    shards_.push_back(std::make_unique<Shard>(so, std::move(shard_sources_[i]), std::move(logs), std::move(durability)));
    Status s = shards_.back()->start();
    if (!s) return s;
  }

  if (options_.admin_enabled) {
    admin::AdminOptions ao;
    ao.host = options_.admin_host;
    ao.port = options_.admin_port;
    auto server = admin::AdminServer::start(ao, metrics_, [this] { return status_page(); });
    if (!server.ok()) return Error{server.error().message + " (use --admin HOST:PORT or --no-admin)"};
    admin_ = std::move(server).value();
    descriptions_.push_back(fmt::format("admin endpoint on http://{}:{}/ (metrics at /metrics)", ao.host, admin_->port()));
  }
  return {};
}

bool Agent::stop() {
  if (!started_) return true;
  started_ = false;
  // Sources first: once every shard has stopped, every log is closed and sinks can tell that
  // they have read everything.
  for (auto& shard : shards_) shard->request_stop();
  for (auto& shard : shards_) shard->join();
  // Logs of shards that never started (a failed start) must be closed too, or sinks would wait.
  for (auto& ch : channels_)
    for (uint32_t i = static_cast<uint32_t>(shards_.size()); i < options_.shards; ++i) ch->log(i).close();

  for (auto& runner : sink_runners_) runner->request_drain();
  const int64_t deadline = base::monotonic_ms() + options_.drain_timeout_ms;
  bool drained = true;
  for (auto& runner : sink_runners_) {
    while (!runner->finished() && base::monotonic_ms() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!runner->finished()) drained = false;
  }
  if (!drained) {
    base::MetricsWriter w;
    for (auto& ch : channels_) ch->collect(w);
    base::log_error("sinks did not drain the channels within {} ms; {} events are left undelivered",
                    options_.drain_timeout_ms, static_cast<uint64_t>(w.sum("sluice_channel_size_events")));
    for (auto& runner : sink_runners_) runner->request_abort();
  }
  for (auto& runner : sink_runners_) runner->join();
  // Every sink has stopped: save where each got to, so that a restart repeats nothing.
  for (auto& ch : channels_) ch->finish();
  if (admin_) admin_->stop();
  return drained;
}

std::vector<std::string> Agent::describe() const { return descriptions_; }

std::string Agent::status_page() const {
  std::string page = fmt::format("sluice agent '{}' from {}, {} shard(s), up {} s\n\n", config_.agent,
                                 config_.file_name, options_.shards, (base::realtime_ms() - started_ms_) / 1000);
  for (const auto& line : descriptions_) page += line + "\n";
  base::MetricsWriter w;
  metrics_.collect_all(w);
  page += fmt::format("\nevents accepted: {}\nevents delivered by sinks: {}\nevents in channels: {}\n",
                      static_cast<uint64_t>(w.sum("sluice_source_accepted_events_total")),
                      static_cast<uint64_t>(w.sum("sluice_sink_drained_events_total")),
                      static_cast<uint64_t>(w.sum("sluice_channel_size_events")));
  return page;
}

}  // namespace sluice::app
