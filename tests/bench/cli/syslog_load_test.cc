// Runs `sluice-bench syslog` in-process against loopback servers that parse what arrives the
// way a syslog server would and check every message: its size, its connection, and that each
// connection's sequence numbers run 0, 1, 2, ... without gaps.
#include "bench/cli/syslog_load.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "base/histogram.h"
#include "base/metrics.h"
#include "base/time.h"
#include "bench/cli/syslog_message.h"

namespace sluice::bench {
namespace {

enum class Kind { octet, lf, udp };

int bound_socket(int type, uint16_t& port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t length = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  port = ntohs(a.sin_port);
  return fd;
}

struct Behaviour {
  size_t close_after_bytes = 0;  // close each connection after reading this much (0: never)
  int read_pause_ms = 0;         // pause before each read of at most 64 KiB (a slow server)
  bool serve_event_ages = true;  // /metrics has sluice_sink_event_age_seconds (as sluice's has)
};

// The buckets of the checking server's event-age histogram (microseconds).
constexpr int64_t kAgeBoundsUs[] = {1'000, 10'000, 100'000, 1'000'000, 10'000'000};

// "2026-11-21T05:10:00.123Z" in ms since the epoch.
int64_t timestamp_ms(const std::string& text) {
  tm t{};
  int ms = 0;
  if (sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min, &t.tm_sec,
             &ms) != 7)
    return 0;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1000 + ms;
}

// A syslog server that checks every message, plus a /metrics endpoint counting them.
class CheckingServer {
 public:
  CheckingServer(Kind kind, size_t message_bytes, Behaviour behaviour = {})
      : kind_(kind), message_bytes_(message_bytes), behaviour_(behaviour) {
    if (kind == Kind::udp) {
      fd_ = bound_socket(SOCK_DGRAM, port_);
      // Room for every datagram of a test even if this thread is descheduled for a while;
      // SO_RCVBUF alone is capped by net.core.rmem_max, the FORCE variant needs CAP_NET_ADMIN.
      int size = 8 << 20;
      if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      threads_.emplace_back([this] { receive_datagrams(); });
    } else {
      fd_ = bound_socket(SOCK_STREAM, port_);
      ::listen(fd_, 64);
      threads_.emplace_back([this] { accept_loop(); });
    }
    metrics_fd_ = bound_socket(SOCK_STREAM, metrics_port_);
    ::listen(metrics_fd_, 16);
    threads_.emplace_back([this] { serve_metrics(); });
  }

  ~CheckingServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::shutdown(metrics_fd_, SHUT_RDWR);
    for (auto& t : threads_) t.join();
    ::close(fd_);
    ::close(metrics_fd_);
  }

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string metrics_url() const { return "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"; }
  uint64_t accepted() const { return accepted_.load(); }
  std::map<int, uint64_t> per_connection() {
    std::lock_guard lock(mutex_);
    return next_seq_;
  }
  std::vector<std::string> problems() {
    std::lock_guard lock(mutex_);
    return problems_;
  }

 private:
  void problem(std::string text) {
    std::lock_guard lock(mutex_);
    if (problems_.size() < 20) problems_.push_back(std::move(text));
  }

  void check(std::string_view m) {
    if (m.size() != message_bytes_) problem("message of " + std::to_string(m.size()) + " bytes");
    size_t conn_at = m.find(" conn=");
    size_t seq_at = m.find(" seq=");
    if (!m.starts_with("<134>1 ") || conn_at == std::string_view::npos || seq_at == std::string_view::npos) {
      problem("malformed: " + std::string(m.substr(0, 100)));
      return;
    }
    int conn = std::stoi(std::string(m.substr(conn_at + 6, 3)));
    uint64_t seq = std::stoull(std::string(m.substr(seq_at + 5, 10)));
    // Each message carries its send time: never before the server started, never after now
    // (with a rounding millisecond), and never going back on a connection. Fixed-width UTC
    // timestamps compare as strings. Only a timestamp that differs from its connection's last
    // one is parsed and checked against the clock: this server must keep up with the client.
    const std::string_view timestamp = m.substr(7, kTimestampBytes);
    {
      std::lock_guard lock(mutex_);
      Stamp& last = last_stamp_[conn];
      if (timestamp != last.text) {
        if ((timestamp < started_ || timestamp > format_rfc5424_timestamp(base::realtime_ms() + 1)) &&
            problems_.size() < 20)
          problems_.push_back("timestamp " + std::string(timestamp) + " is not the time of sending (server started " +
                              started_ + ")");
        if (timestamp < last.text && problems_.size() < 20)
          problems_.push_back("conn " + std::to_string(conn) + ": timestamp " + std::string(timestamp) + " after " +
                              last.text);
        last.text = timestamp;
        last.ms = timestamp_ms(last.text);
      }
      // "Delivered" on arrival: the age a sluice sink would record.
      ages_.record(base::realtime_us() - last.ms * 1000);
      uint64_t& next = next_seq_[conn];
      if (seq != next && problems_.size() < 20)
        problems_.push_back("conn " + std::to_string(conn) + ": seq " + std::to_string(seq) + ", expected " +
                            std::to_string(next));
      next = seq + 1;
    }
    accepted_.fetch_add(1);
  }

  void accept_loop() {
    std::vector<std::thread> readers;
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      readers.emplace_back([this, c] { read_stream(c); });
    }
    for (auto& t : readers) t.join();
  }

  void read_stream(int fd) {
    std::string pending;
    std::vector<char> buffer(behaviour_.read_pause_ms ? 64 << 10 : 256 << 10);
    size_t total = 0;
    while (true) {
      for (int waited = 0; waited < behaviour_.read_pause_ms && !stopping_; waited += 10) usleep(10'000);
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) == 0) {
        if (stopping_) break;
        continue;
      }
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      total += static_cast<size_t>(n);
      pending.append(buffer.data(), static_cast<size_t>(n));
      size_t pos = 0;
      while (true) {
        if (kind_ == Kind::lf) {
          size_t nl = pending.find('\n', pos);
          if (nl == std::string::npos) break;
          check(std::string_view(pending).substr(pos, nl - pos));
          pos = nl + 1;
        } else {
          size_t space = pending.find(' ', pos);
          if (space == std::string::npos) break;
          size_t length = std::stoul(pending.substr(pos, space - pos));
          if (pending.size() < space + 1 + length) break;
          check(std::string_view(pending).substr(space + 1, length));
          pos = space + 1 + length;
        }
      }
      pending.erase(0, pos);
      if (behaviour_.close_after_bytes && total >= behaviour_.close_after_bytes) break;
    }
    if (!pending.empty() && !behaviour_.close_after_bytes) problem("stream ended inside a message");
    ::close(fd);
  }

  void receive_datagrams() {
    std::vector<char> buffer(65536);
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      check(std::string_view(buffer.data(), static_cast<size_t>(n)));
    }
  }

  void serve_metrics() {
    while (true) {
      int c = ::accept(metrics_fd_, nullptr, nullptr);
      if (c < 0) break;
      char request[4096];
      ::recv(c, request, sizeof request, 0);
      uint64_t n = accepted_.load();
      std::string body =
          "# TYPE sluice_source_accepted_events_total counter\n"
          "sluice_source_accepted_events_total{shard=\"0\"} " +
          std::to_string(n / 2) + "\n" + "sluice_source_accepted_events_total{shard=\"1\"} " +
          std::to_string(n - n / 2) + "\n";
      if (behaviour_.serve_event_ages) {
        base::MetricsWriter w;
        {
          std::lock_guard lock(mutex_);
          w.histogram("sluice_sink_event_age_seconds", "Age.", {{"component", "k1"}}, ages_, 1e6);
        }
        w.gauge("sluice_channel_size_events", "Size.", {{"component", "c1"}}, 0);
        body += w.text();
      }
      std::string response = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body;
      ssize_t ignored = ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      (void)ignored;
      ::close(c);
    }
  }

  Kind kind_;
  size_t message_bytes_;
  Behaviour behaviour_;
  int fd_ = -1;
  int metrics_fd_ = -1;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0};
  std::mutex mutex_;
  std::map<int, uint64_t> next_seq_;
  struct Stamp {
    std::string text;
    int64_t ms = 0;
  };
  std::map<int, Stamp> last_stamp_;
  base::Histogram ages_{kAgeBoundsUs};
  std::vector<std::string> problems_;
  const std::string started_ = format_rfc5424_timestamp(base::realtime_ms());
  std::vector<std::thread> threads_;
};

struct Outcome {
  int status;
  std::string out;
  std::string err;
  boost::json::object json;  // when the output was JSON
};

Outcome run(std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  Outcome o;
  o.status = run_syslog(views);
  o.out = testing::internal::GetCapturedStdout();
  o.err = testing::internal::GetCapturedStderr();
  if (o.out.starts_with("{")) o.json = boost::json::parse(o.out).as_object();
  return o;
}

TEST(SyslogLoad, TcpOctetCountingDeliversEveryMessageInOrder) {
  CheckingServer server(Kind::octet, 300);
  Outcome o = run({"--tcp", server.target(), "--count", "100003", "--connections", "3", "--size", "300", "--metrics",
                   server.metrics_url(), "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(o.json.at("events_sent").as_int64(), 100003);
  EXPECT_EQ(o.json.at("bytes_sent").as_int64(), 100003 * 304);
  EXPECT_EQ(o.json.at("stop_reason").as_string(), "count");
  EXPECT_EQ(o.json.at("server_events_accepted").as_int64(), 100003);
  EXPECT_GT(o.json.at("server_events_per_s").as_double(), 0);
  EXPECT_TRUE(o.json.at("server_note").is_null()) << o.out;
  EXPECT_EQ(server.per_connection(), (std::map<int, uint64_t>{{0, 33335}, {1, 33334}, {2, 33334}}));
  EXPECT_TRUE(server.problems().empty()) << server.problems().front();
}

TEST(SyslogLoad, TcpLfFramingAcrossManyBufferPasses) {
  CheckingServer server(Kind::lf, 84);  // the smallest message: many per buffer, many passes
  // The count, not the default 10 s, ends the run: a slow sanitizer build may need longer.
  Outcome o = run({"--tcp", server.target(), "--framing", "lf", "--size", "84", "--count", "2M", "--duration", "120",
                   "--connections", "2", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(o.json.at("events_sent").as_int64(), 2'000'000);
  EXPECT_TRUE(o.json.at("server_events_accepted").is_null());
  for (int i = 0; i < 100 && server.accepted() < 2'000'000; ++i) usleep(50'000);
  EXPECT_EQ(server.per_connection(), (std::map<int, uint64_t>{{0, 1'000'000}, {1, 1'000'000}}));
  EXPECT_TRUE(server.problems().empty()) << server.problems().front();
}

TEST(SyslogLoad, UdpSendsOneMessagePerDatagram) {
  CheckingServer server(Kind::udp, 200);
  // A modest rate, so that the receiving socket never overflows.
  Outcome o = run({"--udp", server.target(), "--count", "3000", "--rate", "20k", "--connections", "2", "--metrics",
                   server.metrics_url(), "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(o.json.at("events_sent").as_int64(), 3000);
  EXPECT_TRUE(o.json.at("framing").is_null());
  EXPECT_EQ(o.json.at("server_events_accepted").as_int64(), 3000);
  EXPECT_EQ(server.per_connection(), (std::map<int, uint64_t>{{0, 1500}, {1, 1500}}));
  EXPECT_TRUE(server.problems().empty()) << server.problems().front();
}

TEST(SyslogLoad, ReportsLatencyToDeliveryFromTheServersEventAgeHistogram) {
  CheckingServer server(Kind::octet, 200);
  Outcome o = run({"--tcp", server.target(), "--rate", "20k", "--duration", "2", "--connections", "2", "--metrics",
                   server.metrics_url(), "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const int64_t sent = o.json.at("events_sent").as_int64();
  EXPECT_EQ(o.json.at("delivery_events").as_int64(), sent) << o.out;
  EXPECT_EQ(o.json.at("delivery_from").as_string(), "send");
  EXPECT_TRUE(o.json.at("delivery_note").is_null()) << o.out;
  // Stamped when sent, the events are "delivered" on arrival here: far below the two-second run
  // that a timestamp from the run's start would give half its events.
  EXPECT_LT(o.json.at("delivery_p50_ms").as_double(), 500) << o.out;
  EXPECT_LE(o.json.at("delivery_p50_ms").as_double(), o.json.at("delivery_p99_ms").as_double());
  EXPECT_TRUE(server.problems().empty()) << server.problems().front();

  Outcome text = run({"--tcp", server.target(), "--count", "1000", "--metrics", server.metrics_url(), "--quiet"});
  ASSERT_EQ(text.status, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("(1,000 events, send to sink)"), std::string::npos) << text.out;
}

TEST(SyslogLoad, AServerWithoutTheEventAgeHistogramIsNotedNotWaitedFor) {
  CheckingServer server(Kind::octet, 200, {.serve_event_ages = false});
  Outcome o =
      run({"--tcp", server.target(), "--count", "1000", "--metrics", server.metrics_url(), "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(o.json.at("server_events_accepted").as_int64(), 1000);
  EXPECT_TRUE(o.json.at("delivery_p50_ms").is_null());
  EXPECT_NE(std::string(o.json.at("delivery_note").as_string()).find("has no sluice_sink_event_age_seconds"),
            std::string::npos)
      << o.out;
}

TEST(SyslogLoad, DurationBoundsAnUnlimitedRun) {
  CheckingServer server(Kind::octet, 200);
  Outcome o = run({"--tcp", server.target(), "--duration", "0.3", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(o.json.at("stop_reason").as_string(), "duration");
  EXPECT_GE(o.json.at("elapsed_s").as_double(), 0.29);
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 2.0);
  EXPECT_GT(o.json.at("events_sent").as_int64(), 0);
}

TEST(SyslogLoad, RateIsHonoured) {
  CheckingServer server(Kind::octet, 200);
  Outcome o =
      run({"--tcp", server.target(), "--rate", "20000", "--duration", "1", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  // Never faster than asked; slower only if this machine is starved (the bound is loose for that).
  EXPECT_LE(o.json.at("events_sent").as_int64(), 20'000 * o.json.at("elapsed_s").as_double() + 1);
  EXPECT_GE(o.json.at("events_sent").as_int64(), 16'000);
}

TEST(SyslogLoad, AStopNeverLeavesATornMessageBehind) {
  // The server reads slowly, so the stop finds a send half done; the connection finishes that
  // message (the server would see a torn one otherwise) and the server accepts all that was sent.
  CheckingServer server(Kind::octet, 200, {.read_pause_ms = 20});
  Outcome o = run({"--tcp", server.target(), "--duration", "0.5", "--connections", "2", "--metrics",
                   server.metrics_url(), "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_TRUE(o.json.at("warnings").as_array().empty()) << o.out;
  EXPECT_EQ(o.json.at("server_events_accepted").as_int64(), o.json.at("events_sent").as_int64()) << o.out;
  EXPECT_TRUE(server.problems().empty()) << server.problems().front();
}

TEST(SyslogLoad, AServerThatStopsReadingCannotHoldTheRunOpen) {
  CheckingServer server(Kind::octet, 200, {.read_pause_ms = 60'000});
  Outcome o =
      run({"--tcp", server.target(), "--duration", "0.3", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 2.5);
  auto warnings = o.json.at("warnings").as_array();
  ASSERT_EQ(warnings.size(), 1u) << o.out;
  EXPECT_NE(std::string(warnings[0].as_string()).find("the last message was cut short"), std::string::npos) << o.out;
}

TEST(SyslogLoad, ARefusedConnectionFailsClearly) {
  uint16_t port = 0;
  int fd = bound_socket(SOCK_STREAM, port);  // bound, not listening: connections are refused
  Outcome o = run({"--tcp", "127.0.0.1:" + std::to_string(port), "--no-metrics"});
  ::close(fd);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err, "sluice-bench: cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused\n");
  EXPECT_EQ(o.out, "");
}

TEST(SyslogLoad, AServerClosingMidRunIsReportedNotACrash) {
  CheckingServer server(Kind::octet, 200, {.close_after_bytes = 1 << 20});
  Outcome o = run({"--tcp", server.target(), "--duration", "5", "--no-metrics", "--json", "--quiet"});
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  ASSERT_EQ(o.json.at("errors").as_array().size(), 4u) << o.out;
  EXPECT_NE(std::string(o.json.at("errors").as_array()[0].as_string()).find("the server closed the connection"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.json.at("stop_reason").as_string(), "error");
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 4.0);
}

TEST(SyslogLoad, UnreachableMetricsStillGiveClientNumbers) {
  CheckingServer server(Kind::octet, 200);
  uint16_t port = 0;
  int fd = bound_socket(SOCK_STREAM, port);
  Outcome o = run({"--tcp", server.target(), "--count", "1000", "--metrics",
                   "http://127.0.0.1:" + std::to_string(port) + "/metrics", "--quiet"});
  ::close(fd);
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.err.find("server metrics unavailable"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("sent              1,000 events"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("server  not measured: cannot connect to"), std::string::npos) << o.out;
}

TEST(SyslogLoad, BadUsageExitsWith2AndHelpWith0) {
  Outcome o = run({"--tcp", "127.0.0.1:1", "--size", "10"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("--size 10 is too small"), std::string::npos) << o.err;
  o = run({"--help"});
  EXPECT_EQ(o.status, 0);
  EXPECT_TRUE(o.out.starts_with("usage: sluice-bench syslog")) << o.out;
}

}  // namespace
}  // namespace sluice::bench
