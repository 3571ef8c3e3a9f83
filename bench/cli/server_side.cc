#include "bench/cli/server_side.h"

#include <cstdio>

#include <fmt/format.h>

#include "bench/cli/metrics_scrape.h"
#include "server/base/time.h"

namespace sluice::bench {
namespace {

constexpr int64_t kScrapeTimeoutMs = 2'000;

}  // namespace

void print_error(std::string_view message) { fmt::print(stderr, "sluice-bench: {}\n", message); }

ServerBaseline read_server_baseline(const LoadOptions& load) {
  ServerBaseline out;
  if (!load.metrics) return out;
  auto value = scrape_metric_sum(*load.metrics, kAcceptedEventsMetric, kScrapeTimeoutMs);
  if (value) {
    out.accepted = value.value();
  } else {
    out.note = fmt::format("not measured: {}", value.error().message);
    print_error(fmt::format("server metrics unavailable ({}); reporting client-side numbers only",
                            value.error().message));
  }
  return out;
}

void measure_server(const LoadOptions& load, const ServerBaseline& baseline, const DriveResult& run,
                    uint64_t expected, std::string_view expected_name, RunSummary& summary) {
  if (!load.metrics || !baseline.accepted) {
    summary.server_note = baseline.note;
    return;
  }
  const HttpUrl url = *load.metrics;
  const double target = *baseline.accepted + static_cast<double>(expected);
  auto first = scrape_metric_sum(url, kAcceptedEventsMetric, kScrapeTimeoutMs);
  int64_t first_ns = base::monotonic_ns();
  SettleOptions options;
  options.target = target;
  if (!load.quiet && !(first && first.value() >= target))
    fmt::print(stderr, "waiting for the server's {} to settle (up to {} s without change; Ctrl-C skips)\n",
               kAcceptedEventsMetric, options.unchanged_ns_max / 1'000'000'000);
  int interrupts = interrupt_count();
  SettleHooks hooks{
      .scrape = [&] { return scrape_metric_sum(url, kAcceptedEventsMetric, kScrapeTimeoutMs); },
      .now_ns = [] { return base::monotonic_ns(); },
      .sleep_ns = [](int64_t ns) { sleep_ns(ns); },
      .interrupted = [&] { return interrupt_count() != interrupts; },
  };
  SettleResult settled = wait_for_settle(options, first ? first.value() : *baseline.accepted, first_ns, hooks);
  if (!first && settled.last_error.empty()) settled.last_error = first.error().message;

  if (settled.value < *baseline.accepted) {
    summary.server_note = "not measured: the server's counter went backwards (was it restarted?)";
    return;
  }
  uint64_t accepted = static_cast<uint64_t>(settled.value - *baseline.accepted);
  summary.server_events_accepted = accepted;
  if (accepted > 0 && settled.last_increase_ns > run.start_ns) {
    double window_s = static_cast<double>(settled.last_increase_ns - run.start_ns) / 1e9;
    summary.server_window_s = window_s;
    summary.server_events_per_s = static_cast<double>(accepted) / window_s;
  }
  if (accepted > expected)
    summary.server_note = fmt::format("the server accepted more than this run {}: other clients were sending too",
                                      expected_name);
  else if (settled.interrupted)
    summary.server_note = "stopped waiting for the server on Ctrl-C; it may accept more";
  else if (!settled.reached_target && !settled.last_error.empty())
    summary.server_note = fmt::format("the last metrics read failed: {}", settled.last_error);
  else if (!settled.reached_target)
    summary.server_note = fmt::format("{} events {} were not accepted (counter unchanged for {} s)",
                                      group_thousands(expected - accepted), expected_name,
                                      options.unchanged_ns_max / 1'000'000'000);
}

std::string stop_reason_name(StopReason reason, bool quota_done) {
  switch (reason) {
    case StopReason::duration: return "duration";
    case StopReason::interrupted: return "interrupt";
    case StopReason::completed: return quota_done ? "count" : "error";
  }
  return "error";
}

}  // namespace sluice::bench
