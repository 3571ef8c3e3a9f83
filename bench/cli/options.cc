#include "bench/cli/options.h"

#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "bench/cli/batch_events.h"

namespace sluice::bench {
namespace {

Result<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return make_error(fmt::format("'{}' is not a port (1-65535)", text));
  return static_cast<uint16_t>(value);
}

Result<uint64_t> parse_whole(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return make_error(fmt::format("'{}' is not a whole number", text));
  return value;
}

const OptionSpec* find_spec(std::span<const OptionSpec> specs, std::string_view name) {
  for (const auto& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace

std::string Endpoint::text() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::string HttpUrl::text() const {
  std::string shown_host = host.find(':') != std::string::npos ? fmt::format("[{}]", host) : host;
  return fmt::format("http://{}:{}{}", shown_host, port, path);
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error(fmt::format("'{}' is not HOST:PORT ([ADDRESS]:PORT for IPv6)", text));
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return make_error(fmt::format("'{}' is not HOST:PORT ([ADDRESS]:PORT for IPv6)", text));
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return make_error(fmt::format("'{}' has no host", text));
  auto port = parse_port(port_text);
  if (!port) return port.error();
  out.port = port.value();
  return out;
}

Result<HttpUrl> parse_http_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (!text.starts_with(kScheme))
    return make_error(fmt::format("'{}' is not an http:// URL (https is not supported)", text));
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return make_error(fmt::format("'{}': user info in URLs is not supported", text));
  bool has_port = authority.starts_with('[') ? authority.find("]:") != std::string_view::npos
                                             : authority.find(':') != std::string_view::npos;
  if (has_port) {
    auto endpoint = parse_endpoint(authority);
    if (!endpoint) return make_error(fmt::format("'{}': {}", text, endpoint.error().message));
    out.host = std::move(endpoint->host);
    out.port = endpoint->port;
  } else {
    if (authority.starts_with('[') && authority.ends_with(']')) authority = authority.substr(1, authority.size() - 2);
    out.host = std::string(authority);
  }
  if (out.host.empty()) return make_error(fmt::format("'{}' has no host", text));
  return out;
}

Result<uint64_t> parse_quantity(std::string_view text) {
  uint64_t multiplier = 1;
  std::string_view number = text;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K': multiplier = 1'000; break;
      case 'M': multiplier = 1'000'000; break;
      case 'G': multiplier = 1'000'000'000; break;
      default: break;
    }
    if (multiplier != 1) number.remove_suffix(1);
  }
  if (multiplier == 1) return parse_whole(text);
  // With a suffix a fraction is fine as long as the result is whole: 1.5M, not 1.0000005M.
  double mantissa = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), mantissa);
  double value = mantissa * static_cast<double>(multiplier);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || !(mantissa >= 0) || value > 9e15 ||
      value != std::floor(value))
    return make_error(fmt::format("'{}' is not a whole number (suffixes k, M, G allowed)", text));
  return static_cast<uint64_t>(value);
}

Result<double> parse_seconds(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !(value > 0))
    return make_error(fmt::format("'{}' is not a positive number of seconds", text));
  return value;
}

Result<bool> parse_options(std::span<const std::string_view> args, std::span<const OptionSpec> specs,
                           const std::function<Status(std::string_view)>& positional) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return true;
    if (!arg.starts_with("--")) {
      if (!positional) return make_error(fmt::format("unexpected argument '{}'", arg));
      if (Status taken = positional(arg); !taken) return make_error(taken.message());
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const OptionSpec* spec = find_spec(specs, name);
    if (!spec) return make_error(fmt::format("unknown option {}", name));
    if (!seen.insert(spec->name).second) return make_error(fmt::format("{} given more than once", name));
    std::string_view value;
    if (spec->value_name.empty()) {
      if (inline_value) return make_error(fmt::format("{} takes no value", name));
    } else if (inline_value) {
      value = *inline_value;
    } else {
      if (i + 1 >= args.size()) return make_error(fmt::format("{} needs a value ({})", name, spec->value_name));
      value = args[++i];
    }
    Status applied = spec->apply(value);
    if (!applied) return make_error(fmt::format("{}: {}", name, applied.message()));
  }
  return false;
}

std::string format_option_help(std::span<const OptionSpec> specs) {
  std::string out;
  for (const auto& spec : specs) {
    std::string left =
        spec.value_name.empty() ? std::string(spec.name) : fmt::format("{} {}", spec.name, spec.value_name);
    if (left.size() <= 24) out += fmt::format("  {:<25}{}\n", left, spec.help);
    else out += fmt::format("  {}\n  {:<25}{}\n", left, "", spec.help);
  }
  return out;
}

LoadOptionsBuilder::LoadOptionsBuilder() { options_.metrics = parse_http_url(kDefaultMetricsUrl).value(); }

void LoadOptionsBuilder::add_specs(std::vector<OptionSpec>& specs) {
  specs.push_back({"--connections", "N", "connections, one sending thread each (1-256; default 4)",
                   [this](std::string_view v) -> Status {
                     auto n = parse_whole(v);
                     if (!n) return n.error();
                     if (n.value() < 1 || n.value() > kConnectionsMax)
                       return make_error(fmt::format("{} is outside 1-{}", v, kConnectionsMax));
                     options_.connections = static_cast<uint32_t>(n.value());
                     return {};
                   }});
  specs.push_back({"--rate", "EVENTS_PER_S", "total events per second across connections (default 0: unlimited)",
                   [this](std::string_view v) -> Status {
                     auto n = parse_quantity(v);
                     if (!n) return n.error();
                     if (n.value() > kRatePerSecondMax)
                       return make_error(fmt::format("{} is above the maximum of {}", v, kRatePerSecondMax));
                     options_.rate_per_s = n.value();
                     return {};
                   }});
  specs.push_back(
      {"--duration", "S", "stop after this many seconds (default 10)", [this](std::string_view v) -> Status {
         auto s = parse_seconds(v);
         if (!s) return s.error();
         if (s.value() > kDurationSecondsMax)
           return make_error(fmt::format("{} is above the maximum of {} s", v, kDurationSecondsMax));
         options_.duration_s = s.value();
         return {};
       }});
  specs.push_back({"--count", "N", "stop after N events in total, if that comes before the duration",
                   [this](std::string_view v) -> Status {
                     auto n = parse_quantity(v);
                     if (!n) return n.error();
                     if (n.value() == 0) return make_error("must be at least 1");
                     options_.count = n.value();
                     return {};
                   }});
  specs.push_back({"--metrics", "URL", "the server's Prometheus endpoint (default http://127.0.0.1:9595/metrics)",
                   [this](std::string_view v) -> Status {
                     auto url = parse_http_url(v);
                     if (!url) return url.error();
                     options_.metrics = std::move(url.value());
                     metrics_given_ = true;
                     return {};
                   }});
  specs.push_back({"--no-metrics", "", "do not read the server's metrics", [this](std::string_view) -> Status {
                     no_metrics_ = true;
                     return {};
                   }});
  specs.push_back({"--json", "", "print the summary as one JSON object on stdout", [this](std::string_view) -> Status {
                     options_.json = true;
                     return {};
                   }});
  specs.push_back({"--quiet", "", "no progress line on stderr", [this](std::string_view) -> Status {
                     options_.quiet = true;
                     return {};
                   }});
}

void add_request_specs(std::vector<OptionSpec>& specs, RequestOptions& out) {
  specs.push_back({"--batch", "K", "events per request (1-100k; default 100)", [&out](std::string_view v) -> Status {
                     auto n = parse_quantity(v);
                     if (!n) return n.error();
                     if (n.value() < 1 || n.value() > kBatchEventsMax)
                       return make_error(fmt::format("{} is outside 1-{}", v, kBatchEventsMax));
                     out.batch = static_cast<uint32_t>(n.value());
                     return {};
                   }});
  specs.push_back({"--size", "BYTES", "bytes of each event's body (default 200)", [&out](std::string_view v) -> Status {
                     auto n = parse_quantity(v);
                     if (!n) return n.error();
                     if (n.value() > kBodyBytesMax)
                       return make_error(fmt::format("{} is above the maximum of {}", v, kBodyBytesMax));
                     out.body_bytes = static_cast<size_t>(n.value());
                     out.body_bytes_given = true;
                     return {};
                   }});
  specs.push_back({"--size-dist", "uniform:MIN-MAX|list:N,N,...",
                   "body sizes drawn from a distribution instead of one --size (as for syslog)",
                   [&out](std::string_view v) -> Status {
                     auto dist = parse_size_distribution(v);
                     if (!dist) return dist.error();
                     if (dist->max > kBodyBytesMax)
                       return make_error(fmt::format("{} is above the maximum of {}", dist->max, kBodyBytesMax));
                     out.size_dist = std::move(dist.value());
                     return {};
                   }});
  specs.push_back({"--retries", "N", "how often one batch is sent again after the server turned it away (default 100)",
                   [&out](std::string_view v) -> Status {
                     auto n = parse_quantity(v);
                     if (!n) return n.error();
                     if (n.value() > kRetriesMax)
                       return make_error(fmt::format("{} is above the maximum of {}", v, kRetriesMax));
                     out.retries = static_cast<uint32_t>(n.value());
                     return {};
                   }});
}

std::vector<size_t> RequestOptions::body_sizes() const {
  return size_dist ? draw_sizes(*size_dist, kSizeTableLength) : std::vector<size_t>{body_bytes};
}

Status check_request_sizes(const RequestOptions& o) {
  auto bounds = size_bounds(o.body_bytes_given, o.size_dist, o.body_bytes);
  if (!bounds) return bounds.error();
  if (bounds->smallest < event_body_bytes_min())
    return make_error(fmt::format(
        "{} {} is too small: every event body needs at least {} bytes for its "
        "connection and sequence number",
        bounds->option, o.size_dist ? o.size_dist->text() : std::to_string(o.body_bytes), event_body_bytes_min()));
  return {};
}

Result<LoadOptions> LoadOptionsBuilder::finish() const {
  if (metrics_given_ && no_metrics_) return make_error("--metrics and --no-metrics contradict each other");
  LoadOptions out = options_;
  if (no_metrics_) out.metrics.reset();
  return out;
}

}  // namespace sluice::bench
