// What the request/response subcommands (http, avro) share: a connection's counters and
// latency histogram, how its events are cut into batches, its pacing, and the run around the
// connections (resolve, connect every connection, drive, summary, exit status).
//
// A connection sends batches of events; each batch is one request, answered by the server:
// acknowledged (HTTP 2xx, Avro OK), to be retried (HTTP 503 after its Retry-After, Avro FAILED
// after a short backoff; at most --retries times per batch) or refused with an error (counted,
// not retried). Every event's sequence number is sent once in a first attempt and only again
// in a retry of the same batch, so the numbers a server stores run 0, 1, 2, ... per connection.
//
// Threads: run_request_load() on the main thread; a RequestConnection's run() on its own
// thread, its stats() read by the main thread after drive_load() returned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bench/cli/latency_histogram.h"
#include "bench/cli/load_driver.h"
#include "bench/cli/net.h"
#include "bench/cli/options.h"
#include "bench/cli/rate_limiter.h"
#include "bench/cli/report.h"
#include "bench/cli/sequence_digits.h"

namespace sluice::bench {

// The largest request, and the most memory all connections' pre-built requests may take.
inline constexpr size_t kRequestBytesMax = 64u << 20;
inline constexpr size_t kRequestBytesTotalMax = size_t{1} << 30;
inline constexpr int64_t kConnectTimeoutMs = 5'000;
// After the stop, how long a connection waits for the answers to the requests it has sent.
inline constexpr int64_t kDrainNsMax = 2'000'000'000;

struct RequestStats {
  uint64_t requests_sent = 0;  // first attempts written whole
  uint64_t events_sent = 0;
  uint64_t bytes_sent = 0;  // every byte written, retries included
  uint64_t requests_acked = 0;
  uint64_t events_acked = 0;
  uint64_t retries = 0;
  uint64_t requests_failed = 0;
  uint64_t events_failed = 0;
  uint64_t requests_abandoned = 0;
  uint64_t events_abandoned = 0;
  uint64_t reconnects = 0;
  std::string first_failure;  // the first error answer, as "HTTP 500 Internal Server Error: <body>"
  LatencyHistogram latency;   // of acknowledged requests
};

class RequestConnection : public LoadConnection {
 public:
  std::string error() const final { return error_; }
  std::vector<std::string> warnings() const final { return warnings_; }
  const RequestStats& stats() const { return stats_; }

 protected:
  void publish(ConnectionProgress& progress) const {
    progress.events.store(stats_.events_acked, std::memory_order_relaxed);
    progress.bytes.store(stats_.bytes_sent, std::memory_order_relaxed);
  }

  RequestStats stats_;
  std::string error_;
  std::vector<std::string> warnings_;
};

// One connection's events [0, quota) cut into batches of `batch`; the last may be shorter.
// An unbounded quota (UINT64_MAX) ends where the sequence numbers run out.
class BatchPlan {
 public:
  BatchPlan(uint64_t quota, uint32_t batch) : quota_(quota), batch_(batch) {}

  // The size of the next batch: 0 when the quota is done or the sequence numbers ran out
  // (exhausted() tells which).
  uint32_t next_size() const;
  // Takes the next batch and returns its first sequence number.
  uint64_t take();
  bool exhausted() const { return next_ < quota_ && next_size() == 0; }
  bool done() const { return next_ >= quota_ || next_size() == 0; }

  uint32_t batch() const { return batch_; }
  // The short last batch of a bounded quota: its size (0: none) and first sequence number.
  uint32_t last_size() const;
  uint64_t last_first() const { return quota_ - last_size(); }

 private:
  uint64_t quota_;
  uint32_t batch_;
  uint64_t next_ = 0;
};

// A connection's share of --rate, in whole batches: a batch goes when its events are all
// available. Without a rate it never waits.
class RequestPacer {
 public:
  RequestPacer(uint64_t rate_milli, uint32_t batch, int64_t now_ns);
  // Nanoseconds until `events` may go (0: now).
  int64_t wait_ns(uint32_t events, int64_t now_ns);
  void take(uint32_t events, int64_t now_ns);

 private:
  std::optional<TokenBucket> bucket_;
};

// How a connection reaches its server again (after the server closed it between requests).
struct Reconnect {
  std::vector<SocketAddress> addresses;
  std::string shown;
};
// A new connected socket with TCP_NODELAY.
Result<UniqueFd> connect_again(const Reconnect& target);

// Everything a subcommand hands to run_request_load().
struct RequestLoadPlan {
  std::string subcommand;  // "http", "avro": messages say "sluice-bench http: ..."
  LoadOptions load;
  std::string host;
  uint16_t port = 0;
  std::string shown;  // the target in messages
  uint32_t batch = 1;
  size_t request_bytes = 0;            // the largest request (to check memory up front)
  size_t requests_per_connection = 1;  // pre-built requests each connection keeps
  RunSummary summary;                  // subcommand, transport, target, framing, size and summary.requests'
                                       // batch, pipeline, format, compression and unit are filled in
  struct Connection {
    uint32_t index;
    UniqueFd fd;
    Reconnect reconnect;
    uint64_t quota;       // events; UINT64_MAX: bounded by the duration only
    uint64_t rate_milli;  // 0: unlimited
  };
  // Builds a connection around its connected socket, with every request pre-built.
  std::function<Result<std::unique_ptr<RequestConnection>>(Connection)> make_connection;
};

// The whole run; returns the exit status (0, 1 connection or request errors, 130 interrupted).
int run_request_load(RequestLoadPlan plan);

// The latency fields of a summary from a histogram.
void fill_latency(const LatencyHistogram& latency, RequestSummary& out);

}  // namespace sluice::bench
