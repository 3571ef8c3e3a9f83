// The admin HTTP endpoint (default 127.0.0.1:9595): GET /metrics (Prometheus text format),
// GET /flume/metrics (the same counters in Flume's JSON shape), GET /health, GET / (a short
// status page).
//
// It runs on its own thread (never on a shard: it must not slow ingestion down) with one poll()
// loop over nonblocking sockets, so that many clients are served at once and a slow one delays
// nobody: a client that connects and sends nothing, sends half a request or never reads a large
// answer only holds its own slot. Every client is bounded: its request in size
// (request_bytes_max, 431) and in time (read_timeout_ms, 408), its answer in time
// (write_timeout_ms, then closed), and their number (clients_max; a client past it gets 503 at
// once). When accept() fails for lack of file descriptors the loop stops accepting for
// accept_backoff_ms instead of spinning on a listener that stays readable. One request per
// connection (Connection: close), as scrapers and curl expect of a metrics endpoint.
//
// Threads: start() and stop() from the main thread; the handlers run on the admin thread.
// stats() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/counter.h"
#include "base/logger.h"
#include "base/metrics.h"
#include "base/result.h"

namespace sluice::admin {

struct AdminOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9595;
  // A client must send its whole request within this after it connected; else 408 and closed.
  int64_t read_timeout_ms = 2000;
  // A client must take its whole answer within this after it was ready; else closed.
  int64_t write_timeout_ms = 10'000;
  // The request line and header fields; larger: 431.
  size_t request_bytes_max = 16 << 10;
  // Clients served at once; one more gets 503 (and Retry-After) and is closed.
  uint32_t clients_max = 64;
  // How long accepting pauses after accept() failed for lack of descriptors or memory.
  int64_t accept_backoff_ms = 100;
};

// What the endpoint did, for its own /metrics lines and for tests. Written by the admin thread.
struct AdminStats {
  base::Counter accepted;
  base::Counter refused;              // clients_max reached
  base::Counter read_timeouts;        // request not complete in read_timeout_ms
  base::Counter write_timeouts;       // answer not taken in write_timeout_ms
  base::Counter accept_fd_exhausted;  // accept() failed with EMFILE/ENFILE: accepting paused
  base::Gauge active;
};

class AdminServer {
 public:
  using StatusPage = std::function<std::string()>;

  // Binds at once (so a port in use is a start-up error) and serves on a new thread.
  static Result<std::unique_ptr<AdminServer>> start(const AdminOptions& options, const base::MetricsRegistry& registry,
                                                    StatusPage status_page);
  ~AdminServer();
  void stop();
  uint16_t port() const { return port_; }
  const AdminStats& stats() const { return stats_; }

 private:
  struct Client;

  AdminServer(const AdminOptions& options, const base::MetricsRegistry& registry, StatusPage status_page);
  void run();
  void accept_clients(int64_t now_ms);
  // Each returns false when the client is done with (to be closed).
  bool on_readable(Client& c, int64_t now_ms);
  bool on_writable(Client& c);
  bool on_deadline(Client& c);
  void respond(Client& c, int status, std::string_view content_type, std::string body, bool head_only, int64_t now_ms);
  void collect_own(base::MetricsWriter& out) const;

  const AdminOptions options_;
  const base::MetricsRegistry& registry_;
  StatusPage status_page_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<Client>> clients_;  // admin thread only
  int64_t accept_resume_ms_ = 0;                  // accepting paused until then
  base::RateLimitedLog noisy_log_;
  AdminStats stats_;
  std::thread thread_;
};

// The response to one request line (exposed for tests): status code, content type, body.
struct AdminResponse {
  int status;
  std::string content_type;
  std::string body;
};
// `own` adds the endpoint's own metrics to /metrics and /flume/metrics (none when empty).
AdminResponse route_admin_request(std::string_view method, std::string_view target,
                                  const base::MetricsRegistry& registry, const AdminServer::StatusPage& status_page,
                                  const base::MetricsRegistry::CollectFn& own = {});

}  // namespace sluice::admin
