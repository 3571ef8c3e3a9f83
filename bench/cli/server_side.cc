#include "bench/cli/server_side.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "base/time.h"
#include "bench/cli/metrics_scrape.h"

namespace sluice::bench {
namespace {

constexpr int64_t kScrapeTimeoutMs = 2'000;

}  // namespace

void print_error(std::string_view message) { fmt::print(stderr, "sluice-bench: {}\n", message); }

ServerBaseline read_server_baseline(const LoadOptions& load) {
  ServerBaseline out;
  if (!load.metrics) return out;
  auto text = http_get(*load.metrics, kScrapeTimeoutMs);
  Result<double> value = text ? sum_prometheus_samples(text.value(), kAcceptedEventsMetric) : text.error();
  if (!value) {
    std::string why = text ? fmt::format("{}: {}", load.metrics->text(), value.error().message) : value.error().message;
    out.note = fmt::format("not measured: {}", why);
    print_error(fmt::format("server metrics unavailable ({}); reporting client-side numbers only", why));
    return out;
  }
  out.accepted = value.value();
  auto ages = parse_prometheus_histogram(text.value(), kEventAgeMetric);
  if (ages) out.event_ages = std::move(ages.value());
  else out.event_ages_error = ages.error().message;
  return out;
}

namespace {

// Waits (bounded, like the accepted counter) until the channels hold nothing more for the sinks,
// then reads the event-age histogram's growth over the run into summary.delivery.
void measure_delivery(const LoadOptions& load, const ServerBaseline& baseline, RunSummary& summary) {
  if (!baseline.event_ages_error.empty()) {
    summary.delivery_note = fmt::format("not measured: {}", baseline.event_ages_error);
    return;
  }
  const HttpUrl url = *load.metrics;
  auto text = http_get(url, kScrapeTimeoutMs);
  if (!text) {
    summary.delivery_note = fmt::format("not measured: {}", text.error().message);
    return;
  }
  if (baseline.event_ages.empty() && text->find(kEventAgeMetric) == std::string::npos) {
    summary.delivery_note =
        fmt::format("not measured: the server has no {} (not sluice, or an older sluice)", kEventAgeMetric);
    return;
  }
  // Delivered means: the channels hold nothing for the sinks, and the sinks counted at least as
  // many events as the run had accepted (a shard may count an event as accepted a moment before
  // the channel shows it). What is left falls to 0.
  const double accepted = static_cast<double>(summary.server_events_accepted.value_or(0));
  auto left_to_deliver = [&](const Result<std::string>& scraped) -> Result<double> {
    if (!scraped) return scraped.error();
    auto size = sum_prometheus_samples(scraped.value(), kChannelSizeMetric);
    if (!size) return size.error();
    auto ages = parse_prometheus_histogram(scraped.value(), kEventAgeMetric);
    if (!ages) return ages.error();
    auto growth = histogram_growth(ages.value(), baseline.event_ages);
    if (!growth) return growth.error();
    return std::max(size.value(), accepted - growth->count);
  };
  auto first = left_to_deliver(text);
  SettleOptions options;
  options.target = 0;
  options.falling = true;
  if (!load.quiet && first && first.value() > 0)
    fmt::print(stderr, "waiting for the sinks to deliver the last {} events (Ctrl-C skips)\n",
               group_thousands(static_cast<uint64_t>(first.value())));
  int interrupts = interrupt_count();
  SettleHooks hooks{
      .scrape = [&] { return left_to_deliver(http_get(url, kScrapeTimeoutMs)); },
      .now_ns = [] { return base::monotonic_ns(); },
      .sleep_ns = [](int64_t ns) { sleep_ns(ns); },
      .interrupted = [&] { return interrupt_count() != interrupts; },
  };
  SettleResult drained = wait_for_settle(options, first ? first.value() : 0, base::monotonic_ns(), hooks);
  // A fresh read: within one scrape a sink's histogram may be collected before its channel.
  text = http_get(url, kScrapeTimeoutMs);
  if (!text) {
    summary.delivery_note = fmt::format("not measured: {}", text.error().message);
    return;
  }
  auto after = parse_prometheus_histogram(text.value(), kEventAgeMetric);
  if (!after) {
    summary.delivery_note = fmt::format("not measured: {}", after.error().message);
    return;
  }
  auto growth = histogram_growth(after.value(), baseline.event_ages);
  if (!growth) {
    summary.delivery_note = fmt::format("not measured: {}", growth.error().message);
    return;
  }
  summary.delivery = delivery_latency(growth.value());
  if (!summary.delivery) {
    summary.delivery_note = "not measured: no sink delivered an event during the run";
    return;
  }
  if (!drained.reached_target)
    summary.delivery_note = fmt::format(
        "{} events were not delivered yet when measured{}: the latency covers "
        "the events delivered by then",
        group_thousands(static_cast<uint64_t>(drained.value)), drained.interrupted ? " (Ctrl-C)" : "");
  else if (summary.server_events_accepted && summary.delivery->events > *summary.server_events_accepted)
    summary.delivery_note =
        "the sinks delivered more events than this run's: a channel feeds several sinks, or "
        "other clients were sending too";
}

}  // namespace

void measure_server(const LoadOptions& load, const ServerBaseline& baseline, const DriveResult& run, uint64_t expected,
                    std::string_view expected_name, RunSummary& summary) {
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
    summary.server_note =
        fmt::format("the server accepted more than this run {}: other clients were sending too", expected_name);
  else if (settled.interrupted) summary.server_note = "stopped waiting for the server on Ctrl-C; it may accept more";
  else if (!settled.reached_target && !settled.last_error.empty())
    summary.server_note = fmt::format("the last metrics read failed: {}", settled.last_error);
  else if (!settled.reached_target)
    summary.server_note =
        fmt::format("{} events {} were not accepted (counter unchanged for {} s)", group_thousands(expected - accepted),
                    expected_name, options.unchanged_ns_max / 1'000'000'000);
  if (accepted > 0) measure_delivery(load, baseline, summary);
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
