#include "sinks/common/sink_runner.h"

#include <algorithm>
#include <chrono>

#include "base/logger.h"
#include "base/time.h"

namespace sluice::sinks {
namespace {

// Longest sleep while idle: bounds how late a roll or a shutdown request is noticed.
constexpr int64_t kIdleWaitMsMax = 100;
constexpr int64_t kRetryLogIntervalMs = 10'000;

// Buckets of sluice_sink_event_age_seconds, in microseconds: from 1 ms (an event timestamp's
// resolution) in steps of about 1.5x up to 10 minutes (a sink that was down).
constexpr int64_t kEventAgeBoundsUs[] = {1'000,      2'000,      3'000,      5'000,       7'500,       10'000,
                                         15'000,     20'000,     30'000,     50'000,      75'000,      100'000,
                                         150'000,    200'000,    300'000,    500'000,     750'000,     1'000'000,
                                         1'500'000,  2'000'000,  3'000'000,  5'000'000,   7'500'000,   10'000'000,
                                         15'000'000, 30'000'000, 60'000'000, 120'000'000, 300'000'000, 600'000'000};

}  // namespace

namespace {

std::vector<std::unique_ptr<EventPort>> direct_ports(const std::vector<ringbuf::LogReader*>& readers) {
  std::vector<std::unique_ptr<EventPort>> ports;
  for (ringbuf::LogReader* r : readers) ports.push_back(std::make_unique<DirectPort>(*r));
  return ports;
}

}  // namespace

SinkRunner::SinkRunner(SinkRunnerOptions options, std::unique_ptr<Sink> sink, std::vector<ringbuf::LogReader*> readers,
                       ringbuf::Doorbell* doorbell)
    : SinkRunner(std::move(options), std::move(sink), direct_ports(readers), doorbell) {}

SinkRunner::SinkRunner(SinkRunnerOptions options, std::unique_ptr<Sink> sink,
                       std::vector<std::unique_ptr<EventPort>> ports, ringbuf::Doorbell* doorbell)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      readers_(std::move(ports)),
      doorbell_(doorbell),
      event_age_us_(kEventAgeBoundsUs) {
  SLUICE_ASSERT(!readers_.empty(), "a sink needs at least one log to read");
  batch_.reserve(options_.batch_events_max);
}

SinkRunner::~SinkRunner() { join(); }

void SinkRunner::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("sink-" + options_.name).substr(0, 15).c_str());
    run();
  });
}

void SinkRunner::join() {
  if (thread_.joinable()) thread_.join();
}

void SinkRunner::run() {
  if (sink_->pipelined()) run_pipelined();
  else run_synchronous();
  sink_->close();
  finished_.store(true, std::memory_order_release);
}

void SinkRunner::wait_for_events(int64_t timeout_ms) {
  uint32_t ticket = doorbell_->prepare_wait();
  bool work_waiting = std::any_of(readers_.begin(), readers_.end(), [](const auto& r) { return r->has_unread(); });
  if (work_waiting || abort_requested_.load(std::memory_order_acquire) ||
      (drain_requested_.load(std::memory_order_acquire) && all_drained())) {
    doorbell_->cancel_wait();
    return;
  }
  const bool gather = options_.gather_us > 0 && read_since_wake_ < options_.gather_below_events;
  doorbell_->wait(ticket, std::clamp<int64_t>(timeout_ms, 1, kIdleWaitMsMax));
  read_since_wake_ = 0;
  // The last wake-up found little: let more arrive before reading (see SinkRunnerOptions).
  if (gather) std::this_thread::sleep_for(std::chrono::microseconds(options_.gather_us));
}

void SinkRunner::run_pipelined() {
  // How long to wait for confirmations when events are in flight and nothing new is to read.
  constexpr int64_t kConfirmWaitMs = 5;
  in_flight_.resize(readers_.size());
  size_t first_reader = 0;
  const int64_t tick_interval_ms = std::max<int64_t>(1, sink_->tick_interval_ms());
  int64_t next_tick_ms = base::monotonic_ms() + tick_interval_ms;
  while (!abort_requested_.load(std::memory_order_acquire)) {
    bool worked = false;
    for (size_t i = 0; i < readers_.size(); ++i) {
      const auto shard = static_cast<uint32_t>((first_reader + i) % readers_.size());
      EventPort& reader = *readers_[shard];
      size_t room = sink_->window(shard);
      if (room == 0) continue;
      batch_.clear();
      if (reader.read(batch_, std::min(room, options_.batch_events_max), options_.batch_bytes_max) == 0) {
        // A skipped segment_end marker: commit it once nothing before it is in flight.
        if (in_flight_[shard].empty() && reader.has_uncommitted()) reader.commit();
        continue;
      }
      read_since_wake_ += batch_.size();
      sink_->start(shard, batch_);
      in_flight_[shard].insert(in_flight_[shard].end(), batch_.begin(), batch_.end());
      in_flight_total_ += batch_.size();
      worked = true;
    }
    first_reader = (first_reader + 1) % readers_.size();

    const uint64_t done_before = drained_events_.value();
    sink_->poll(worked || in_flight_total_ == 0 ? 0 : kConfirmWaitMs, *this);
    worked |= drained_events_.value() != done_before;

    int64_t now_ms = base::monotonic_ms();
    if (worked || now_ms >= next_tick_ms) {
      sink_->tick(base::realtime_ms());
      next_tick_ms = now_ms + tick_interval_ms;
    }
    if (worked || in_flight_total_ > 0) continue;
    if (drain_requested_.load(std::memory_order_acquire) && all_drained()) break;
    wait_for_events(next_tick_ms - now_ms);
  }
}

void SinkRunner::done(uint32_t shard, size_t count) {
  auto& queue = in_flight_[shard];
  SLUICE_ASSERT(count > 0 && count <= queue.size(), "sink reported more done than it had in flight");
  const auto end = queue.begin() + static_cast<std::ptrdiff_t>(count);
  count_delivered(queue.begin(), end);
  readers_[shard]->commit_through(queue[count - 1]);
  queue.erase(queue.begin(), end);
  in_flight_total_ -= count;
}

void SinkRunner::rejected(size_t count, std::string_view why) {
  SLUICE_ASSERT(count > 0, "a rejection of no events");
  rejected_events_.add(count);
  if (rejection_log_.allow(base::monotonic_ms())) {
    const uint64_t suppressed = rejection_log_.take_suppressed();
    base::log_error("sink {}: {} event{} refused for good, not retried: {}{}", options_.name, count,
                    count == 1 ? "" : "s", why,
                    suppressed ? fmt::format(" ({} similar messages not logged)", suppressed) : std::string());
  }
}

template <typename It>
void SinkRunner::count_delivered(It first, It last) {
  const int64_t now_us = base::realtime_us();
  uint64_t events = 0, bytes = 0;
  // Events of a batch mostly share their millisecond: one histogram update per run of equal
  // timestamps keeps this to a load and a compare per event.
  while (first != last) {
    const int64_t timestamp_ms = first->timestamp_ms();
    uint64_t run = 0;
    for (; first != last && first->timestamp_ms() == timestamp_ms; ++first) {
      bytes += first->body().size();
      ++run;
    }
    // A client clock ahead of ours reads as age 0 rather than a negative age.
    event_age_us_.record(std::max<int64_t>(0, now_us - timestamp_ms * 1000), run);
    events += run;
  }
  drained_events_.add(events);
  drained_bytes_.add(bytes);
  batches_.add();
}

void SinkRunner::run_synchronous() {
  size_t first_reader = 0;
  const int64_t tick_interval_ms = std::max<int64_t>(1, sink_->tick_interval_ms());
  int64_t next_tick_ms = base::monotonic_ms() + tick_interval_ms;
  while (!abort_requested_.load(std::memory_order_acquire)) {
    bool worked = false;
    // Start at a different shard each round so that a busy shard cannot starve the others.
    for (size_t i = 0; i < readers_.size(); ++i)
      worked |= deliver_one_batch(*readers_[(first_reader + i) % readers_.size()]);
    first_reader = (first_reader + 1) % readers_.size();

    int64_t now_ms = base::monotonic_ms();
    if (worked || now_ms >= next_tick_ms) {
      sink_->tick(base::realtime_ms());
      next_tick_ms = now_ms + tick_interval_ms;
    }
    if (worked) continue;
    if (drain_requested_.load(std::memory_order_acquire) && all_drained()) break;
    wait_for_events(next_tick_ms - now_ms);
  }
}

bool SinkRunner::deliver_one_batch(EventPort& reader) {
  batch_.clear();
  if (reader.read(batch_, options_.batch_events_max, options_.batch_bytes_max) == 0) {
    // A segment_end marker may have been skipped: let the producer reuse that segment.
    if (reader.has_uncommitted()) reader.commit();
    return false;
  }
  read_since_wake_ += batch_.size();
  for (;;) {
    Delivery delivery = sink_->deliver(batch_);
    if (delivery.status != DeliveryStatus::retry) {
      if (delivery.status == DeliveryStatus::reject) rejected(delivery.rejected, delivery.error);
      count_delivered(batch_.begin(), batch_.end());
      reader.commit();
      batch_.clear();  // the views point at bytes the producer may now reuse
      backoff_ms_ = 0;
      return true;
    }
    delivery_errors_.add();
    backoff_ms_ = std::clamp(backoff_ms_ * 2, options_.retry_backoff_ms_min, options_.retry_backoff_ms_max);
    int64_t now_ms = base::monotonic_ms();
    if (now_ms - last_retry_log_ms_ >= kRetryLogIntervalMs) {
      base::log_warn("sink {}: delivery failed ({}); retrying in {} ms, nothing is committed until it succeeds{}",
                     options_.name, delivery.error, backoff_ms_,
                     retry_log_suppressed_ ? fmt::format(" ({} similar failures not logged)", retry_log_suppressed_)
                                           : std::string());
      last_retry_log_ms_ = now_ms;
      retry_log_suppressed_ = 0;
    } else {
      ++retry_log_suppressed_;
    }
    sleep_backoff(backoff_ms_);
    if (abort_requested_.load(std::memory_order_acquire)) {
      reader.rewind();
      return false;
    }
  }
}

void SinkRunner::sleep_backoff(int64_t ms) {
  const int64_t until = base::monotonic_ms() + ms;
  for (int64_t now = base::monotonic_ms(); now < until && !abort_requested_.load(std::memory_order_acquire);
       now = base::monotonic_ms())
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(until - now, 50)));
}

bool SinkRunner::all_drained() const {
  return std::all_of(readers_.begin(), readers_.end(), [](const auto& r) { return r->drained(); });
}

void SinkRunner::collect(base::MetricsWriter& out) const {
  base::Labels labels = {{"component", options_.name}, {"type", options_.type}};
  out.counter("sluice_sink_drained_events_total",
              "Events the sink is done with, committed: delivered, or refused for good "
              "(sluice_sink_rejected_events_total).",
              labels, drained_events_.value());
  out.counter("sluice_sink_rejected_events_total",
              "Events the sink can never deliver (refused by the target, unplaceable), dropped or dead-lettered "
              "by the sink and committed; never retried.",
              labels, rejected_events_.value());
  out.counter("sluice_sink_drained_bytes_total", "Body bytes of the events delivered.", labels, drained_bytes_.value());
  out.counter("sluice_sink_batches_total", "Batches delivered.", labels, batches_.value());
  out.counter("sluice_sink_errors_total", "Failed delivery attempts (each retried).", labels, delivery_errors_.value());
  out.histogram("sluice_sink_event_age_seconds",
                "Age of events when delivered: delivery time minus the event's timestamp (the syslog message's "
                "own time, a timestamp header, or the time of receipt).",
                labels, event_age_us_, 1e6);
  sink_->collect(out, labels);
}

}  // namespace sluice::sinks
