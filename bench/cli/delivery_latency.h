// Latency from send to sink delivery, read from the server: every sluice sink keeps the
// histogram sluice_sink_event_age_seconds (delivery time minus each event's timestamp), and
// sluice-bench stamps every event with its send time, so the histogram's growth over a run is
// the distribution of this run's send-to-delivery latencies. The server keeps buckets, not
// samples, so percentiles are interpolated within a bucket, as Prometheus's histogram_quantile
// does; a bucket spans about 1.5x (from 1 ms up), and timestamps carry milliseconds.
//
// Threads: pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::bench {

inline constexpr std::string_view kEventAgeMetric = "sluice_sink_event_age_seconds";
// Events stored that a sink has not committed yet: 0 once every accepted event is delivered.
inline constexpr std::string_view kChannelSizeMetric = "sluice_channel_size_events";

// One histogram summed over its label sets (every sink): cumulative counts per upper bound.
struct CumulativeBuckets {
  std::vector<double> upper_bounds;  // seconds, ascending, the last +infinity
  std::vector<double> counts;        // cumulative, one per bound
  double sum = 0;                    // seconds
  double count = 0;
  bool empty() const { return upper_bounds.empty(); }
};

// The histogram `name` in Prometheus text format 0.0.4 (NAME_bucket{le=...}, NAME_sum,
// NAME_count), summed over label sets. Empty when the text has no such histogram; an error
// when its samples are malformed or the label sets disagree on the bounds.
Result<CumulativeBuckets> parse_prometheus_histogram(std::string_view text, std::string_view name);

// What `after` gained over `before` (an empty `before`: all of `after`). An error when the
// bounds differ or a count went backwards (the server restarted).
Result<CumulativeBuckets> histogram_growth(const CumulativeBuckets& after, const CumulativeBuckets& before);

// The value (seconds) below which a fraction `q` (0 < q <= 1) of the counts lie, interpolated
// linearly within the bucket holding that rank (from 0 for the first bucket); +infinity when
// the rank lies in the +Inf bucket; nullopt when the histogram counts nothing.
std::optional<double> histogram_quantile(const CumulativeBuckets& h, double q);

struct DeliveryLatency {
  uint64_t events = 0;
  // Milliseconds; +infinity: beyond the largest finite bound (largest_bound_ms).
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, mean_ms = 0;
  double largest_bound_ms = 0;
  // The first bucket's bound: a percentile below it says only "within the first bucket" (its
  // interpolated value is no measurement), and reports read it as "< resolution".
  double resolution_ms = 0;
};

// The percentiles of a run's growth; nullopt when it counts nothing.
std::optional<DeliveryLatency> delivery_latency(const CumulativeBuckets& growth);

}  // namespace sluice::bench
