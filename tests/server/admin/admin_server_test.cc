#include "server/admin/admin_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
  o.client_timeout_ms = 500;
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
