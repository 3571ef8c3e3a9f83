#include "bench/cli/metrics_scrape.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace sluice::bench {
namespace {

TEST(HttpResponseBody, ReturnsTheBodyOfA200) {
  EXPECT_EQ(http_response_body("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").value(), "hello");
  EXPECT_EQ(http_response_body("HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\nabcdef").value(), "abc");
  EXPECT_EQ(http_response_body("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end").value(), "to the end");
  EXPECT_EQ(http_response_body("HTTP/1.0 200 OK\n\nbare LF").value(), "bare LF");
  EXPECT_EQ(http_response_body("HTTP/1.1 200 OK\r\n\r\n").value(), "");
}

TEST(HttpResponseBody, RejectsEverythingElse) {
  auto e = http_response_body("HTTP/1.1 404 Not Found\r\n\r\nnope");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "HTTP status 404 Not Found");
  EXPECT_NE(http_response_body("HTTP/1.1 200 OK\r\nContent-Le").error().message.find("incomplete"), std::string::npos);
  EXPECT_NE(http_response_body("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").error().message.find("truncated"),
            std::string::npos);
  EXPECT_FALSE(http_response_body("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").ok());
  EXPECT_NE(http_response_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                .error()
                .message.find("chunked"),
            std::string::npos);
  EXPECT_FALSE(http_response_body("SSH-2.0-OpenSSH\r\n\r\n").ok());
  EXPECT_FALSE(http_response_body("").ok());
}

constexpr std::string_view kName = "sluice_source_accepted_events_total";

TEST(SumPrometheusSamples, SumsEveryLabelSetOfTheFamilyOnly) {
  std::string_view text =
      "# HELP sluice_source_accepted_events_total Events accepted.\n"
      "# TYPE sluice_source_accepted_events_total counter\n"
      "sluice_source_accepted_events_total{shard=\"0\",component=\"r1\"} 1000\n"
      "sluice_source_accepted_events_total{shard=\"1\",component=\"r1\"} 2500 1732166400000\n"
      "sluice_source_accepted_events_total{component=\"odd } \\\" name\",shard=\"2\"} 1.5e+03\n"
      "sluice_source_accepted_events_total_bytes{shard=\"0\"} 99999\n"
      "sluice_source_accepted_events 77\n"
      "other_metric{x=\"sluice_source_accepted_events_total 5\"} 3\n"
      "  sluice_source_accepted_events_total   4\r\n"
      "\n";
  auto sum = sum_prometheus_samples(text, kName);
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_DOUBLE_EQ(sum.value(), 1000 + 2500 + 1500 + 4);
}

TEST(PrometheusLabel, FindsAValueInALabelSet) {
  EXPECT_EQ(prometheus_label("{component=\"k1\",le=\"0.005\"}", "le"), "0.005");
  EXPECT_EQ(prometheus_label("{component=\"k1\",le=\"0.005\"}", "component"), "k1");
  EXPECT_EQ(prometheus_label("{a=\"x\\\"le=\\\"\",le=\"+Inf\"}", "le"), "+Inf");  // a quote escaped inside a value
  EXPECT_FALSE(prometheus_label("{component=\"k1\"}", "le").has_value());
  EXPECT_FALSE(prometheus_label("", "le").has_value());
  EXPECT_FALSE(prometheus_label("{le=0.5}", "le").has_value());  // malformed: unquoted
}

TEST(ForEachPrometheusSample, GivesLabelsAndValuesAndPassesOnErrorsWithTheLine) {
  const std::string text = "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 4\n";
  std::vector<std::pair<std::string, double>> seen;
  Status read = for_each_prometheus_sample(text, "h_bucket", [&](std::string_view labels, double value) -> Status {
    seen.emplace_back(std::string(labels), value);
    return {};
  });
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].first, "{le=\"+Inf\"}");
  EXPECT_EQ(seen[1].second, 3);
  Status refused = for_each_prometheus_sample(
      text, "h_sum", [](std::string_view, double) -> Status { return make_error("no thanks"); });
  EXPECT_EQ(refused.message(), "line 4: no thanks");
}

TEST(SumPrometheusSamples, LargeCountersKeepTheirPrecision) {
  auto sum = sum_prometheus_samples("x{a=\"1\"} 123456789012\nx{a=\"2\"} 1\n", "x");
  EXPECT_DOUBLE_EQ(sum.value(), 123456789013.0);
}

TEST(SumPrometheusSamples, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(sum_prometheus_samples("# TYPE x counter\ny 1\n", "x").error().message, "no x samples");
  EXPECT_EQ(sum_prometheus_samples("x{a=\"1\"} 2\nx{a=\"2 3\n", "x").error().message, "line 2: unterminated label set");
  EXPECT_EQ(sum_prometheus_samples("x 12abc\n", "x").error().message, "line 1: malformed sample value '12abc'");
  EXPECT_NE(sum_prometheus_samples("x NaN\n", "x").error().message.find("not finite"), std::string::npos);
  EXPECT_NE(sum_prometheus_samples("x +Inf\n", "x").error().message.find("not finite"), std::string::npos);
  EXPECT_FALSE(sum_prometheus_samples("x\n", "x").ok());
}

// A fake clock and a scripted counter for wait_for_settle.
struct Script {
  int64_t now = 0;
  std::vector<std::pair<int64_t, double>> values;  // from this time on, the counter reads this
  int failures_from_ns = -1;
  int interrupt_at_ns = -1;

  SettleHooks hooks() {
    return {
        .scrape = [this]() -> Result<double> {
          if (failures_from_ns >= 0 && now >= failures_from_ns) return make_error("connection refused");
          double v = 0;
          for (auto [t, value] : values)
            if (now >= t) v = value;
          return v;
        },
        .now_ns = [this] { return now; },
        .sleep_ns = [this](int64_t ns) { now += ns; },
        .interrupted = [this] { return interrupt_at_ns >= 0 && now >= interrupt_at_ns; },
    };
  }
};

constexpr int64_t kMs = 1'000'000;

TEST(WaitForSettle, StopsAtOnceWhenEverythingArrived) {
  Script s;
  SettleOptions o;
  o.target = 100;
  auto r = wait_for_settle(o, 100, 0, s.hooks());
  EXPECT_TRUE(r.reached_target);
  EXPECT_EQ(r.last_increase_ns, 0);
  EXPECT_EQ(s.now, 0);
}

TEST(WaitForSettle, AFallingValueIsFollowedDownToTheTarget) {
  Script s;
  s.values = {{0, 500}, {300 * kMs, 40}, {900 * kMs, 0}};  // events left to deliver
  SettleOptions o;
  o.target = 0;
  o.falling = true;
  auto r = wait_for_settle(o, 500, 0, s.hooks());
  EXPECT_TRUE(r.reached_target);
  EXPECT_EQ(r.value, 0);
  EXPECT_EQ(s.now, 900 * kMs);
  // Still at 500 for longer than unchanged_ns_max: given up, not reached.
  Script stuck;
  stuck.values = {{0, 500}};
  auto g = wait_for_settle(o, 500, 0, stuck.hooks());
  EXPECT_FALSE(g.reached_target);
  EXPECT_EQ(g.value, 500);
}

TEST(WaitForSettle, FollowsTheCounterUntilItReachesTheTarget) {
  Script s;
  s.values = {{0, 10}, {250 * kMs, 60}, {1200 * kMs, 100}};
  SettleOptions o;
  o.target = 100;
  auto r = wait_for_settle(o, 10, 0, s.hooks());
  EXPECT_TRUE(r.reached_target);
  EXPECT_EQ(r.value, 100);
  EXPECT_EQ(r.last_increase_ns, 1200 * kMs);  // first poll at or after the increase
}

TEST(WaitForSettle, GivesUpAfterTheCounterStaysStill) {
  Script s;
  s.values = {{0, 10}, {2000 * kMs, 90}};
  SettleOptions o;
  o.target = 100;
  auto r = wait_for_settle(o, 10, 0, s.hooks());
  EXPECT_FALSE(r.reached_target);
  EXPECT_EQ(r.value, 90);
  EXPECT_EQ(r.last_increase_ns, 2000 * kMs);
  EXPECT_EQ(s.now, 12'000 * kMs);  // 10 s without change after the last increase
}

TEST(WaitForSettle, FailedScrapesCountAsNoChange) {
  Script s;
  s.values = {{0, 10}, {300 * kMs, 50}};
  s.failures_from_ns = 500 * kMs;
  SettleOptions o;
  o.target = 100;
  auto r = wait_for_settle(o, 10, 0, s.hooks());
  EXPECT_FALSE(r.reached_target);
  EXPECT_EQ(r.value, 50);
  EXPECT_EQ(r.last_error, "connection refused");
  EXPECT_EQ(s.now, 10'300 * kMs);
}

TEST(WaitForSettle, StopsOnInterrupt) {
  Script s;
  s.values = {{0, 10}};
  s.interrupt_at_ns = 700 * kMs;
  SettleOptions o;
  o.target = 100;
  auto r = wait_for_settle(o, 10, 0, s.hooks());
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(s.now, 700 * kMs);
}

TEST(WaitForSettle, ACreepingCounterCannotHoldTheRunOpen) {
  Script s;
  for (int64_t t = 0; t < 1000; ++t) s.values.emplace_back(t * 1000 * kMs, static_cast<double>(t));
  SettleOptions o;
  o.target = 1e9;
  o.wait_ns_max = 60'000 * kMs;
  auto r = wait_for_settle(o, 0, 0, s.hooks());
  EXPECT_FALSE(r.reached_target);
  EXPECT_EQ(s.now, 60'000 * kMs);
}

// A loopback listener that answers each connection with `response` (or never, when empty).
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t length = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char request[4096];
      ssize_t n = ::recv(c, request, sizeof request, 0);
      request_.assign(request, n > 0 ? static_cast<size_t>(n) : 0);
      if (!response_.empty()) {
        ssize_t ignored = ::send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
        (void)ignored;
      } else {
        ::recv(c, request, sizeof request, 0);  // hold the connection until the client leaves
      }
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  HttpUrl url() const { return parse_http_url("http://127.0.0.1:" + std::to_string(port_) + "/metrics").value(); }
  std::string request_;

 private:
  std::string response_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(HttpGet, ScrapesAndSums) {
  OneShotServer server("HTTP/1.0 200 OK\r\n\r\nx{a=\"1\"} 40\nx{a=\"2\"} 2\n");
  auto sum = scrape_metric_sum(server.url(), "x", 2000);
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_EQ(sum.value(), 42);
  EXPECT_TRUE(server.request_.starts_with("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1:")) << server.request_;
}

TEST(HttpGet, ReportsStatusRefusalAndTimeout) {
  {
    OneShotServer server("HTTP/1.0 500 Internal Server Error\r\n\r\n");
    auto r = http_get(server.url(), 2000);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("HTTP status 500"), std::string::npos) << r.error().message;
  }
  HttpUrl closed;
  {
    OneShotServer server("HTTP/1.0 200 OK\r\n\r\n");
    closed = server.url();
    ASSERT_TRUE(http_get(closed, 2000).ok());
  }
  auto refused = http_get(closed, 2000);  // nothing listens there any more
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "cannot connect to " + closed.text() + ": Connection refused");
  {
    OneShotServer server("");
    auto r = http_get(server.url(), 200);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("timed out after 200 ms"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace sluice::bench
