// The option tables of every component sluice has. Adding a component type is one entry in
// build_specs(); reference.h renders these tables into docs/CONFIG.md.
#include <algorithm>
#include <array>
#include <string>

#include "base/assert.h"
#include "base/ip_filter.h"
#include "server/config/schema.h"

namespace sluice::config {
namespace {

constexpr int64_t kKiB = int64_t{1} << 10;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;

// --- Checks beyond the type ---

// Flume's keepFields: none|all (true|false, deprecated) or a list of header fields to keep.
std::string check_keep_fields(std::string_view value) {
  static constexpr std::string_view kExpected = "none, all, or a list of priority, version, timestamp, hostname";
  std::vector<std::string> words = split_list(value);
  if (words.empty()) return std::string(kExpected);
  if (words.size() == 1) {
    for (std::string_view whole : {"none", "all", "true", "false"}) {
      if (equals_ignoring_case(words[0], whole)) return {};
    }
  }
  for (const std::string& w : words) {
    bool known = false;
    for (std::string_view field : {"priority", "version", "timestamp", "hostname"}) {
      known = known || equals_ignoring_case(w, field);
    }
    if (!known) return std::string(kExpected);
  }
  return {};
}

std::string check_ip_filter_rules(std::string_view value) {
  if (value.empty()) return {};  // only needed with ipFilter = true; the agent checks that
  auto rules = base::parse_ip_filter_rules(value);
  return rules.ok() ? std::string() : "rules like allow:ip:127.*,deny:ip:* (" + rules.error().message + ")";
}

std::string check_one_name(std::string_view value) {
  return split_list(value).size() == 1 ? std::string() : std::string("one channel name (a sink reads one channel)");
}

// --- Options shared by several types ---

OptionSpec host_option() {
  return {.name = "host", .default_value = "0.0.0.0", .description = "Address to listen on."};
}

// Flume's name for the listening address of the http and avro sources (host is accepted too).
OptionSpec bind_option() {
  return {.name = "bind", .default_value = "0.0.0.0", .description = "Address to listen on.", .aliases = {"host"}};
}

OptionSpec max_connections_option() {
  return {.name = "maxConnections",
          .type = OptionType::integer,
          .default_value = "10000",
          .description = "Most open connections, per shard.",
          .min = 1,
          .max = 1'000'000};
}

// The stream layer's timeout for answers a client does not read (http, avro).
OptionSpec send_timeout_option() {
  return {.name = "sendTimeout",
          .type = OptionType::duration,
          .default_value = "30s",
          .description = "sluice: close a connection whose answers made no progress for this long "
                         "(the client does not read them; counted as a send timeout); 0 never does.",
          .min = 0,
          .unit = DurationUnit::seconds};
}

OptionSpec port_option() {
  return {.name = "port",
          .type = OptionType::integer,
          .description = "Port to listen on.",
          .required = true,
          .min = 1,
          .max = 65535};
}

OptionSpec event_size_option(std::string_view default_value, int64_t max) {
  return {.name = "eventSize",
          .type = OptionType::bytes,
          .default_value = default_value,
          .description = "Longest message accepted; a longer one is truncated to this size and marked "
                         "Incomplete in the flume.syslog.status header. Flume's default is 2500.",
          .min = 64,
          .max = max};
}

OptionSpec keep_fields_option() {
  return {.name = "keepFields",
          .default_value = "none",
          .description = "Parts of the syslog header kept at the start of the body: none, all, or a "
                         "space-separated list of priority, version, timestamp, hostname. Flume's "
                         "deprecated true and false mean all and none.",
          .check = check_keep_fields};
}

OptionSpec client_ip_header_option() {
  return {.name = "clientIPHeader",
          .description = "Header to store the client's IP address in; none when empty. Do not use a "
                         "syslog header name such as host: it would be overwritten."};
}

OptionSpec syslog_headers_option() {
  return {.name = "syslogHeaders",
          .type = OptionType::boolean,
          .default_value = "true",
          .description = "sluice: store the RFC 5424 app-name, procid, msgid and structured data as the "
                         "headers syslog.appname, syslog.procid, syslog.msgid and syslog.sd."};
}

// The file_roll and HDFS JSON serializers' rule for bodies that are not UTF-8 (sinks/common/utf8.h).
OptionSpec invalid_utf8_option(std::string_view name) {
  return {.name = name,
          .type = OptionType::enumeration,
          .default_value = "replace",
          .description = "sluice, JSON only: a body that is not valid UTF-8 is written with U+FFFD "
                         "(replace) or, to keep its bytes, as \"bodyBase64\" with the base64 of the "
                         "raw body in place of \"body\" (base64). Headers are always replaced.",
          .values = {"replace", "base64"}};
}

// --- The tables ---

std::vector<ComponentSpec> build_specs() {
  std::vector<ComponentSpec> specs;

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::source,
      .type = "syslogtcp",
      .type_aliases = {"org.apache.flume.source.SyslogTcpSource"},
      .description = "Syslog over TCP: RFC 5424 and RFC 3164 messages, one per line or framed by "
                     "octet counting (RFC 6587).",
      .options = {host_option(), port_option(), event_size_option("64k", 16 * kMiB), keep_fields_option(),
                  client_ip_header_option(), syslog_headers_option(), max_connections_option(),
                  {.name = "idleTimeout",
                   .type = OptionType::duration,
                   .default_value = "10m",
                   .description = "sluice: close a connection that sent nothing for this long (a "
                                  "message begun is kept, as at the end of a stream; counted as an "
                                  "idle timeout); 0 never does. Flume has no such limit.",
                   .min = 0,
                   .unit = DurationUnit::seconds}},
      .flume_options_not_supported = {"clientHostnameHeader", "ssl", "keystore", "keystore-password",
                                      "keystore-type", "exclude-protocols", "include-protocols",
                                      "exclude-cipher-suites", "include-cipher-suites"},
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::source,
      .type = "syslogudp",
      .type_aliases = {"org.apache.flume.source.SyslogUDPSource"},
      .description = "Syslog over UDP: one RFC 5424 or RFC 3164 message per datagram. eventSize "
                     "defaults to the largest UDP payload, 65507 bytes.",
      .options = {host_option(), port_option(), event_size_option("65507", 65507), keep_fields_option(),
                  client_ip_header_option(), syslog_headers_option()},
      .flume_options_not_supported = {"clientHostnameHeader"},
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::source,
      .type = "http",
      .type_aliases = {"org.apache.flume.source.http.HTTPSource"},
      .description = "HTTP POST endpoint, compatible with Flume's HTTP source: each request's events are "
                     "stored all or none, and answered 200 once stored (durable, for a channel in fsync "
                     "mode); 400 malformed, 413 too large, 415 unknown content type, 503 with "
                     "Retry-After when a channel is full. GET /health answers 200.",
      .options =
          {
              bind_option(),
              port_option(),
              {.name = "path",
               .default_value = "/",
               .description = "sluice: the path events are POSTed to, besides /."},
              {.name = "handler",
               .type = OptionType::enumeration,
               .default_value = "JSONHandler",
               .description = "Body format when a request has no Content-Type (or curl's default "
                              "application/x-www-form-urlencoded): JSONHandler is Flume's "
                              "[{\"headers\":{...},\"body\":\"...\"}] (also "
                              "org.apache.flume.source.http.JSONHandler), NDJSON one such object per "
                              "line, TEXT one event per line. A Content-Type of application/json, "
                              "application/x-ndjson or text/plain picks the format per request.",
               .values = {"JSONHandler", "org.apache.flume.source.http.JSONHandler", "NDJSON", "TEXT"},
               .values_not_supported = {"org.apache.flume.sink.solr.morphline.BlobHandler"}},
              {.name = "requestHeaders",
               .type = OptionType::list,
               .default_value = "",
               .description = "sluice: request header fields copied into every event of the request, "
                              "under the same name (an event's own header of that name wins)."},
              {.name = "maxBodyBytes",
               .type = OptionType::bytes,
               .default_value = "16m",
               .description = "Largest request body, as sent and after gzip is undone; larger: 413.",
               .min = 1024,
               .max = kGiB},
              {.name = "maxHeaderBytes",
               .type = OptionType::bytes,
               .default_value = "16k",
               .description = "Largest request line and header fields; larger: 431.",
               .min = 1024,
               .max = 16 * kMiB},
              {.name = "maxEventsPerRequest",
               .type = OptionType::integer,
               .default_value = "100000",
               .description = "Most events one request may carry; more: 413.",
               .min = 1},
              max_connections_option(),
              {.name = "idleTimeout",
               .type = OptionType::duration,
               .default_value = "60s",
               .description = "A keep-alive connection with no request for this long is closed.",
               .min = 100,
               .unit = DurationUnit::seconds},
              {.name = "requestTimeout",
               .type = OptionType::duration,
               .default_value = "30s",
               .description = "A client that takes longer than this to send one whole request (a "
                              "slow or stalled client) gets 408 and is closed.",
               .min = 100,
               .unit = DurationUnit::seconds},
              send_timeout_option(),
              {.name = "maxPendingBodyBytes",
               .type = OptionType::bytes,
               .default_value = "256m",
               .description = "sluice: most bytes held at once, per shard, for request bodies being "
                              "received (a Content-Length body counts whole from its header on); a "
                              "request that would pass it gets 503 with Retry-After and is not read. "
                              "At least maxBodyBytes.",
               .min = 1024,
               .max = 64 * kGiB},
          },
      .flume_options_not_supported = {"enableSSL", "ssl", "keystore", "keystorePassword", "keystore-type",
                                      "exclude-protocols", "include-protocols", "exclude-cipher-suites",
                                      "include-cipher-suites"},
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::source,
      .type = "avro",
      .type_aliases = {"org.apache.flume.source.AvroSource"},
      .description = "Flume's Avro RPC source (AvroSourceProtocol over Netty framing): the collector "
                     "tier for Flume's Avro sink, `flume-ng avro-client`, Flume's RPC client SDK and "
                     "sluice's own avro sink. A call's events are stored all or none and answered OK "
                     "once stored (durable, for a channel in fsync mode), FAILED when a channel is "
                     "full (the client retries). The event's timestamp header, in ms, is its time.",
      .options =
          {
              bind_option(),
              port_option(),
              {.name = "compression-type",
               .type = OptionType::enumeration,
               .default_value = "none",
               .description = "deflate: every connection is one zlib stream each way, as Flume's "
                              "compression-type = deflate sends it; clients must use the same setting.",
               .values = {"none", "deflate"}},
              {.name = "ipFilter",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Refuse connections by address with ipFilterRules."},
              {.name = "ipFilterRules",
               .description = "Flume's rules, separated by commas: allow:ip:PATTERN or deny:ip:PATTERN, "
                              "where PATTERN is a glob over the dotted address (127.*, 10.0.?.1); the "
                              "first rule that matches decides, no match allows. Flume's name rules "
                              "(reverse DNS) are refused.",
               .check = check_ip_filter_rules},
              {.name = "maxFrameBytes",
               .type = OptionType::bytes,
               .default_value = "64m",
               .description = "sluice: largest call (one Netty frame, all its buffers); a larger one "
                              "closes the connection before anything is allocated for it.",
               .min = 64 * kKiB,
               .max = kGiB},
              {.name = "maxEventsPerCall",
               .type = OptionType::integer,
               .default_value = "20000",
               .description = "sluice: most events one appendBatch may carry; a larger call is "
                              "answered with an error (Flume's client raises it) and nothing of it "
                              "is stored.",
               .min = 1,
               .max = 1'000'000},
              max_connections_option(),
              {.name = "idleTimeout",
               .type = OptionType::duration,
               .default_value = "0",
               .description = "sluice: close a connection that sent nothing for this long, in the "
                              "middle of a frame too; 0 never does (Flume keeps connections open).",
               .min = 0,
               .unit = DurationUnit::seconds},
              {.name = "frameTimeout",
               .type = OptionType::duration,
               .default_value = "30",
               .description = "sluice: close a connection that began a frame (a call) and did not "
                              "finish it within this long (counted as a partial_input timeout); 0 "
                              "never does.",
               .min = 0,
               .unit = DurationUnit::seconds},
              send_timeout_option(),
              {.name = "maxPartialBytesPerShard",
               .type = OptionType::bytes,
               .default_value = "256m",
               .description = "sluice: the most memory this source's connections on one shard may hold "
                              "for frames not complete yet (deflated input counts inflated); a "
                              "connection whose frame would pass it is closed (a limit rejection). "
                              "At least maxFrameBytes.",
               .min = 64 * kKiB,
               .max = 64 * kGiB},
              {.name = "threads",
               .type = OptionType::integer,
               .default_value = "0",
               .description = "Accepted for Flume compatibility; no effect (every shard serves "
                              "connections).",
               .min = 0},
          },
      .flume_options_not_supported = {"ssl", "keystore", "keystore-password", "keystore-type",
                                      "exclude-protocols", "include-protocols", "exclude-cipher-suites",
                                      "include-cipher-suites"},
  });

  specs.push_back(ComponentSpec{
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
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::channel,
      .type = "file",
      .type_aliases = {"org.apache.flume.channel.file.FileChannel"},
      .description = "Events kept in preallocated, memory-mapped segment files (a write-ahead log per "
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
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "file_roll",
      .type_aliases = {"org.apache.flume.sink.RollingFileSink"},
      .description = "Writes events to files in a local directory, starting a new file every "
                     "rollInterval.",
      .options =
          {
              {.name = "sink.directory",
               .description = "Directory the files are written to.",
               .required = true},
              {.name = "sink.rollInterval",
               .type = OptionType::duration,
               .default_value = "30s",
               .description = "Start a new file this often; 0 never rolls (one file).",
               .min = 0},
              {.name = "sink.serializer",
               .type = OptionType::enumeration,
               .default_value = "TEXT",
               .description = "How an event is written: TEXT is the body and a newline; "
                              "HEADER_AND_TEXT the headers as Flume prints them ({k=v, ...}), a space, "
                              "the body and a newline; JSON (sluice) one object per line with headers "
                              "and body. JSON text is UTF-8: valid UTF-8 passes unchanged, and each maximal "
                              "ill-formed subsequence of a header or body (a stray byte such as 0xFF, a "
                              "truncated, overlong or surrogate sequence, a value above U+10FFFF) becomes "
                              "one U+FFFD, as Unicode and WHATWG decoders do: a raw 0xFF never reads back "
                              "as the character U+00FF. Such events are counted in "
                              "sluice_sink_invalid_utf8_events_total.",
               .values = {"TEXT", "HEADER_AND_TEXT", "JSON"},
               .values_not_supported = {"AVRO_EVENT"}},
              invalid_utf8_option("sink.serializer.invalidUtf8"),
              {.name = "sink.batchSize",
               .type = OptionType::integer,
               .default_value = "1000",
               .description = "Most events taken from the channel per write. Flume's default is 100.",
               .aliases = {"batchSize"},
               .min = 1,
               .max = 1'000'000},
              {.name = "sink.pathManager",
               .type = OptionType::enumeration,
               .default_value = "DEFAULT",
               .description = "How files are named: DEFAULT names them "
                              "<prefix><start time in ms>-<n>[.<extension>], as Flume does.",
               .values = {"DEFAULT"},
               .values_not_supported = {"ROLLTIME"}},
              {.name = "sink.pathManager.prefix", .description = "Start of every file name."},
              {.name = "sink.pathManager.extension",
               .description = "File name extension, without the dot; none when empty."},
          },
      .flume_options_not_supported = {"sink.serializer.appendNewline"},
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "kafka",
      .type_aliases = {"org.apache.flume.sink.kafka.KafkaSink"},
      .description = "Produces every event to Kafka (librdkafka), asynchronously and in order per shard, "
                     "committing the channel only over what the brokers confirmed: a restart resends at "
                     "most what was in flight. Body as the value, headers as record headers, the event "
                     "time as the record timestamp, the `key` header as the key. acks=all and "
                     "idempotence are on unless kafka.producer.* says otherwise; while brokers are away "
                     "events wait in the channel (message.timeout.ms=0).",
      .options =
          {
              {.name = "kafka.bootstrap.servers",
               .description = "Brokers to start from, host:port separated by commas.",
               .aliases = {"brokerList"},
               .required = true},
              {.name = "kafka.topic",
               .default_value = "default-flume-topic",
               .description = "Topic of every event; %{header} is replaced by that header's value.",
               .aliases = {"topic"}},
              {.name = "allowTopicOverride",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "An event with a topicHeader header goes to the topic it names. Off by "
                              "default, unlike Flume (on there): the header comes from the client (any "
                              "HTTP or Avro sender can set it), and an untrusted client must not choose "
                              "the topic. When on, start-up logs it once for the sink."},
              {.name = "topicHeader",
               .default_value = "topic",
               .description = "The header allowTopicOverride reads."},
              {.name = "partitionIdHeader",
               .description = "A header holding the partition number to write the event to (empty: "
                              "none)."},
              {.name = "defaultPartitionId",
               .type = OptionType::integer,
               .default_value = "-1",
               .description = "Partition for events without partitionIdHeader; -1 leaves it to the "
                              "partitioner (by key).",
               .min = -1,
               .max = 1'000'000},
              {.name = "flumeBatchSize",
               .type = OptionType::integer,
               .default_value = "1000",
               .description = "Most events read from a shard at a time (Flume's default is 100).",
               .aliases = {"batchSize"},
               .min = 1,
               .max = 1'000'000},
              {.name = "useFlumeEventFormat",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Write Flume's Avro event (headers and body) as the value, for Flume's "
                              "Kafka source and channel to read."},
              {.name = "maxInFlight",
               .type = OptionType::integer,
               .default_value = "20000",
               .description = "sluice: most events produced and not yet confirmed, per shard.",
               .min = 1,
               .max = 10'000'000},
              {.name = "deadLetter",
               .type = OptionType::enumeration,
               .default_value = "drop",
               .description = "sluice: what becomes of an event Kafka refuses for good (unknown topic, "
                              "authorization, too large): drop counts and logs it; file also appends "
                              "it as a JSON line to deadLetterFile.",
               .values = {"drop", "file"}},
              {.name = "deadLetterFile",
               .description = "sluice: the file deadLetter = file writes to."},
              {.name = "kafka.producer.",
               .type = OptionType::prefixed,
               .description = "Passed to librdkafka without the prefix (kafka.producer.linger.ms = 10 "
                              "sets linger.ms). Names are librdkafka's: see its CONFIGURATION.md."},
          },
      .flume_options_not_supported = {"requiredAcks", "kafka.producer.type"},
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "avro",
      .type_aliases = {"org.apache.flume.sink.AvroSink"},
      .description = "Forwards events to the next tier with Flume's Avro RPC (appendBatch): another "
                     "sluice's avro source or a Flume Avro source. A batch leaves the channel only once "
                     "the next tier answered OK; otherwise it is sent again after a backoff, on a new "
                     "connection when the old one failed (at-least-once).",
      .options =
          {
              {.name = "hostname",
               .description = "Host of the next tier.",
               .required = true},
              {.name = "port",
               .type = OptionType::integer,
               .description = "Port of the next tier's avro source.",
               .required = true,
               .min = 1,
               .max = 65535},
              {.name = "batch-size",
               .type = OptionType::integer,
               .default_value = "1000",
               .description = "Most events per appendBatch call. Flume's default is 100.",
               .aliases = {"batchSize"},
               .min = 1,
               .max = 1'000'000},
              {.name = "connect-timeout",
               .type = OptionType::duration,
               .default_value = "20000",
               .description = "Longest wait for a connection, in milliseconds.",
               .min = 1,
               .unit = DurationUnit::milliseconds},
              {.name = "request-timeout",
               .type = OptionType::duration,
               .default_value = "20000",
               .description = "Longest wait for a call's answer, in milliseconds; then the connection "
                              "is dropped and the batch sent again.",
               .min = 1,
               .unit = DurationUnit::milliseconds},
              {.name = "reset-connection-interval",
               .type = OptionType::duration,
               .default_value = "0",
               .description = "Reconnect this often, in seconds, so that agents behind a load balancer "
                              "spread over its collectors; 0 never does.",
               .min = 0,
               .unit = DurationUnit::seconds},
              {.name = "compression-type",
               .type = OptionType::enumeration,
               .default_value = "none",
               .description = "deflate: the connection is one zlib stream each way; the next tier's "
                              "source must say compression-type = deflate too.",
               .values = {"none", "deflate"}},
              {.name = "compression-level",
               .type = OptionType::integer,
               .default_value = "6",
               .description = "zlib level for deflate, 1 (fastest) to 9 (smallest).",
               .min = 1,
               .max = 9},
              {.name = "maxIoWorkers",
               .type = OptionType::integer,
               .default_value = "0",
               .description = "Accepted for Flume compatibility; no effect (one connection per sink).",
               .min = 0},
          },
      .flume_options_not_supported = {"ssl", "trust-all-certs", "truststore", "truststore-password",
                                      "truststore-type", "exclude-protocols", "include-protocols",
                                      "exclude-cipher-suites", "include-cipher-suites"},
  });

  specs.push_back(ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "hdfs",
      .type_aliases = {"org.apache.flume.sink.hdfs.HDFSEventSink"},
      .description = "Writes events to files in HDFS over WebHDFS (webhdfs:// or http:// to the name "
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
  });

  specs.push_back(ComponentSpec{
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
  });

  specs.push_back(ComponentSpec{
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
  });

  return specs;
}

std::vector<OptionSpec> build_common_options(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::source:
      return {
          {.name = "channels",
           .type = OptionType::list,
           .description = "Channels the source writes every event to.",
           .required = true},
          {.name = "selector.type",
           .type = OptionType::enumeration,
           .default_value = "replicating",
           .description = "How events are spread over the channels: replicating writes each event to "
                          "every channel.",
           .values = {"replicating"},
           .values_not_supported = {"multiplexing", "load_balancing"}},
      };
    case ComponentKind::channel:
      return {};
    case ComponentKind::sink:
      return {
          {.name = "channel",
           .description = "Channel the sink reads.",
           .required = true,
           .check = check_one_name},
      };
  }
  SLUICE_UNREACHABLE("bad ComponentKind");
}

// Programmer errors in the tables stop the process at the first use rather than surfacing as a
// confusing message to a user (and the tests call component_specs(), so they stop CI too).
void assert_valid(ComponentKind kind, const ComponentSpec* spec, const std::vector<OptionSpec>& options) {
  for (const OptionSpec& o : options) {
    SLUICE_ASSERT(!o.name.empty(), "config table: an option has no name");
    SLUICE_ASSERT(!o.description.empty(), "config table: an option has no description");
    SLUICE_ASSERT(o.min <= o.max, "config table: min above max");
    SLUICE_ASSERT((o.type == OptionType::enumeration) == !o.values.empty(),
                  "config table: enumerations and only they list values");
    SLUICE_ASSERT(find_option(kind, spec, o.name) == &o, "config table: an option name is used twice");
    for (std::string_view alias : o.aliases) {
      SLUICE_ASSERT(find_option(kind, spec, alias) == &o, "config table: an alias is used twice");
    }
    if (!o.required) {
      SLUICE_ASSERT(parse_option_value(o, o.default_value).ok(), "config table: a default does not parse");
    }
  }
}

}  // namespace

const std::vector<OptionSpec>& common_options(ComponentKind kind) {
  static const std::array<std::vector<OptionSpec>, 3> tables = {
      build_common_options(ComponentKind::source),
      build_common_options(ComponentKind::channel),
      build_common_options(ComponentKind::sink),
  };
  return tables[static_cast<size_t>(kind)];
}

const std::vector<ComponentSpec>& component_specs() {
  static const std::vector<ComponentSpec> specs = [] {
    std::vector<ComponentSpec> built = build_specs();
    for (ComponentKind kind : {ComponentKind::source, ComponentKind::channel, ComponentKind::sink}) {
      assert_valid(kind, nullptr, common_options(kind));
    }
    for (const ComponentSpec& spec : built) {
      SLUICE_ASSERT(!spec.description.empty(), "config table: a component has no description");
      assert_valid(spec.kind, &spec, spec.options);
      std::vector<std::string_view> names = spec.type_aliases;
      names.push_back(spec.type);
      for (std::string_view name : names) {
        int accepting = 0;
        for (const ComponentSpec& other : built) {
          if (other.kind != spec.kind) continue;
          bool accepts = equals_ignoring_case(other.type, name);
          for (std::string_view alias : other.type_aliases) accepts = accepts || equals_ignoring_case(alias, name);
          accepting += accepts ? 1 : 0;
        }
        SLUICE_ASSERT(accepting == 1, "config table: a type name is used twice");
      }
    }
    return built;
  }();
  return specs;
}

const ComponentSpec* find_component_spec(ComponentKind kind, std::string_view type_name) {
  for (const ComponentSpec& spec : component_specs()) {
    if (spec.kind != kind) continue;
    if (equals_ignoring_case(spec.type, type_name)) return &spec;
    for (std::string_view alias : spec.type_aliases) {
      if (equals_ignoring_case(alias, type_name)) return &spec;
    }
  }
  return nullptr;
}

bool is_flume_type_not_supported(ComponentKind kind, std::string_view type_name) {
  // Flume's built-in short names (SourceType, ChannelType, SinkType) and the Kafka classes,
  // less what sluice has. A type that gains a table above is found before this is asked.
  static constexpr std::string_view kSources[] = {
      "seq", "netcat", "exec", "multiport_syslogtcp", "spooldir", "thrift", "jms",
      "taildir", "netcatudp", "org.apache.flume.source.kafka.KafkaSource"};
  static constexpr std::string_view kChannels[] = {"jdbc", "spillablememory",
                                                   "org.apache.flume.channel.kafka.KafkaChannel"};
  static constexpr std::string_view kSinks[] = {
      "irc", "thrift", "elasticsearch", "hbase", "asynchbase", "hbase2",
      "morphline_solr", "hive", "http"};
  auto contains = [&](auto& names) {
    return std::any_of(std::begin(names), std::end(names),
                       [&](std::string_view n) { return equals_ignoring_case(n, type_name); });
  };
  switch (kind) {
    case ComponentKind::source: return contains(kSources);
    case ComponentKind::channel: return contains(kChannels);
    case ComponentKind::sink: return contains(kSinks);
  }
  SLUICE_UNREACHABLE("bad ComponentKind");
}

}  // namespace sluice::config
