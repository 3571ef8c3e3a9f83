// Reading the server's Prometheus endpoint: a blocking HTTP/1.0 GET, a sum over one family of
// the text format, and waiting after a run until the server's accepted-events counter settles.
//
// Threads: any thread. The pure parts (response and text parsing, the settle loop with its
// injected clock) are separate so that tests can reach every branch.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "bench/cli/options.h"

namespace sluice::bench {

// Events the server's sources took in, per shard and source; a run sums every label set.
inline constexpr std::string_view kAcceptedEventsMetric = "sluice_source_accepted_events_total";
inline constexpr size_t kHttpResponseBytesMax = 16u << 20;

// The body of a complete HTTP/1.x response; an error unless the status is 200.
Result<std::string_view> http_response_body(std::string_view response);

// Calls fn(labels, value) for every sample named `name` in Prometheus text format 0.0.4;
// `labels` is the label set as written, braces included ("" when there is none). An error
// names the line of a malformed sample, or passes on fn's error with its line.
using SampleFn = std::function<Status(std::string_view labels, double value)>;
Status for_each_prometheus_sample(std::string_view text, std::string_view name, const SampleFn& fn);

// The value of label `key` in a label set as for_each_prometheus_sample gives it, unescaped
// only as far as sluice's own values need (none hold quotes); nullopt when it is absent.
std::optional<std::string_view> prometheus_label(std::string_view labels, std::string_view key);

// Sum of every sample of metric `name` (over all label sets) in Prometheus text format 0.0.4.
// An error when there is no such sample or one of its lines is malformed.
Result<double> sum_prometheus_samples(std::string_view text, std::string_view name);

// GET url over HTTP/1.0; the body of a 200 response. Blocks for at most timeout_ms.
Result<std::string> http_get(const HttpUrl& url, int64_t timeout_ms);

// http_get and sum_prometheus_samples together.
Result<double> scrape_metric_sum(const HttpUrl& url, std::string_view name, int64_t timeout_ms);

struct SettleOptions {
  int64_t poll_interval_ns = 100'000'000;
  // Stop when the counter has not grown for this long: the server has taken in all it will.
  int64_t unchanged_ns_max = 10'000'000'000;
  // Stop regardless after this long, so that a counter that keeps creeping (other clients)
  // cannot keep the run open.
  int64_t wait_ns_max = 300'000'000'000;
  // Stop as soon as the counter reaches this: everything sent has been accepted.
  double target = 0;
  // The value falls to the target instead (what is left to deliver): reached at or below it.
  bool falling = false;
};

struct SettleResult {
  double value = 0;              // the last value read
  int64_t last_increase_ns = 0;  // when the last increase was seen (poll granularity)
  bool reached_target = false;
  bool interrupted = false;
  std::string last_error;  // the last failed scrape, if any
};

struct SettleHooks {
  std::function<Result<double>()> scrape;
  std::function<int64_t()> now_ns;
  std::function<void(int64_t ns)> sleep_ns;
  std::function<bool()> interrupted;
};

// Polls until the counter reaches options.target (from below, or from above when falling),
// stops changing for unchanged_ns_max, or
// wait_ns_max passes. `first_value` was read at `first_ns`, right after the run; a failed
// scrape counts as no change.
SettleResult wait_for_settle(const SettleOptions& options, double first_value, int64_t first_ns,
                             const SettleHooks& hooks);

}  // namespace sluice::bench
