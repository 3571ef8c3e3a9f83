#include "bench/cli/syslog_options.h"

#include <optional>
#include <vector>

#include <fmt/format.h>

namespace sluice::bench {
namespace {

struct SyslogSpecs {
  std::vector<OptionSpec> specs;
  LoadOptionsBuilder load;
  std::optional<Transport> transport;
  Endpoint target;
  std::optional<size_t> message_bytes;
  std::optional<SizeDistribution> size_dist;
  std::optional<SyslogFraming> framing;
};

Status set_target(SyslogSpecs& s, Transport transport, std::string_view value) {
  if (s.transport) return make_error("give one of --tcp and --udp");
  auto endpoint = parse_endpoint(value);
  if (!endpoint) return endpoint.error();
  s.transport = transport;
  s.target = std::move(endpoint.value());
  return {};
}

// The table of `sluice-bench syslog`; its entries write into `s`, which must stay in place.
void declare(SyslogSpecs& s) {
  s.specs.push_back({"--tcp", "HOST:PORT", "send over TCP to HOST:PORT ([ADDRESS]:PORT for IPv6)",
                     [&s](std::string_view v) { return set_target(s, Transport::tcp, v); }});
  s.specs.push_back({"--udp", "HOST:PORT", "send over UDP, one message per datagram",
                     [&s](std::string_view v) { return set_target(s, Transport::udp, v); }});
  s.specs.push_back(
      {"--size", "BYTES", "bytes per message, framing excluded (default 200)", [&s](std::string_view v) -> Status {
         auto n = parse_quantity(v);
         if (!n) return n.error();
         if (n.value() > kTcpMessageBytesMax)
           return make_error(fmt::format("{} is above the maximum of {}", v, kTcpMessageBytesMax));
         s.message_bytes = static_cast<size_t>(n.value());
         return {};
       }});
  s.specs.push_back({"--size-dist", "uniform:MIN-MAX|list:N,N,...",
                     "message sizes drawn from a distribution instead of one --size (see below)",
                     [&s](std::string_view v) -> Status {
                       auto dist = parse_size_distribution(v);
                       if (!dist) return dist.error();
                       s.size_dist = std::move(dist.value());
                       return {};
                     }});
  s.specs.push_back({"--framing", "octet|lf", "TCP framing: RFC 6587 octet counting or LF-terminated (default octet)",
                     [&s](std::string_view v) -> Status {
                       if (v == "octet") s.framing = SyslogFraming::octet_counting;
                       else if (v == "lf") s.framing = SyslogFraming::lf;
                       else return make_error(fmt::format("'{}' is neither octet nor lf", v));
                       return {};
                     }});
  s.load.add_specs(s.specs);
}

}  // namespace

std::string_view transport_name(Transport transport) { return transport == Transport::tcp ? "tcp" : "udp"; }

std::string_view framing_name(SyslogFraming framing) {
  switch (framing) {
    case SyslogFraming::octet_counting: return "octet";
    case SyslogFraming::lf: return "lf";
    case SyslogFraming::none: return "";
  }
  return "";
}

Result<SyslogCommand> parse_syslog_options(std::span<const std::string_view> args) {
  SyslogSpecs s;
  declare(s);
  auto help = parse_options(args, s.specs);
  if (!help) return help.error();
  SyslogCommand command;
  if (help.value()) {
    command.help = true;
    return command;
  }
  if (!s.transport) return make_error("give the target with --tcp HOST:PORT or --udp HOST:PORT");
  auto load = s.load.finish();
  if (!load) return load.error();

  SyslogOptions& o = command.options;
  o.load = load.value();
  o.transport = *s.transport;
  o.target = s.target;
  o.message_bytes = s.message_bytes.value_or(200);
  o.size_dist = s.size_dist;
  auto bounds = size_bounds(s.message_bytes.has_value(), o.size_dist, o.message_bytes);
  if (!bounds) return bounds.error();
  const auto [smallest, largest, size_option] = bounds.value();
  if (largest > kTcpMessageBytesMax)
    return make_error(fmt::format("{}: {} is above the maximum of {}", size_option, largest, kTcpMessageBytesMax));
  if (o.transport == Transport::udp) {
    if (s.framing) return make_error("--framing applies to TCP only; UDP sends one message per datagram");
    o.framing = SyslogFraming::none;
    if (largest > kUdpMessageBytesMax)
      return make_error(fmt::format("{} {} does not fit a UDP datagram (at most {} bytes)", size_option, largest,
                                    kUdpMessageBytesMax));
  } else {
    o.framing = s.framing.value_or(SyslogFraming::octet_counting);
  }
  if (smallest < syslog_message_bytes_min())
    return make_error(
        fmt::format("{} {} is too small: every message needs at least {} bytes for its header, "
                    "connection and sequence number",
                    size_option, smallest, syslog_message_bytes_min()));
  return command;
}

std::string syslog_usage() {
  SyslogSpecs s;
  declare(s);
  return fmt::format(
      "usage: sluice-bench syslog --tcp HOST:PORT | --udp HOST:PORT [options]\n"
      "\n"
      "Sends RFC 5424 syslog messages of exactly --size bytes, each carrying its send time, its\n"
      "connection and a per-connection sequence number starting at 0:\n"
      "  <134>1 2026-11-21T05:10:00.000Z benchhost sluice-bench - - - conn=003 seq=0000000042 xxxx...\n"
      "The run stops at --duration, at --count, or on Ctrl-C, whichever comes first, then reports what\n"
      "was sent and, from the server's /metrics, what it accepted and how fast, and the latency from\n"
      "send to sink delivery (from sluice's sluice_sink_event_age_seconds; for latency, use a --rate\n"
      "the server sustains: at an unlimited rate it is the age of the backlog).\n"
      "\n"
      "options:\n"
      "{}"
      "\n"
      "Numbers for --rate, --count and --size take a k, M or G suffix (250k, 1.5M).\n"
      "\n"
      "--size-dist uniform:MIN-MAX draws every size from MIN to MAX equally often; list:200,500,1500\n"
      "draws one of the listed sizes (list a size twice to send it twice as often). The sizes are\n"
      "drawn once with a fixed seed, so every run sends the same sizes in the same order; each\n"
      "connection's pre-built buffer (about 1 MiB) takes the first of them and is sent over and over,\n"
      "so very large sizes leave few distinct ones. The summary's size is their mean.\n"
      "Exit status: 0 done, 1 connection or send error, 2 bad usage, 130 interrupted.\n",
      format_option_help(s.specs));
}

}  // namespace sluice::bench
