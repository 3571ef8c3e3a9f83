#include "sinks/common/metric_table.h"

#include <array>

#include <fmt/format.h>

namespace sluice::sinks {
namespace {

// The plural nouns a sink counts, one of which ends every name (before _total or _max).
constexpr std::array<std::string_view, 13> kUnits = {
    "events",     "bytes",   "seconds", "files",    "batches", "connections", "producers",
    "deliveries", "retries", "errors",  "failures", "commits", "rolls",
};

bool ends_with_word(std::string_view name, std::string_view word) {
  return name.size() > word.size() && name.ends_with(word) && name[name.size() - word.size() - 1] == '_';
}

}  // namespace

std::string metric_name_problem(std::string_view name, std::string_view type, base::MetricType metric_type) {
  const std::string prefix = type.empty() ? std::string("sluice_sink_") : fmt::format("sluice_sink_{}_", type);
  if (!name.starts_with(prefix)) return fmt::format("{}: does not start with {}", name, prefix);
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return fmt::format("{}: only a-z, 0-9 and _ are used", name);
  std::string_view rest = name.substr(prefix.size());
  if (metric_type == base::MetricType::counter) {
    if (!ends_with_word(rest, "total")) return fmt::format("{}: a counter ends in _total", name);
    rest.remove_suffix(std::string_view("_total").size());
  } else {
    if (ends_with_word(rest, "total")) return fmt::format("{}: only counters end in _total", name);
    if (ends_with_word(rest, "max")) rest.remove_suffix(std::string_view("_max").size());
  }
  for (std::string_view unit : kUnits) {
    if (rest == unit || ends_with_word(rest, unit)) return {};
  }
  return fmt::format("{}: the counted unit (events, bytes, files, ...) comes last, after what happened to it", name);
}

}  // namespace sluice::sinks
