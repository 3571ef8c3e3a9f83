#include "server/admin/flume_metrics.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace sluice::admin {
namespace {

// Flume's counter name for each of sluice's families, per kind of component.
struct Mapping {
  const char* kind;    // SOURCE, CHANNEL, SINK
  const char* family;  // sluice's family
  const char* flume;   // Flume's counter
  bool maximum;        // take the largest shard's value instead of the sum
  double scale;
};

constexpr Mapping kMappings[] = {
    {"SOURCE", "sluice_source_received_events_total", "EventReceivedCount", false, 1},
    {"SOURCE", "sluice_source_accepted_events_total", "EventAcceptedCount", false, 1},
    {"SOURCE", "sluice_source_rejected_events_total", "EventRejectedCount", false, 1},
    {"SOURCE", "sluice_source_active_connections", "OpenConnectionCount", false, 1},
    {"SOURCE", "sluice_source_framing_errors_total", "GenericProcessingFail", false, 1},
    {"CHANNEL", "sluice_channel_size_events", "ChannelSize", false, 1},
    {"CHANNEL", "sluice_channel_fill_ratio", "ChannelFillPercentage", true, 100},
    {"CHANNEL", "sluice_channel_next_sequence", "EventPutSuccessCount", false, 1},
    {"SINK", "sluice_sink_drained_events_total", "EventDrainSuccessCount", false, 1},
    {"SINK", "sluice_sink_batches_total", "BatchCompleteCount", false, 1},
    {"SINK", "sluice_sink_errors_total", "EventWriteFail", false, 1},
    {"SINK", "sluice_sink_kafka_sent_events_total", "EventDrainAttemptCount", false, 1},
    {"SINK", "sluice_sink_kafka_connection_failures_total", "ConnectionFailedCount", false, 1},
    {"SINK", "sluice_sink_kafka_created_producers_total", "ConnectionCreatedCount", false, 1},
    {"SINK", "sluice_sink_kafka_dead_lettered_events_total", "EventWriteFail", false, 1},
};

std::string label(const base::Labels& labels, std::string_view name) {
  for (const auto& [k, v] : labels)
    if (k == name) return v;
  return {};
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string flume_metrics_json(const base::MetricsWriter& metrics) {
  // component "SOURCE.r1" -> counter -> value
  std::map<std::string, std::map<std::string, double>> components;
  for (const Mapping& m : kMappings) {
    metrics.for_each(m.family, [&](const base::Labels& labels, double value) {
      std::string component = fmt::format("{}.{}", m.kind, label(labels, "component"));
      double& slot = components[component][m.flume];
      slot = m.maximum ? std::max(slot, value * m.scale) : slot + value * m.scale;
    });
  }
  // Sinks without an attempt counter of their own attempt what they drain.
  for (auto& [component, counters] : components)
    if (component.starts_with("SINK.") && !counters.contains("EventDrainAttemptCount"))
      counters["EventDrainAttemptCount"] = counters["EventDrainSuccessCount"];
  std::string out = "{";
  bool first = true;
  for (const auto& [component, counters] : components) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, component);
    out += ":{\"Type\":";
    append_json_string(out, component.substr(0, component.find('.')));
    for (const auto& [name, value] : counters) {
      out += ',';
      append_json_string(out, name);
      out += ':';
      append_json_string(out, fmt::format("{}", static_cast<int64_t>(value)));
    }
    out += '}';
  }
  out += "}";
  return out;
}

}  // namespace sluice::admin
