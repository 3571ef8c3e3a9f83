// The avro sink (Flume's AvroSink: Avro IPC to a Flume avro source or a sluice one): its options
// and its builder.
#include <fmt/format.h>

#include "server/app/components/component_type.h"
#include "sinks/avro/avro_sink.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::DurationUnit;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "avro",
      .type_aliases = {"org.apache.flume.sink.AvroSink"},
      .description =
          "Forwards events to the next tier with Flume's Avro RPC (appendBatch): another "
          "sluice's avro source or a Flume Avro source. A batch leaves the channel only once "
          "the next tier answered OK; otherwise it is sent again after a backoff, on a new "
          "connection when the old one failed (at-least-once).",
      .options =
          {
              {.name = "hostname", .description = "Host of the next tier.", .required = true},
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
      .flume_options_not_supported = {"ssl", "trust-all-certs", "truststore", "truststore-password", "truststore-type",
                                      "exclude-protocols", "include-protocols", "exclude-cipher-suites",
                                      "include-cipher-suites"},
  };
}

Result<BuiltSink> build_avro_sink(const config::ComponentConfig& c, uint32_t shards) {
  sinks::avro::AvroSinkOptions o;
  o.name = c.name();
  o.host = c.get_string("hostname");
  o.port = static_cast<uint16_t>(c.get_int("port"));
  o.connect_timeout_ms = c.get_duration_ms("connect-timeout");
  o.request_timeout_ms = c.get_duration_ms("request-timeout");
  o.reset_connection_interval_ms = c.get_duration_ms("reset-connection-interval");
  o.deflate = c.get_enum("compression-type") == "deflate";
  o.compression_level = static_cast<int>(c.get_int("compression-level"));
  BuiltSink built;
  built.batch_events_max = static_cast<size_t>(c.get_int("batch-size"));
  built.description =
      fmt::format("sink {} (avro) forwards to {}:{}{}", c.name(), o.host, o.port, o.deflate ? ", deflated" : "");
  built.sink = std::make_unique<sinks::avro::AvroSink>(std::move(o));
  return built;
}

}  // namespace

ComponentType avro_sink_type() { return {spec(), &build_avro_sink}; }

}  // namespace sluice::app
