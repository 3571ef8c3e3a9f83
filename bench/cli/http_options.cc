#include "bench/cli/http_options.h"

#include <optional>
#include <vector>

#include <fmt/format.h>

#include "bench/cli/batch_events.h"

namespace sluice::bench {
namespace {

struct HttpSpecs {
  std::vector<OptionSpec> specs;
  LoadOptionsBuilder load;
  RequestOptions request;
  HttpFormat format = HttpFormat::json;
  bool gzip = false;
  uint32_t pipeline = 1;
};

// The table of `sluice-bench http`; its entries write into `s`, which must stay in place.
void declare(HttpSpecs& s) {
  add_request_specs(s.specs, s.request);
  s.specs.push_back({"--format", "json|ndjson|text",
                     "request bodies: Flume's JSON array, one JSON event per line, or one body per line (default json)",
                     [&s](std::string_view v) -> Status {
                       if (v == "json") s.format = HttpFormat::json;
                       else if (v == "ndjson") s.format = HttpFormat::ndjson;
                       else if (v == "text") s.format = HttpFormat::text;
                       else return make_error(fmt::format("'{}' is not json, ndjson or text", v));
                       return {};
                     }});
  s.specs.push_back(
      {"--gzip", "", "send bodies gzip-compressed (Content-Encoding: gzip)", [&s](std::string_view) -> Status {
         s.gzip = true;
         return {};
       }});
  s.specs.push_back({"--pipeline", "D", "requests in flight per connection (1-64; default 1: wait for each answer)",
                     [&s](std::string_view v) -> Status {
                       auto n = parse_quantity(v);
                       if (!n) return n.error();
                       if (n.value() < 1 || n.value() > kPipelineMax)
                         return make_error(fmt::format("{} is outside 1-{}", v, kPipelineMax));
                       s.pipeline = static_cast<uint32_t>(n.value());
                       return {};
                     }});
  s.load.add_specs(s.specs);
}

}  // namespace

Result<HttpCommand> parse_http_options(std::span<const std::string_view> args) {
  HttpSpecs s;
  declare(s);
  std::optional<HttpUrl> url;
  auto take_url = [&](std::string_view v) -> Status {
    if (url) return make_error(fmt::format("unexpected argument '{}'", v));
    auto parsed = parse_http_url(v);
    if (!parsed) return parsed.error();
    url = std::move(parsed.value());
    return {};
  };
  auto help = parse_options(args, s.specs, take_url);
  if (!help) return help.error();
  HttpCommand command;
  if (help.value()) {
    command.help = true;
    return command;
  }
  if (!url) return make_error("give the server's URL: sluice-bench http http://HOST:PORT/PATH [options]");
  auto load = s.load.finish();
  if (!load) return load.error();
  HttpOptions& o = command.options;
  o.load = load.value();
  o.request = s.request;
  o.url = std::move(*url);
  o.format = s.format;
  o.gzip = s.gzip;
  o.pipeline = s.pipeline;
  if (Status sizes = check_request_sizes(o.request); !sizes) return make_error(sizes.message());
  return command;
}

std::string http_usage() {
  HttpSpecs s;
  declare(s);
  return fmt::format(
      "usage: sluice-bench http URL [options]\n"
      "\n"
      "POSTs batches of events to URL (http://HOST:PORT/PATH) over keep-alive HTTP/1.1 connections, as\n"
      "Flume's JSONHandler reads them:\n"
      "  [{{\"headers\":{{\"seq\":\"0000000042\",\"conn\":\"003\",\"timestamp\":\"1795237800123\"}},\n"
      "    \"body\":\"conn=003 seq=0000000042 xxx...\"}}, ...]\n"
      "each event with its connection, a per-connection sequence number starting at 0 and its send\n"
      "time, its body exactly --size bytes (or drawn with --size-dist). 2xx answers acknowledge a\n"
      "request's events; 503 is retried after its Retry-After; any other status is an error. The run\n"
      "stops at --duration, at --count, or on Ctrl-C, then reports what was acknowledged, how fast, the\n"
      "latency from send to answer, and, from the server's /metrics, what it accepted and the latency\n"
      "from send to sink delivery.\n"
      "\n"
      "options:\n"
      "{}"
      "\n"
      "Numbers for --rate, --count, --batch and --size take a k, M or G suffix (250k, 1.5M).\n"
      "Exit status: 0 done, 1 connection error or error answers, 2 bad usage, 130 interrupted.\n",
      format_option_help(s.specs));
}

}  // namespace sluice::bench
