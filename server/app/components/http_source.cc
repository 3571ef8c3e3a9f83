// The http source (Flume's HTTPSource, JSONHandler and sluice's NDJSON and TEXT handlers): its
// options and its builder.
#include <fmt/format.h>

#include "server/app/assembly.h"
#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"
#include "server/sources/http_source.h"

namespace sluice::app {
namespace {

using config::bind_option;
using config::ComponentKind;
using config::ComponentSpec;
using config::DurationUnit;
using config::kGiB;
using config::kMiB;
using config::max_connections_option;
using config::OptionType;
using config::port_option;
using config::send_timeout_option;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "http",
      .type_aliases = {"org.apache.flume.source.http.HTTPSource"},
      .description =
          "HTTP POST endpoint, compatible with Flume's HTTP source: each request's events are "
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
  };
}

Status build_http_source(const config::ComponentConfig& c, Assembly& assembly) {
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
  auto writers = assembly.writers_of(c);
  if (!writers.ok()) return writers.error();
  std::vector<int> fds;
  if (Status s = assembly.open_listeners(c, base::Transport::tcp, o->host, o->port, fds); !s) return s;
  const sources::HttpSourceOptions& options = assembly.keep(std::move(o));
  for (uint32_t shard = 0; shard < assembly.shards(); ++shard) {
    auto& probe = assembly.add_source_probe(options.name, "http", shard);
    auto& http_probe = assembly.keep(std::make_unique<sources::HttpProbe>());
    base::Labels labels = {{"component", options.name}, {"type", "http"}, {"shard", std::to_string(shard)}};
    assembly.metrics().add([&http_probe, labels](base::MetricsWriter& out) { http_probe.collect(out, labels); });
    assembly.add_shard_source(shard, std::make_unique<sources::HttpSource>(
                                         options, fds[shard], std::move(writers.value()[shard]), probe, http_probe));
  }
  return {};
}

}  // namespace

ComponentType http_source_type() { return {spec(), &build_http_source}; }

}  // namespace sluice::app
