// The Flume-style JSON view of the metrics (GET /flume/metrics), for monitoring that already
// reads a Flume agent's JSON: {"SOURCE.r1": {"Type": "SOURCE", "EventReceivedCount": "42", ...},
// "CHANNEL.c1": {...}, "SINK.k1": {...}}, counters summed over shards, values as strings like
// Flume writes them. Pure function: any thread.
#pragma once

#include <string>

#include "base/metrics.h"

namespace sluice::admin {

std::string flume_metrics_json(const base::MetricsWriter& metrics);

}  // namespace sluice::admin
