#include "bench/cli/load_driver.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <latch>
#include <thread>

#include <fmt/format.h>

#include "base/time.h"
#include "bench/cli/report.h"

namespace sluice::bench {
namespace {

std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free counter");

void on_interrupt(int) { g_interrupts.fetch_add(1, std::memory_order_relaxed); }

constexpr int64_t kTickNs = 50'000'000;  // how often the main thread looks at the limits
constexpr int64_t kProgressNs = 1'000'000'000;

struct Totals {
  uint64_t events = 0;
  uint64_t bytes = 0;
  size_t finished = 0;
  int64_t last_finished_ns = 0;
};

Totals sum(std::span<const ConnectionProgress> progress) {
  Totals t;
  for (const auto& p : progress) {
    t.events += p.events.load(std::memory_order_relaxed);
    t.bytes += p.bytes.load(std::memory_order_relaxed);
    int64_t finished = p.finished_ns.load(std::memory_order_acquire);
    if (finished != 0) {
      ++t.finished;
      t.last_finished_ns = std::max(t.last_finished_ns, finished);
    }
  }
  return t;
}

class ProgressLine {
 public:
  ProgressLine(bool enabled, std::string_view verb)
      : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1), verb_(verb) {}

  // Totals so far and the rates over the last interval.
  void show(double elapsed_s, uint64_t events, double events_per_s, double bytes_per_s) {
    if (!enabled_) return;
    std::string line =
        fmt::format("{:7.1f} s  {} {:>15} events  {:>12} events/s  {:8.1f} MB/s", elapsed_s, verb_,
                    group_thousands(events), group_thousands(static_cast<uint64_t>(events_per_s)), bytes_per_s / 1e6);
    // On a terminal the line is rewritten in place; in a log file each second gets its own.
    line = tty_ ? fmt::format("\r{}\x1b[K", line) : line + '\n';
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
    shown_ = true;
  }

  void finish() {
    if (enabled_ && tty_ && shown_) {
      ssize_t ignored = ::write(STDERR_FILENO, "\n", 1);
      (void)ignored;
    }
  }

 private:
  bool enabled_;
  bool tty_;
  std::string_view verb_;
  bool shown_ = false;
};

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int interrupt_count() { return g_interrupts.load(std::memory_order_relaxed); }

void sleep_ns(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  nanosleep(&ts, nullptr);
}

DriveResult drive_load(std::span<const std::unique_ptr<LoadConnection>> connections, const DriveOptions& options) {
  std::vector<ConnectionProgress> progress(connections.size());
  std::atomic<bool> stop{false};
  std::latch start(1);
  std::vector<std::thread> threads;
  threads.reserve(connections.size());
  for (size_t i = 0; i < connections.size(); ++i) {
    threads.emplace_back([&, i] {
      std::string name = fmt::format("bench-conn-{}", i);
      pthread_setname_np(pthread_self(), name.c_str());
      start.wait();
      connections[i]->run(stop, progress[i]);
      progress[i].finished_ns.store(base::monotonic_ns(), std::memory_order_release);
    });
  }

  DriveResult result;
  int interrupts_before = interrupt_count();
  result.start_ns = base::monotonic_ns();
  start.count_down();

  ProgressLine line(!options.quiet, options.progress_verb);
  const int64_t deadline_ns = result.start_ns + static_cast<int64_t>(options.duration_s * 1e9);
  int64_t next_progress_ns = result.start_ns + kProgressNs;
  Totals at_last_progress;
  int64_t last_progress_ns = result.start_ns;
  while (true) {
    int64_t now = base::monotonic_ns();
    Totals totals = sum(progress);
    if (totals.finished == connections.size()) {
      result.stop_reason = StopReason::completed;
      break;
    }
    if (now >= deadline_ns) {
      result.stop_reason = StopReason::duration;
      break;
    }
    if (interrupt_count() != interrupts_before) {
      result.stop_reason = StopReason::interrupted;
      break;
    }
    if (now >= next_progress_ns) {
      double interval_s = static_cast<double>(now - last_progress_ns) / 1e9;
      line.show(static_cast<double>(now - result.start_ns) / 1e9, totals.events,
                static_cast<double>(totals.events - at_last_progress.events) / interval_s,
                static_cast<double>(totals.bytes - at_last_progress.bytes) / interval_s);
      at_last_progress = totals;
      last_progress_ns = now;
      next_progress_ns += kProgressNs;
      if (next_progress_ns <= now) next_progress_ns = now + kProgressNs;
      continue;
    }
    sleep_ns(std::min({kTickNs, deadline_ns - now, next_progress_ns - now}));
  }
  stop.store(true, std::memory_order_relaxed);
  for (auto& t : threads) t.join();
  line.finish();

  Totals totals = sum(progress);
  result.events = totals.events;
  result.bytes = totals.bytes;
  result.end_ns = totals.last_finished_ns;
  for (const auto& c : connections) {
    if (std::string e = c->error(); !e.empty()) result.errors.push_back(std::move(e));
    for (auto& w : c->warnings()) result.warnings.push_back(std::move(w));
  }
  return result;
}

}  // namespace sluice::bench
