// Prometheus text exposition. Components register a collect function once at start-up (before
// any thread runs); the admin thread calls collect_all() on every scrape. A collect function
// only reads Counters, Gauges and Histograms, so it is safe to run while shards and sinks are
// working.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/histogram.h"

namespace sluice::base {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { counter, gauge, histogram };

// Gathers samples by family so that each family's HELP and TYPE lines are written once.
class MetricsWriter {
 public:
  void counter(std::string_view name, std::string_view help, const Labels& labels, double value);
  void gauge(std::string_view name, std::string_view help, const Labels& labels, double value);
  // One histogram's samples: NAME_bucket{le=...} (cumulative), NAME_sum and NAME_count. Bounds
  // and sum are divided by `units_per_exposed` (1e6 for a histogram kept in microseconds and
  // exposed in seconds; dividing keeps 50000 us as "0.05", where multiplying by 1e-6 would not).
  void histogram(std::string_view name, std::string_view help, const Labels& labels, const Histogram& histogram,
                 double units_per_exposed);

  // The whole exposition in Prometheus text format 0.0.4.
  std::string text() const;
  // Sum of the samples named `name` whose labels include every given pair (for tools and
  // tests). A histogram's samples go by their own names: NAME_count, NAME_sum, NAME_bucket.
  double sum(std::string_view name, const Labels& match = {}) const;
  // Calls fn(labels, value) for every sample of a counter or gauge family.
  template <typename Fn>
  void for_each(std::string_view name, Fn&& fn) const {
    auto it = families_.find(name);
    if (it == families_.end()) return;
    for (const auto& sample : it->second.samples) fn(sample.labels, sample.value);
  }

 private:
  struct Sample {
    std::string_view suffix;  // "" for counters and gauges; "_bucket", "_sum", "_count"
    Labels labels;
    double value;
  };
  struct Family {
    std::string help;
    MetricType type;
    std::vector<Sample> samples;
  };
  void add(std::string_view name, std::string_view help, MetricType type, std::string_view suffix, const Labels& labels,
           double value);
  std::map<std::string, Family, std::less<>> families_;
};

class MetricsRegistry {
 public:
  using CollectFn = std::function<void(MetricsWriter&)>;

  // Start-up only, before threads run.
  void add(CollectFn fn) { collectors_.push_back(std::move(fn)); }
  // Admin thread.
  void collect_all(MetricsWriter& out) const {
    for (const auto& fn : collectors_) fn(out);
  }

 private:
  std::vector<CollectFn> collectors_;
};

}  // namespace sluice::base
