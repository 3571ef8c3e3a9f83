#include "bench/cli/avro_options.h"

#include <optional>
#include <vector>

#include <fmt/format.h>

#include "bench/cli/batch_events.h"

namespace sluice::bench {
namespace {

struct AvroSpecs {
  std::vector<OptionSpec> specs;
  LoadOptionsBuilder load;
  RequestOptions request;
  bool deflate = false;
};

// The table of `sluice-bench avro`; its entries write into `s`, which must stay in place.
void declare(AvroSpecs& s) {
  add_request_specs(s.specs, s.request);
  s.specs.push_back({"--compression", "none|deflate",
                     "Flume's compression-type: deflate compresses the whole connection (default none)",
                     [&s](std::string_view v) -> Status {
                       if (v == "none") s.deflate = false;
                       else if (v == "deflate") s.deflate = true;
                       else return make_error(fmt::format("'{}' is neither none nor deflate", v));
                       return {};
                     }});
  s.load.add_specs(s.specs);
}

}  // namespace

Result<AvroCommand> parse_avro_options(std::span<const std::string_view> args) {
  AvroSpecs s;
  declare(s);
  std::optional<Endpoint> target;
  auto take_target = [&](std::string_view v) -> Status {
    if (target) return make_error(fmt::format("unexpected argument '{}'", v));
    auto parsed = parse_endpoint(v);
    if (!parsed) return parsed.error();
    target = std::move(parsed.value());
    return {};
  };
  auto help = parse_options(args, s.specs, take_target);
  if (!help) return help.error();
  AvroCommand command;
  if (help.value()) {
    command.help = true;
    return command;
  }
  if (!target) return make_error("give the server as HOST:PORT: sluice-bench avro HOST:PORT [options]");
  auto load = s.load.finish();
  if (!load) return load.error();
  AvroOptions& o = command.options;
  o.load = load.value();
  o.request = s.request;
  o.target = std::move(*target);
  o.deflate = s.deflate;
  if (Status sizes = check_request_sizes(o.request); !sizes) return make_error(sizes.message());
  return command;
}

std::string avro_usage() {
  AvroSpecs s;
  declare(s);
  return fmt::format(
      "usage: sluice-bench avro HOST:PORT [options]\n"
      "\n"
      "Sends batches of events to a Flume Avro source (Flume's AvroSourceProtocol: Avro IPC over\n"
      "Netty framing, the handshake on each connection's first call, as Flume's Avro sink does):\n"
      "one appendBatch call of --batch AvroFlumeEvents at a time per connection, each event with\n"
      "headers seq (its per-connection sequence number, from 0), conn and timestamp (its send time),\n"
      "and a body of exactly --size bytes (or drawn with --size-dist):  conn=003 seq=0000000042 xxx...\n"
      "OK acknowledges a batch; FAILED is retried after a short backoff; anything else is an error.\n"
      "The run stops at --duration, at --count, or on Ctrl-C, then reports what was acknowledged,\n"
      "how fast, the latency from send to answer, and, from the server's /metrics, what it accepted\n"
      "and the latency from send to sink delivery.\n"
      "\n"
      "options:\n"
      "{}"
      "\n"
      "Numbers for --rate, --count, --batch and --size take a k, M or G suffix (250k, 1.5M).\n"
      "Exit status: 0 done, 1 connection error or error answers, 2 bad usage, 130 interrupted.\n",
      format_option_help(s.specs));
}

}  // namespace sluice::bench
