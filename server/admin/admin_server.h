// The admin HTTP endpoint (default 127.0.0.1:9595): GET /metrics (Prometheus text format),
// GET /flume/metrics (the same counters in Flume's JSON shape), GET /health, GET / (a short
// status page). It runs on its own thread, one request at a time,
// with short timeouts: it must never slow the shards down and a stuck client cannot hold it.
// Threads: start() and stop() from the main thread; the handlers run on the admin thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "server/base/metrics.h"
#include "server/base/result.h"

namespace sluice::admin {

struct AdminOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9595;
  int64_t client_timeout_ms = 2000;
  size_t request_bytes_max = 16 << 10;
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

 private:
  AdminServer(const AdminOptions& options, const base::MetricsRegistry& registry, StatusPage status_page);
  void run();
  void serve(int client);

  const AdminOptions options_;
  const base::MetricsRegistry& registry_;
  StatusPage status_page_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// The response to one request line (exposed for tests): status code, content type, body.
struct AdminResponse {
  int status;
  std::string content_type;
  std::string body;
};
AdminResponse route_admin_request(std::string_view method, std::string_view target,
                                  const base::MetricsRegistry& registry, const AdminServer::StatusPage& status_page);

}  // namespace sluice::admin
