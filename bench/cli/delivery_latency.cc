#include "bench/cli/delivery_latency.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "bench/cli/metrics_scrape.h"

namespace sluice::bench {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

Result<double> parse_bound(std::string_view le) {
  if (le == "+Inf" || le == "Inf") return kInfinity;
  double value = 0;
  auto [end, ec] = std::from_chars(le.data(), le.data() + le.size(), value);
  if (le.empty() || ec != std::errc() || end != le.data() + le.size() || !std::isfinite(value))
    return make_error(fmt::format("malformed bucket bound le=\"{}\"", le));
  return value;
}

}  // namespace

Result<CumulativeBuckets> parse_prometheus_histogram(std::string_view text, std::string_view name) {
  const std::string bucket_name = fmt::format("{}_bucket", name);
  // Per bound, the count summed over label sets, and how many label sets gave one.
  std::vector<std::pair<double, double>> per_bound;
  std::vector<size_t> sets_per_bound;
  Status read = for_each_prometheus_sample(text, bucket_name, [&](std::string_view labels, double value) -> Status {
    auto le = prometheus_label(labels, "le");
    if (!le) return make_error(fmt::format("{} sample without an le label", bucket_name));
    auto bound = parse_bound(*le);
    if (!bound) return make_error(bound.error().message);
    auto it = std::find_if(per_bound.begin(), per_bound.end(), [&](const auto& b) { return b.first == bound.value(); });
    if (it == per_bound.end()) {
      per_bound.emplace_back(bound.value(), value);
      sets_per_bound.push_back(1);
    } else {
      it->second += value;
      ++sets_per_bound[static_cast<size_t>(it - per_bound.begin())];
    }
    return {};
  });
  if (!read) return make_error(read.message());
  CumulativeBuckets out;
  if (per_bound.empty()) return out;
  if (std::adjacent_find(sets_per_bound.begin(), sets_per_bound.end(), std::not_equal_to<>()) != sets_per_bound.end())
    return make_error(fmt::format("the label sets of {} have different bucket bounds", name));
  // Sort by bound, keeping the counts with their bounds.
  std::vector<size_t> order(per_bound.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return per_bound[a].first < per_bound[b].first; });
  for (size_t i : order) {
    out.upper_bounds.push_back(per_bound[i].first);
    out.counts.push_back(per_bound[i].second);
  }
  if (out.upper_bounds.back() != kInfinity) return make_error(fmt::format("{} has no +Inf bucket", name));
  for (size_t i = 1; i < out.counts.size(); ++i)
    if (out.counts[i] < out.counts[i - 1]) return make_error(fmt::format("{} buckets are not cumulative", name));
  auto sum = sum_prometheus_samples(text, fmt::format("{}_sum", name));
  auto count = sum_prometheus_samples(text, fmt::format("{}_count", name));
  if (!sum) return make_error(sum.error().message);
  if (!count) return make_error(count.error().message);
  out.sum = sum.value();
  out.count = count.value();
  return out;
}

Result<CumulativeBuckets> histogram_growth(const CumulativeBuckets& after, const CumulativeBuckets& before) {
  if (before.empty()) return after;
  if (after.upper_bounds != before.upper_bounds) return make_error("the histogram's buckets changed during the run");
  CumulativeBuckets out = after;
  for (size_t i = 0; i < out.counts.size(); ++i) {
    if (after.counts[i] < before.counts[i])
      return make_error("the histogram went backwards (was the server restarted?)");
    out.counts[i] -= before.counts[i];
  }
  out.sum -= before.sum;
  out.count -= before.count;
  return out;
}

std::optional<double> histogram_quantile(const CumulativeBuckets& h, double q) {
  if (h.empty() || h.counts.back() <= 0) return std::nullopt;
  const double rank = q * h.counts.back();
  size_t i = 0;
  while (i + 1 < h.counts.size() && h.counts[i] < rank) ++i;
  if (h.upper_bounds[i] == kInfinity) return kInfinity;
  const double lower = i == 0 ? 0 : h.upper_bounds[i - 1];
  const double below = i == 0 ? 0 : h.counts[i - 1];
  const double in_bucket = h.counts[i] - below;
  if (in_bucket <= 0) return h.upper_bounds[i];
  return lower + (h.upper_bounds[i] - lower) * (rank - below) / in_bucket;
}

std::optional<DeliveryLatency> delivery_latency(const CumulativeBuckets& growth) {
  if (growth.empty() || growth.counts.back() <= 0) return std::nullopt;
  auto ms = [&](double q) { return *histogram_quantile(growth, q) * 1000; };
  DeliveryLatency out;
  out.events = static_cast<uint64_t>(growth.counts.back());
  out.p50_ms = ms(0.5);
  out.p90_ms = ms(0.9);
  out.p99_ms = ms(0.99);
  out.p999_ms = ms(0.999);
  out.mean_ms = growth.count > 0 ? growth.sum / growth.count * 1000 : 0;
  out.largest_bound_ms =
      growth.upper_bounds.size() >= 2 ? growth.upper_bounds[growth.upper_bounds.size() - 2] * 1000 : 0;
  out.resolution_ms = growth.upper_bounds.size() >= 2 ? growth.upper_bounds.front() * 1000 : 0;
  return out;
}

}  // namespace sluice::bench
