// The avro source (Flume's AvroSource: Avro IPC over Netty framing): its options and its
// builder.
#include <fmt/format.h>

#include "base/ip_filter.h"
#include "server/app/assembly.h"
#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"
#include "server/sources/avro_source.h"

namespace sluice::app {
namespace {

using config::bind_option;
using config::check_ip_filter_rules;
using config::ComponentKind;
using config::ComponentSpec;
using config::DurationUnit;
using config::kGiB;
using config::kKiB;
using config::max_connections_option;
using config::OptionType;
using config::port_option;
using config::send_timeout_option;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "avro",
      .type_aliases = {"org.apache.flume.source.AvroSource"},
      .description =
          "Flume's Avro RPC source (AvroSourceProtocol over Netty framing): the collector "
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
      .flume_options_not_supported = {"ssl", "keystore", "keystore-password", "keystore-type", "exclude-protocols",
                                      "include-protocols", "exclude-cipher-suites", "include-cipher-suites"},
  };
}

Status build_avro_source(const config::ComponentConfig& c, Assembly& assembly) {
  auto o = std::make_unique<sources::AvroSourceOptions>();
  o->name = c.name();
  o->host = c.get_string("bind");
  o->port = static_cast<uint16_t>(c.get_int("port"));
  o->deflate = c.get_enum("compression-type") == "deflate";
  o->ip_filter = c.get_bool("ipFilter");
  if (o->ip_filter) {
    if (c.get_string("ipFilterRules").empty())
      return make_error(
          fmt::format("{}: ipFilter = true needs ipFilterRules (e.g. allow:ip:10.*,deny:ip:*)", c.locate("ipFilter")));
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
    return make_error(
        fmt::format("{}: maxPartialBytesPerShard ({}) is smaller than maxFrameBytes ({}): no frame of "
                    "the largest size could ever be received",
                    c.locate("maxPartialBytesPerShard"), o->partial_bytes_max, o->frame_bytes_max));
  // Like HTTP: a call is many events; one too large for a channel is answered FAILED when it
  // arrives (and logged), rather than refusing a large maxFrameBytes here.
  auto writers = assembly.writers_of(c);
  if (!writers.ok()) return writers.error();
  std::vector<int> fds;
  if (Status s = assembly.open_listeners(c, base::Transport::tcp, o->host, o->port, fds); !s) return s;
  const sources::AvroSourceOptions& options = assembly.keep(std::move(o));
  for (uint32_t shard = 0; shard < assembly.shards(); ++shard) {
    auto& probe = assembly.add_source_probe(options.name, "avro", shard);
    assembly.add_shard_source(
        shard, std::make_unique<sources::AvroSource>(options, fds[shard], std::move(writers.value()[shard]), probe));
  }
  return {};
}

}  // namespace

ComponentType avro_source_type() { return {spec(), &build_avro_source}; }

}  // namespace sluice::app
