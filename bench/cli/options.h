// Command-line options of the sluice-bench subcommands. Each subcommand declares one table of
// {name, value, help, apply}; the same table drives parsing and --help, so they cannot drift.
// Options shared by every load subcommand (connections, rate, duration, count, metrics, output)
// are declared once here.
//
// Threads: main thread, at start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bench/cli/size_distribution.h"

namespace sluice::bench {

struct Endpoint {
  std::string host;  // name or address, IPv6 without brackets
  uint16_t port = 0;

  // As the user would write it: "127.0.0.1:5514", "[::1]:5514".
  std::string text() const;
};

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path = "/";

  std::string text() const;
};

// HOST:PORT or [IPV6]:PORT.
Result<Endpoint> parse_endpoint(std::string_view text);
// http://HOST[:PORT][/PATH]; no https, no user info.
Result<HttpUrl> parse_http_url(std::string_view text);
// A whole number, optionally with a decimal suffix k (1e3), M (1e6) or G (1e9): 250k, 1.5M.
Result<uint64_t> parse_quantity(std::string_view text);
// A positive number of seconds, fractions allowed: 10, 0.5.
Result<double> parse_seconds(std::string_view text);

struct OptionSpec {
  std::string_view name;        // "--rate"
  std::string_view value_name;  // "EVENTS_PER_S", or empty for a flag
  std::string_view help;        // one line, default included
  // Stores the value; an error names what is wrong with it (the caller adds the option name).
  std::function<Status(std::string_view value)> apply;
};

// Parses "--name VALUE", "--name=VALUE" and flags against `specs`. Each option may be given
// once. Arguments that are not options go to `positional` (an error without it; it returns an
// error for one too many). Returns true when --help (or -h) was asked for, which ends parsing.
Result<bool> parse_options(std::span<const std::string_view> args, std::span<const OptionSpec> specs,
                           const std::function<Status(std::string_view)>& positional = {});
// The option lines of a --help text.
std::string format_option_help(std::span<const OptionSpec> specs);

inline constexpr uint32_t kConnectionsMax = 256;  // one sending thread each
inline constexpr uint64_t kRatePerSecondMax = 1'000'000'000;
inline constexpr double kDurationSecondsMax = 7 * 24 * 3600;
inline constexpr std::string_view kDefaultMetricsUrl = "http://127.0.0.1:9595/metrics";

// What every load subcommand shares.
struct LoadOptions {
  uint32_t connections = 4;
  uint64_t rate_per_s = 0;  // total across connections; 0: as fast as possible
  double duration_s = 10;
  uint64_t count = 0;              // total events across connections; 0: bounded by the duration only
  std::optional<HttpUrl> metrics;  // nullopt with --no-metrics
  bool json = false;
  bool quiet = false;
};

// Connection `index`'s share of `count` events over `connections`: the first
// count % connections connections send one more. Verify splits --expect-count the same way.
constexpr uint64_t count_share(uint64_t count, uint32_t connections, uint32_t index) {
  return count / connections + (index < count % connections ? 1 : 0);
}

// Collects the shared options into a LoadOptions while the table is parsed; finish() checks
// the combinations.
class LoadOptionsBuilder {
 public:
  LoadOptionsBuilder();
  // Appends the shared options' specs; they write into this builder, which must outlive them.
  void add_specs(std::vector<OptionSpec>& specs);
  Result<LoadOptions> finish() const;

 private:
  LoadOptions options_;
  bool metrics_given_ = false;
  bool no_metrics_ = false;
};

// What the request/response subcommands (http, avro) add: events per request, their body
// size and how often a batch the server turned away (HTTP 503, Avro FAILED) is sent again.
inline constexpr uint32_t kBatchEventsMax = 100'000;
inline constexpr size_t kBodyBytesMax = 1u << 20;
inline constexpr uint32_t kRetriesMax = 1'000'000;

struct RequestOptions {
  uint32_t batch = 100;
  size_t body_bytes = 200;
  bool body_bytes_given = false;
  std::optional<SizeDistribution> size_dist;  // --size-dist; body_bytes is not used then
  uint32_t retries = 100;

  // The body sizes the requests take their events' sizes from, in order: the sizes drawn
  // from --size-dist (the same for every run), or --size alone.
  std::vector<size_t> body_sizes() const;
};

// Appends --batch, --size, --size-dist and --retries; they write into `out`, which must
// outlive the specs.
void add_request_specs(std::vector<OptionSpec>& specs, RequestOptions& out);
// Once every option is read: --size or --size-dist, not both, and every body large enough for
// its marker.
Status check_request_sizes(const RequestOptions& options);

}  // namespace sluice::bench
