// Prometheus text exposition. Components register a collect function once at start-up (before
// any thread runs); the admin thread calls collect_all() on every scrape. A collect function
// only reads Counters and Gauges, so it is safe to run while shards and sinks are working.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::base {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { counter, gauge };

// Gathers samples by family so that each family's HELP and TYPE lines are written once.
class MetricsWriter {
 public:
  void counter(std::string_view name, std::string_view help, const Labels& labels, double value);
  void gauge(std::string_view name, std::string_view help, const Labels& labels, double value);

  // The whole exposition in Prometheus text format 0.0.4.
  std::string text() const;
  // Sum of one family's samples whose labels include every given pair (for tools and tests).
  double sum(std::string_view name, const Labels& match = {}) const;
  // Calls fn(labels, value) for every sample of one family.
  template <typename Fn>
  void for_each(std::string_view name, Fn&& fn) const {
    auto it = families_.find(name);
    if (it == families_.end()) return;
    for (const auto& [labels, value] : it->second.samples) fn(labels, value);
  }

 private:
  struct Family {
    std::string help;
    MetricType type;
    std::vector<std::pair<Labels, double>> samples;
  };
  void add(std::string_view name, std::string_view help, MetricType type, const Labels& labels, double value);
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
