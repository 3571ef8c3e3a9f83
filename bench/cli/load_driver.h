// Runs a load: one thread per connection, a common start, a live progress line on stderr, and
// the run's bounds (the duration and SIGINT here; a --count is each connection's own quota).
// Every load subcommand (syslog, http, avro) supplies its LoadConnections and gets totals back.
//
// Threads: drive_load() runs on the main thread and starts one thread per connection; a
// LoadConnection's run() runs on its own thread only. ConnectionProgress has that thread as
// its single writer and the main thread as reader.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

struct alignas(64) ConnectionProgress {
  // Complete events handed to the kernel (syslog), or acknowledged by the server (http, avro).
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> bytes{0};       // bytes handed to the kernel, framing included
  std::atomic<int64_t> finished_ns{0};  // monotonic time run() returned; 0 while running
};

class LoadConnection {
 public:
  virtual ~LoadConnection() = default;
  // Sends until `stop` is set, its quota is done or the connection fails, publishing its
  // totals in `progress` as it goes. Returns within a second or so of `stop` being set (two
  // for request/response connections waiting for their last answers), even when the server
  // has stopped reading.
  virtual void run(const std::atomic<bool>& stop, ConnectionProgress& progress) = 0;
  // After run(): what ended it early ("connection 3: the server closed the connection ..."),
  // or empty.
  virtual std::string error() const = 0;
  // After run(): conditions worth reporting that did not end it.
  virtual std::vector<std::string> warnings() const { return {}; }
};

enum class StopReason { completed, duration, interrupted };

struct DriveOptions {
  double duration_s = 10;
  bool quiet = false;
  // What the progress line says happened to ConnectionProgress::events: "sent", "acked".
  std::string_view progress_verb = "sent";
};

struct DriveResult {
  uint64_t events = 0;
  uint64_t bytes = 0;
  int64_t start_ns = 0;  // monotonic: when every connection was released to send
  int64_t end_ns = 0;    // monotonic: when the last connection stopped
  StopReason stop_reason = StopReason::completed;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;

  double elapsed_s() const { return static_cast<double>(end_ns - start_ns) / 1e9; }
};

DriveResult drive_load(std::span<const std::unique_ptr<LoadConnection>> connections, const DriveOptions& options);

// SIGINT and SIGTERM only count (a second one is not fatal either); SIGPIPE is ignored so that
// a server closing the connection is an error value, not a dead process. Main thread, once.
void install_signal_handlers();
// How many SIGINT/SIGTERM arrived so far. Any thread.
int interrupt_count();

// Sleeps for `ns`, or less when a signal arrives (callers loop on their own conditions).
void sleep_ns(int64_t ns);

}  // namespace sluice::bench
