// What the server took in during a run, from its Prometheus /metrics: the accepted-events
// counter read before the run (the baseline) and after it, polled until it settles; then, once
// the channels are empty, the latency to sink delivery from the growth of the sinks' event-age
// histogram (delivery_latency.h). Shared by every load subcommand.
//
// Threads: main thread, before and after drive_load().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bench/cli/delivery_latency.h"
#include "bench/cli/load_driver.h"
#include "bench/cli/options.h"
#include "bench/cli/report.h"

namespace sluice::bench {

struct ServerBaseline {
  std::optional<double> accepted;
  std::string note;              // why there is no baseline
  CumulativeBuckets event_ages;  // empty: the server has no such histogram (yet)
  std::string event_ages_error;  // the histogram could not be read
};

// "sluice-bench: MESSAGE" on stderr.
void print_error(std::string_view message);

// Reads the counter before the run (nothing with --no-metrics). A failure is reported on
// stderr and leaves the run to report client-side numbers only.
ServerBaseline read_server_baseline(const LoadOptions& load);

// After the run: waits for the server's counter to grow by `expected` events (what was sent,
// or acknowledged), to stop changing, or for Ctrl-C, and fills the server fields of `summary`.
// `expected_name` is how notes call those events ("sent", "acknowledged"). Then waits for the
// channels to empty (or stop emptying) and fills summary.delivery from the event-age histogram;
// summary.delivery_from must say what the events' timestamps are.
void measure_server(const LoadOptions& load, const ServerBaseline& baseline, const DriveResult& run, uint64_t expected,
                    std::string_view expected_name, RunSummary& summary);

// "duration", "interrupt", "count" or "error" (the connections ended before their quota).
std::string stop_reason_name(StopReason reason, bool quota_done);

}  // namespace sluice::bench
