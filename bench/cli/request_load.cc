#include "bench/cli/request_load.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/time.h"
#include "bench/cli/server_side.h"

namespace sluice::bench {
namespace {

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

double ns_to_ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

uint32_t BatchPlan::next_size() const {
  if (next_ >= quota_) return 0;
  const uint64_t n = std::min<uint64_t>(batch_, quota_ - next_);
  if (next_ + n > kSeqEnd) return 0;
  return static_cast<uint32_t>(n);
}

uint64_t BatchPlan::take() {
  const uint32_t n = next_size();
  SLUICE_ASSERT(n > 0, "BatchPlan::take() after the plan is done");
  const uint64_t first = next_;
  next_ += n;
  return first;
}

uint32_t BatchPlan::last_size() const {
  if (quota_ == UINT64_MAX || quota_ > kSeqEnd) return 0;
  return static_cast<uint32_t>(quota_ % batch_);
}

RequestPacer::RequestPacer(uint64_t rate_milli, uint32_t batch, int64_t now_ns) {
  if (rate_milli == 0) return;
  // Room for a whole batch, or the bucket could never hold one.
  const uint64_t burst =
      std::clamp<uint64_t>(std::max<uint64_t>(TokenBucket::burst_for(rate_milli), batch), 1, TokenBucket::kBurstMax);
  bucket_.emplace(rate_milli, burst, now_ns);
}

int64_t RequestPacer::wait_ns(uint32_t events, int64_t now_ns) {
  return bucket_ ? bucket_->ns_until(events, now_ns) : 0;
}

void RequestPacer::take(uint32_t events, int64_t now_ns) {
  if (!bucket_) return;
  const uint64_t granted = bucket_->take(events, now_ns);
  SLUICE_ASSERT(granted == events, "RequestPacer::take() before wait_ns() said the events are there");
}

Result<UniqueFd> connect_again(const Reconnect& target) {
  auto connected = connect_first(target.addresses, SOCK_STREAM, kConnectTimeoutMs, target.shown);
  if (!connected) return connected.error();
  set_nodelay(connected->fd.get());
  return std::move(connected->fd);
}

void fill_latency(const LatencyHistogram& latency, RequestSummary& out) {
  out.latency_samples = latency.count();
  if (latency.count() == 0) return;
  out.latency_p50_ms = ns_to_ms(latency.value_at_percentile(50));
  out.latency_p99_ms = ns_to_ms(latency.value_at_percentile(99));
  out.latency_p999_ms = ns_to_ms(latency.value_at_percentile(99.9));
  out.latency_max_ms = ns_to_ms(latency.max_ns());
  out.latency_mean_ms = latency.mean_ns() / 1e6;
}

int run_request_load(RequestLoadPlan plan) {
  const LoadOptions& load = plan.load;
  SLUICE_ASSERT(plan.summary.requests.has_value(), "the plan's summary needs its request fields");
  const size_t memory = plan.request_bytes * plan.requests_per_connection * load.connections;
  if (plan.request_bytes > kRequestBytesMax || memory > kRequestBytesTotalMax) {
    fmt::print(stderr,
               "sluice-bench {}: requests of {} bytes are too large ({} MiB at most, {} MiB for all connections' "
               "pre-built requests together, which would take {} MiB): use a smaller --batch or --size, or fewer "
               "connections\n",
               plan.subcommand, plan.request_bytes, kRequestBytesMax >> 20, kRequestBytesTotalMax >> 20, memory >> 20);
    return 2;
  }
  install_signal_handlers();
  const int interrupts_before = interrupt_count();

  auto addresses = resolve(plan.host, plan.port, SOCK_STREAM, plan.shown);
  if (!addresses) {
    print_error(addresses.error().message);
    return 1;
  }
  ServerBaseline baseline = read_server_baseline(load);

  // Every connection is up and every request built before any is sent: a refused connection
  // fails the run cleanly, and the start is common.
  std::vector<std::unique_ptr<RequestConnection>> connections;
  std::span<const SocketAddress> candidates = addresses.value();
  for (uint32_t i = 0; i < load.connections; ++i) {
    auto connected = connect_first(candidates, SOCK_STREAM, kConnectTimeoutMs, plan.shown);
    if (!connected) {
      print_error(connected.error().message);
      return 1;
    }
    candidates = candidates.subspan(connected->address_index, 1);  // the rest use what answered
    set_nodelay(connected->fd.get());
    RequestLoadPlan::Connection c{
        .index = i,
        .fd = std::move(connected->fd),
        .reconnect = {.addresses = {candidates.begin(), candidates.end()}, .shown = plan.shown},
        .quota = load.count ? count_share(load.count, load.connections, i) : UINT64_MAX,
        .rate_milli = load.rate_per_s ? connection_rate_milli(load.rate_per_s, load.connections, i) : 0,
    };
    auto made = plan.make_connection(std::move(c));
    if (!made) {
      print_error(made.error().message);
      return 1;
    }
    connections.push_back(std::move(made.value()));
    if (interrupt_count() != interrupts_before) return 130;
  }

  std::vector<std::unique_ptr<LoadConnection>> driven;
  for (auto& c : connections) driven.push_back(std::move(c));
  DriveResult run = drive_load(driven, {.duration_s = load.duration_s, .quiet = load.quiet, .progress_verb = "acked"});

  RunSummary& summary = plan.summary;
  RequestSummary& r = *summary.requests;
  auto latency = std::make_unique<LatencyHistogram>();
  std::string first_failure;
  for (const auto& c : driven) {
    const RequestStats& s = static_cast<const RequestConnection&>(*c).stats();
    summary.events_sent += s.events_sent;
    summary.bytes_sent += s.bytes_sent;
    r.requests_sent += s.requests_sent;
    r.requests_acked += s.requests_acked;
    r.events_acked += s.events_acked;
    r.retries += s.retries;
    r.requests_failed += s.requests_failed;
    r.events_failed += s.events_failed;
    r.requests_abandoned += s.requests_abandoned;
    r.events_abandoned += s.events_abandoned;
    r.reconnects += s.reconnects;
    latency->merge(s.latency);
    if (first_failure.empty()) first_failure = s.first_failure;
  }
  driven.clear();  // closes every socket that is still open
  fill_latency(*latency, r);

  summary.connections = load.connections;
  summary.rate_target = load.rate_per_s;
  summary.duration_target_s = load.duration_s;
  summary.count_target = load.count;
  summary.elapsed_s = run.elapsed_s();
  const bool quota_done = load.count != 0 && run.errors.empty() && summary.events_sent == load.count;
  summary.stop_reason = stop_reason_name(run.stop_reason, quota_done);
  summary.errors = run.errors;
  summary.warnings = run.warnings;
  if (r.requests_failed)
    summary.errors.push_back(fmt::format("{} {} ({} events) answered with an error; the first: {}",
                                         group_thousands(r.requests_failed), unit_for(r.requests_failed, r.unit),
                                         group_thousands(r.events_failed), first_failure));
  measure_server(load, baseline, run, r.events_acked, "acknowledged", summary);

  fmt::print("{}", load.json ? format_summary_json(summary) : format_summary_text(summary));
  std::fflush(stdout);
  if (!summary.errors.empty()) return 1;
  if (run.stop_reason == StopReason::interrupted) return 130;
  return 0;
}

}  // namespace sluice::bench
