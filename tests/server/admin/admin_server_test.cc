#include "server/admin/admin_server.h"

#include "base/logger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace sluice::admin {
namespace {

std::string http_get(uint16_t port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(0x7F000001);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
  send(fd, request.data(), request.size(), 0);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, n);
  close(fd);
  return response;
}

TEST(AdminRoutes, MetricsHealthStatusAndErrors) {
  base::MetricsRegistry registry;
  registry.add([](base::MetricsWriter& w) { w.counter("sluice_x_total", "x", {}, 5); });
  auto page = [] { return std::string("status page\n"); };
  auto metrics = route_admin_request("GET", "/metrics", registry, page);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("sluice_x_total 5\n"), std::string::npos);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(route_admin_request("GET", "/metrics?x=1", registry, page).status, 200);
  EXPECT_EQ(route_admin_request("GET", "/health", registry, page).body, "ok\n");
  EXPECT_EQ(route_admin_request("GET", "/", registry, page).body, "status page\n");
  EXPECT_EQ(route_admin_request("GET", "/nope", registry, page).status, 404);
  EXPECT_EQ(route_admin_request("POST", "/metrics", registry, page).status, 405);
}

TEST(AdminServer, ServesOverHttpAndRejectsGarbage) {
  base::MetricsRegistry registry;
  registry.add([](base::MetricsWriter& w) { w.gauge("sluice_up", "up", {}, 1); });
  AdminOptions o;
  o.port = 0;
  o.read_timeout_ms = 500;
  auto server = AdminServer::start(o, registry, nullptr);
  ASSERT_TRUE(server.ok()) << server.error().message;
  uint16_t port = server.value()->port();
  std::string ok = http_get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("sluice_up 1\n"), std::string::npos);
  std::string bad = http_get(port, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0u) << bad;
  std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(http_get(port, huge).rfind("HTTP/1.1 431", 0), 0u);
  // A client that sends nothing is timed out, and the server still answers the next one.
  std::string silent = http_get(port, "");
  EXPECT_EQ(silent.rfind("HTTP/1.1 408", 0), 0u) << silent;
  EXPECT_EQ(http_get(port, "GET /health HTTP/1.0\r\n\r\n").find("ok\n") != std::string::npos, true);
  server.value()->stop();
}

TEST(AdminServer, PortInUseIsAClearError) {
  base::MetricsRegistry registry;
  AdminOptions o;
  o.port = 0;
  auto first = AdminServer::start(o, registry, nullptr);
  ASSERT_TRUE(first.ok());
  o.port = first.value()->port();
  auto second = AdminServer::start(o, registry, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("admin endpoint: cannot bind TCP 127.0.0.1:"), std::string::npos)
      << second.error().message;
}

}  // namespace
}  // namespace sluice::admin

#include "server/admin/flume_metrics.h"

namespace sluice::admin {
namespace {

TEST(FlumeMetrics, SumsShardsUnderFlumeNames) {
  base::MetricsWriter w;
  w.counter("sluice_source_received_events_total", "", {{"component", "r1"}, {"shard", "0"}}, 3);
  w.counter("sluice_source_received_events_total", "", {{"component", "r1"}, {"shard", "1"}}, 4);
  w.gauge("sluice_channel_fill_ratio", "", {{"component", "c1"}, {"shard", "0"}}, 0.25);
  w.gauge("sluice_channel_fill_ratio", "", {{"component", "c1"}, {"shard", "1"}}, 0.5);
  w.counter("sluice_sink_drained_events_total", "", {{"component", "k1"}}, 9);
  EXPECT_EQ(flume_metrics_json(w),
            "{\"CHANNEL.c1\":{\"Type\":\"CHANNEL\",\"ChannelFillPercentage\":\"50\"},"
            "\"SINK.k1\":{\"Type\":\"SINK\",\"EventDrainAttemptCount\":\"9\",\"EventDrainSuccessCount\":\"9\"},"
            "\"SOURCE.r1\":{\"Type\":\"SOURCE\",\"EventReceivedCount\":\"7\"}}");
}

}  // namespace
}  // namespace sluice::admin

namespace sluice::admin {
namespace {

using Clock = std::chrono::steady_clock;

// A connected socket to the server; a small receive buffer makes a client that never reads
// fill the server's side quickly.
int connect_to(uint16_t port, int rcvbuf_bytes = 0) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf_bytes > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(0x7F000001);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string read_all(int fd) {
  std::string response;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, n);
  return response;
}

template <typename Pred>
bool eventually(Pred pred, int timeout_ms = 5000) {
  const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

struct Fixture {
  base::MetricsRegistry registry;
  std::unique_ptr<AdminServer> server;
  uint16_t port = 0;

  explicit Fixture(AdminOptions o, size_t status_page_bytes = 4 << 20) {
    registry.add([](base::MetricsWriter& w) { w.gauge("sluice_up", "up", {}, 1); });
    o.port = 0;
    auto page = std::make_shared<std::string>(status_page_bytes, 's');
    auto started = AdminServer::start(o, registry, [page] { return *page; });
    if (!started.ok()) ADD_FAILURE() << started.error().message;
    else server = std::move(started).value();
    if (server) port = server->port();
  }
};

TEST(AdminServerConcurrency, SlowClientsDoNotDelayMetrics) {
  AdminOptions o;
  o.read_timeout_ms = 10'000;
  o.write_timeout_ms = 10'000;
  Fixture f(o);
  ASSERT_TRUE(f.server);
  // 20 slow clients: silent, half a request, and ones that ask for a 4 MiB page and never read.
  std::vector<int> slow;
  for (int i = 0; i < 20; ++i) {
    int fd = connect_to(f.port, 4096);
    ASSERT_GE(fd, 0);
    if (i % 3 == 1) send(fd, "GET /metr", 9, 0);
    if (i % 3 == 2) send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, 0);
    slow.push_back(fd);
  }
  ASSERT_TRUE(eventually([&] { return f.server->stats().active.value() == 20; }));
  int64_t slowest_ms = 0;
  for (int i = 0; i < 5; ++i) {
    const auto started = Clock::now();
    int fd = connect_to(f.port);
    ASSERT_GE(fd, 0);
    send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35, 0);
    std::string answer = read_all(fd);
    close(fd);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    slowest_ms = std::max<int64_t>(slowest_ms, took);
    ASSERT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer.substr(0, 200);
    EXPECT_NE(answer.find("sluice_up 1\n"), std::string::npos);
    EXPECT_NE(answer.find("sluice_admin_active_clients 21\n"), std::string::npos);
  }
  // The target is ~100 ms with 20 slow clients; the bound here is generous (sanitizers, a busy
  // machine) but far below the slow clients' 10 s timeouts, which a one-at-a-time server would
  // make the fast client wait.
  std::printf("slowest /metrics with 20 slow clients open: %lld ms\n", static_cast<long long>(slowest_ms));
  EXPECT_LT(slowest_ms, 2000);
  EXPECT_EQ(f.server->stats().read_timeouts.value() + f.server->stats().write_timeouts.value(), 0u);
  for (int fd : slow) close(fd);
  EXPECT_TRUE(eventually([&] { return f.server->stats().active.value() == 0; }));
}

TEST(AdminServerConcurrency, ReadAndWriteTimeouts) {
  AdminOptions o;
  o.read_timeout_ms = 200;
  o.write_timeout_ms = 300;
  Fixture f(o);
  ASSERT_TRUE(f.server);
  int silent = connect_to(f.port);
  int half = connect_to(f.port);
  send(half, "GET /health HTT", 15, 0);
  int deaf = connect_to(f.port, 4096);
  send(deaf, "GET / HTTP/1.1\r\n\r\n", 18, 0);
  EXPECT_EQ(read_all(silent).rfind("HTTP/1.1 408", 0), 0u);
  EXPECT_EQ(read_all(half).rfind("HTTP/1.1 408", 0), 0u);
  EXPECT_TRUE(eventually([&] { return f.server->stats().write_timeouts.value() == 1; }));
  EXPECT_EQ(f.server->stats().read_timeouts.value(), 2u);
  // The deaf client got part of the page and then the connection was dropped.
  std::string got = read_all(deaf);
  EXPECT_LT(got.size(), size_t{4} << 20);
  for (int fd : {silent, half, deaf}) close(fd);
}

TEST(AdminServerConcurrency, ClientsPastTheLimitGet503) {
  AdminOptions o;
  o.clients_max = 3;
  o.read_timeout_ms = 10'000;
  Fixture f(o, 10);
  ASSERT_TRUE(f.server);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(connect_to(f.port));
  ASSERT_TRUE(eventually([&] { return f.server->stats().active.value() == 3; }));
  int extra = connect_to(f.port);
  std::string refused = read_all(extra);
  close(extra);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos);
  EXPECT_EQ(f.server->stats().refused.value(), 1u);
  close(held.back());
  held.pop_back();
  ASSERT_TRUE(eventually([&] { return f.server->stats().active.value() == 2; }));
  int next = connect_to(f.port);
  send(next, "GET /health HTTP/1.1\r\n\r\n", 24, 0);
  EXPECT_NE(read_all(next).find("ok\n"), std::string::npos);
  close(next);
  for (int fd : held) close(fd);
}

TEST(AdminServerConcurrency, AcceptBacksOffWhenOutOfDescriptors) {
  AdminOptions o;
  o.accept_backoff_ms = 100;
  Fixture f(o, 10);
  ASSERT_TRUE(f.server);
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  // UBSan checks a type the first time it sees it with a pipe (to probe memory), which fails
  // without descriptors: let the log line's formatting be checked once beforehand.
  base::log_warn("test: using up every file descriptor for a moment");
  // Use up every descriptor the process may have (cheaply: a low soft limit).
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(client + 16);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(f.port);
  a.sin_addr.s_addr = htonl(0x7F000001);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // waits in the backlog
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t failures = f.server->stats().accept_fd_exhausted.value();
  for (int fd : fillers) close(fd);
  setrlimit(RLIMIT_NOFILE, &saved);
  // It tried, and paused between tries instead of spinning (about 5 tries in 500 ms).
  EXPECT_GE(failures, 1u);
  EXPECT_LE(failures, 12u);
  std::printf("accept attempts that failed with EMFILE in 500 ms: %llu\n", static_cast<unsigned long long>(failures));
  // Descriptors are back: the waiting client is served.
  timeval tv{5, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  send(client, "GET /health HTTP/1.1\r\n\r\n", 24, 0);
  EXPECT_NE(read_all(client).find("ok\n"), std::string::npos);
  close(client);
}

TEST(AdminServerConcurrency, OwnMetricsOnlyWithTheHook) {
  base::MetricsRegistry registry;
  auto plain = route_admin_request("GET", "/metrics", registry, nullptr);
  EXPECT_EQ(plain.body.find("sluice_admin_"), std::string::npos);
  auto with = route_admin_request("GET", "/metrics", registry, nullptr,
                                  [](base::MetricsWriter& w) { w.gauge("sluice_admin_active_clients", "x", {}, 1); });
  EXPECT_NE(with.body.find("sluice_admin_active_clients 1\n"), std::string::npos);
}

}  // namespace
}  // namespace sluice::admin
