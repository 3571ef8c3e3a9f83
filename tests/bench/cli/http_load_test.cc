// Runs `sluice-bench http` in-process against a loopback HTTP server that reads every request
// the way an HTTP source would (request line, fields, Content-Length, gzip, then the body as
// Flume JSON, NDJSON or text lines, parsed with Boost.JSON) and checks every event: its
// headers, its body, and that each connection's sequence numbers arrive once each, in order.
// The server answers as each test asks: 200, 503 with Retry-After, 500, Connection: close, a
// close without an answer, or no answer at all.
#include "bench/cli/http_load.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "base/time.h"
#include "bench/cli/batch_events.h"
#include "bench/cli/load_driver.h"

namespace sluice::bench {
namespace {

int listen_loopback(uint16_t& port, bool listen_too = true) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t length = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  port = ntohs(a.sin_port);
  if (listen_too) {
    EXPECT_EQ(::listen(fd, 64), 0);
  }
  return fd;
}

// What the server does with the request of index n (counted from 0 across all connections).
struct Answer {
  int status = 200;
  std::string reason = "OK";
  std::string fields = {};  // extra response fields, each ending in \r\n
  std::string body = {};
  bool close = false;   // Connection: close, then close
  bool drop = false;    // close without answering
  bool silent = false;  // never answer (keep reading)
  int delay_ms = 0;
};
using Policy = std::function<Answer(uint64_t n)>;

struct Expect {
  std::string path = "/ingest";
  std::string format = "json";
  bool gzip = false;
  size_t body_bytes = 200;   // 0: any size (--size-dist); the sizes seen are kept
  bool strict_order = true;  // each connection's accepted events in order (off when retries may reorder)
};

class CheckingHttpServer {
 public:
  CheckingHttpServer(Expect expect, Policy policy = {}) : expect_(std::move(expect)), policy_(std::move(policy)) {
    fd_ = listen_loopback(port_);
    metrics_fd_ = listen_loopback(metrics_port_);
    threads_.emplace_back([this] { accept_loop(); });
    threads_.emplace_back([this] { serve_metrics(); });
  }
  ~CheckingHttpServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::shutdown(metrics_fd_, SHUT_RDWR);
    for (auto& t : threads_) t.join();
    ::close(fd_);
    ::close(metrics_fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + expect_.path; }
  std::string metrics_url() const { return "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"; }
  uint64_t requests() const { return requests_.load(); }
  uint64_t connections() const { return connections_.load(); }
  // The accepted sequence numbers of each connection, in the order they were accepted.
  std::map<uint32_t, std::vector<uint64_t>> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<std::string> problems() {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  // Every connection's accepted events are exactly 0 .. quota - 1 (in order when strict).
  void expect_delivered(std::vector<uint64_t> quotas) {
    auto got = accepted();
    ASSERT_EQ(got.size(), quotas.size());
    for (uint32_t c = 0; c < quotas.size(); ++c) {
      std::vector<uint64_t> seqs = got[c];
      if (!expect_.strict_order) std::sort(seqs.begin(), seqs.end());
      ASSERT_EQ(seqs.size(), quotas[c]) << "connection " << c;
      for (uint64_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i) << "connection " << c;
    }
    auto p = problems();
    EXPECT_TRUE(p.empty()) << p.front();
  }

 private:
  struct Event {
    uint32_t conn = 0;
    uint64_t seq = 0;
  };

  void problem(std::string text) {
    std::lock_guard lock(mutex_);
    if (problems_.size() < 20) problems_.push_back(std::move(text));
  }

 public:
  std::set<size_t> sizes_seen() {
    std::lock_guard lock(mutex_);
    return sizes_seen_;
  }

 private:
  // Checks one event body and returns its connection and sequence number.
  bool check_body(std::string_view body, Event& e) {
    if (expect_.body_bytes ? body.size() != expect_.body_bytes : body.size() < event_body_bytes_min()) {
      problem("body of " + std::to_string(body.size()) + " bytes");
      return false;
    }
    {
      std::lock_guard lock(mutex_);
      sizes_seen_.insert(body.size());
    }
    if (!body.starts_with("conn=") || body.substr(8, 5) != " seq=") {
      problem("malformed body: " + std::string(body.substr(0, 40)));
      return false;
    }
    e.conn = static_cast<uint32_t>(std::stoul(std::string(body.substr(5, 3))));
    e.seq = std::stoull(std::string(body.substr(13, 10)));
    std::string padding(body.substr(23));
    if (!padding.empty() && padding != " " + std::string(padding.size() - 1, 'x')) {
      problem("malformed padding");
      return false;
    }
    return true;
  }

  bool parse_json_event(const boost::json::value& v, Event& e) {
    const auto* o = v.if_object();
    if (!o || o->size() != 2 || !o->contains("headers") || !o->contains("body")) {
      problem("not a Flume event: " + boost::json::serialize(v).substr(0, 80));
      return false;
    }
    const auto& h = o->at("headers").as_object();
    if (h.size() != 3 || !h.contains("seq") || !h.contains("conn") || !h.contains("timestamp")) {
      problem("headers: " + boost::json::serialize(h));
      return false;
    }
    // The send time, in ms: since this server started, and not after now.
    const std::string timestamp(h.at("timestamp").as_string());
    const int64_t now_ms = base::realtime_ms() + 1;
    if (timestamp.size() != kTimestampDigits || std::stoll(timestamp) < started_ms_ || std::stoll(timestamp) > now_ms) {
      problem("timestamp " + timestamp + " is not the time of sending");
      return false;
    }
    if (!check_body(o->at("body").as_string(), e)) return false;
    if (h.at("seq").as_string() != format_seq(e.seq) || h.at("conn").as_string() != format_conn(e.conn)) {
      problem("headers do not match the body: " + boost::json::serialize(v).substr(0, 120));
      return false;
    }
    return true;
  }

  bool decode_events(std::string_view body, std::vector<Event>& events) {
    if (expect_.format == "json") {
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(body, ec);
      if (ec || !v.is_array()) {
        problem("not a JSON array: " + ec.message());
        return false;
      }
      for (const auto& item : v.as_array()) {
        Event e;
        if (!parse_json_event(item, e)) return false;
        events.push_back(e);
      }
      return true;
    }
    if (body.empty() || body.back() != '\n') {
      problem("a line body that does not end in a newline");
      return false;
    }
    while (!body.empty()) {
      size_t nl = body.find('\n');
      std::string_view line = body.substr(0, nl);
      body.remove_prefix(nl + 1);
      Event e;
      if (expect_.format == "ndjson") {
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(line, ec);
        if (ec || !parse_json_event(v, e)) {
          problem("bad NDJSON line: " + std::string(line.substr(0, 80)));
          return false;
        }
      } else if (!check_body(line, e)) {
        return false;
      }
      events.push_back(e);
    }
    return true;
  }

  std::string gunzip(std::string_view data) {
    z_stream z{};
    inflateInit2(&z, 16 + 15);
    // Room for what the trailer says (ISIZE), and a byte to spare to catch a longer stream.
    uint32_t isize = 0;
    if (data.size() >= 4) std::memcpy(&isize, data.data() + data.size() - 4, 4);
    std::string out(std::min<size_t>(isize, 64 << 20) + 1, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z, Z_FINISH);
    if (rc != Z_STREAM_END || z.avail_in != 0)
      problem(std::string("gzip body does not inflate: ") + (z.msg ? z.msg : ""));
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    return out;
  }

  // Checks one request and, for a 200, accepts its events.
  void on_request(std::string_view head, std::string_view body, const Answer& answer) {
    const std::string request_line = "POST " + expect_.path + " HTTP/1.1\r\n";
    if (!head.starts_with(request_line)) problem("request line: " + std::string(head.substr(0, head.find('\r'))));
    const std::string type = expect_.format == "json"     ? "application/json"
                             : expect_.format == "ndjson" ? "application/x-ndjson"
                                                          : "text/plain; charset=utf-8";
    if (head.find("\r\nContent-Type: " + type + "\r\n") == std::string_view::npos) problem("Content-Type");
    if (head.find("\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n") == std::string_view::npos) problem("Host");
    const bool gzip = head.find("\r\nContent-Encoding: gzip\r\n") != std::string_view::npos;
    if (gzip != expect_.gzip) problem("Content-Encoding");
    std::string plain = gzip ? gunzip(body) : std::string(body);
    std::vector<Event> events;
    if (!decode_events(plain, events)) return;
    if (events.empty()) problem("a request without events");
    for (size_t i = 1; i < events.size(); ++i)
      if (events[i].conn != events[0].conn || events[i].seq != events[0].seq + i) problem("a batch out of order");
    if (answer.status != 200 || answer.drop || answer.silent) return;  // accepted only when answered 200
    std::lock_guard lock(mutex_);
    for (const Event& e : events) {
      auto& seqs = accepted_[e.conn];
      if (expect_.strict_order && e.seq != seqs.size() && problems_.size() < 20)
        problems_.push_back("conn " + std::to_string(e.conn) + ": seq " + std::to_string(e.seq) + ", expected " +
                            std::to_string(seqs.size()));
      seqs.push_back(e.seq);
    }
    accepted_count_ += events.size();
  }

  void accept_loop() {
    std::vector<std::thread> readers;
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      ++connections_;
      readers.emplace_back([this, c] { serve(c); });
    }
    for (auto& t : readers) t.join();
  }

  void serve(int fd) {
    std::string buffer;
    std::vector<char> chunk(256 << 10);
    bool open = true;
    while (open) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) == 0) {
        if (stopping_) break;
        continue;
      }
      ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
      if (n <= 0) break;
      buffer.append(chunk.data(), static_cast<size_t>(n));
      std::string responses;
      while (open) {
        size_t head_end = buffer.find("\r\n\r\n");
        if (head_end == std::string::npos) break;
        std::string_view head(buffer.data(), head_end + 2);
        size_t cl = head.find("\r\nContent-Length: ");
        if (cl == std::string_view::npos) {
          problem("no Content-Length");
          open = false;
          break;
        }
        size_t length = std::stoul(std::string(head.substr(cl + 18, head.find('\r', cl + 18) - cl - 18)));
        if (buffer.size() < head_end + 4 + length) break;
        const uint64_t index = requests_++;
        Answer answer = policy_ ? policy_(index) : Answer{};
        on_request(head, std::string_view(buffer).substr(head_end + 4, length), answer);
        buffer.erase(0, head_end + 4 + length);
        if (answer.drop) {
          open = false;
          break;
        }
        if (answer.silent) continue;
        if (answer.delay_ms) usleep(static_cast<useconds_t>(answer.delay_ms) * 1000);
        responses += "HTTP/1.1 " + std::to_string(answer.status) + " " + answer.reason + "\r\n" + answer.fields +
                     (answer.close ? "Connection: close\r\n" : "") +
                     "Content-Length: " + std::to_string(answer.body.size()) + "\r\n\r\n" + answer.body;
        if (answer.close) open = false;
      }
      if (!responses.empty()) {
        ssize_t ignored = ::send(fd, responses.data(), responses.size(), MSG_NOSIGNAL);
        (void)ignored;
      }
    }
    ::close(fd);
  }

  void serve_metrics() {
    while (true) {
      int c = ::accept(metrics_fd_, nullptr, nullptr);
      if (c < 0) break;
      char request[4096];
      ::recv(c, request, sizeof request, 0);
      uint64_t n = 0;
      {
        std::lock_guard lock(mutex_);
        n = accepted_count_;
      }
      std::string body =
          "sluice_source_accepted_events_total{shard=\"0\",component=\"h1\"} " + std::to_string(n) + "\n";
      std::string response = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body;
      ssize_t ignored = ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      (void)ignored;
      ::close(c);
    }
  }

  Expect expect_;
  Policy policy_;
  int fd_ = -1;
  int metrics_fd_ = -1;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> connections_{0};
  std::mutex mutex_;
  uint64_t accepted_count_ = 0;
  std::map<uint32_t, std::vector<uint64_t>> accepted_;
  std::set<size_t> sizes_seen_;
  std::vector<std::string> problems_;
  std::vector<std::thread> threads_;
  const int64_t started_ms_ = base::realtime_ms() - 1;
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
  o.status = run_http(views);
  o.out = testing::internal::GetCapturedStdout();
  o.err = testing::internal::GetCapturedStderr();
  if (o.out.starts_with("{")) o.json = boost::json::parse(o.out).as_object();
  return o;
}

int64_t field(const Outcome& o, const char* name) { return o.json.at(name).as_int64(); }

TEST(HttpLoad, DeliversEveryEventOnceInOrder) {
  CheckingHttpServer server({.body_bytes = 300});
  Outcome o = run({server.url(), "--count", "10003", "--batch", "100", "--connections", "3", "--size", "300",
                   "--metrics", server.metrics_url(), "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(field(o, "events_sent"), 10003);
  EXPECT_EQ(field(o, "events_acked"), 10003);
  // 3335 + 3334 + 3334 events: 34 requests each.
  EXPECT_EQ(field(o, "requests_sent"), 3 * 34);
  EXPECT_EQ(field(o, "requests_acked"), 3 * 34);
  EXPECT_EQ(field(o, "retries"), 0);
  EXPECT_EQ(o.json.at("stop_reason").as_string(), "count");
  EXPECT_EQ(o.json.at("subcommand").as_string(), "http");
  EXPECT_EQ(o.json.at("format").as_string(), "json");
  EXPECT_EQ(field(o, "server_events_accepted"), 10003);
  EXPECT_TRUE(o.json.at("server_note").is_null()) << o.out;
  EXPECT_EQ(field(o, "latency_samples"), 3 * 34);
  EXPECT_GT(o.json.at("latency_p50_ms").as_double(), 0);
  EXPECT_LE(o.json.at("latency_p50_ms").as_double(), o.json.at("latency_p99_ms").as_double());
  EXPECT_LE(o.json.at("latency_p999_ms").as_double(), o.json.at("latency_max_ms").as_double());
  EXPECT_EQ(server.requests(), 3u * 34);
  EXPECT_EQ(server.connections(), 3u);
  server.expect_delivered({3335, 3334, 3334});
}

TEST(HttpLoad, EveryFormatWithAndWithoutGzipAndPipelining) {
  for (std::string format : {"json", "ndjson", "text"}) {
    for (bool gzip : {false, true}) {
      for (std::string pipeline : {"1", "5"}) {
        SCOPED_TRACE(format + (gzip ? " gzip" : "") + " pipeline " + pipeline);
        CheckingHttpServer server({.format = format, .gzip = gzip, .body_bytes = 57});
        std::vector<std::string> args = {server.url(), "--count",      "2000",   "--batch",  "37",   "--connections",
                                         "2",          "--size",       "57",     "--format", format, "--pipeline",
                                         pipeline,     "--no-metrics", "--json", "--quiet"};
        if (gzip) args.push_back("--gzip");
        Outcome o = run(args);
        ASSERT_EQ(o.status, 0) << o.out << o.err;
        EXPECT_EQ(field(o, "events_acked"), 2000);
        EXPECT_EQ(o.json.at("compression").as_string(), gzip ? "gzip" : "none");
        server.expect_delivered({1000, 1000});
      }
    }
  }
}

TEST(HttpLoad, SizeDistributionVariesTheBodies) {
  for (const char* format : {"json", "text"}) {
    SCOPED_TRACE(format);
    CheckingHttpServer server({.format = format, .body_bytes = 0});
    Outcome o = run({server.url(), "--count", "2000", "--batch", "50", "--connections", "2", "--format", format,
                     "--size-dist", "list:23,400,1000", "--no-metrics", "--json", "--quiet"});
    ASSERT_EQ(o.status, 0) << o.out << o.err;
    EXPECT_EQ(field(o, "events_acked"), 2000);
    EXPECT_EQ(o.json.at("size_dist").as_string(), "list:23,400,1000");
    const int64_t mean = field(o, "size");
    EXPECT_GT(mean, 23);
    EXPECT_LT(mean, 1000);
    server.expect_delivered({1000, 1000});
    EXPECT_EQ(server.sizes_seen(), (std::set<size_t>{23, 400, 1000}));
  }
}

TEST(HttpLoad, A503IsRetriedAfterItsRetryAfter) {
  // Every third request is turned away once; retries come right away (Retry-After: 0).
  std::atomic<int> turned_away{0};
  CheckingHttpServer server({}, [&](uint64_t n) {
    if (n % 3 != 1) return Answer{};
    ++turned_away;
    return Answer{.status = 503,
                  .reason = "Service Unavailable",
                  .fields = "Retry-After: 0\r\n",
                  .body = R"({"error":"channel full"})"};
  });
  Outcome o = run({server.url(), "--count", "3000", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(field(o, "events_acked"), 3000);
  EXPECT_EQ(field(o, "requests_sent"), 30);
  EXPECT_EQ(field(o, "retries"), turned_away.load());
  EXPECT_GT(turned_away.load(), 10);
  EXPECT_EQ(field(o, "requests_failed"), 0);
  server.expect_delivered({3000});
}

TEST(HttpLoad, RetryAfterIsHonouredAndHoldsBackNewRequests) {
  CheckingHttpServer server({.strict_order = false}, [](uint64_t n) {
    if (n != 0) return Answer{};
    return Answer{.status = 503, .reason = "Service Unavailable", .fields = "Retry-After: 1\r\n"};
  });
  Outcome o = run(
      {server.url(), "--count", "800", "--connections", "1", "--pipeline", "4", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_GE(o.json.at("elapsed_s").as_double(), 1.0);
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 3.0);
  EXPECT_EQ(field(o, "retries"), 1);
  EXPECT_EQ(field(o, "events_acked"), 800);
  // While the first batch waited, the three already in flight went through, but nothing new.
  server.expect_delivered({800});
  auto seqs = server.accepted()[0];
  EXPECT_EQ(seqs[0], 100u);    // batches 1-3 first
  EXPECT_EQ(seqs[300], 0u);    // then the retried batch 0
  EXPECT_EQ(seqs[400], 400u);  // then the rest
}

TEST(HttpLoad, RetriesAreBounded) {
  CheckingHttpServer server({}, [](uint64_t) {
    return Answer{.status = 503, .reason = "Service Unavailable", .fields = "Retry-After: 0\r\n"};
  });
  Outcome o = run(
      {server.url(), "--count", "1000", "--connections", "1", "--retries", "2", "--no-metrics", "--json", "--quiet"});
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_EQ(server.requests(), 3u);
  EXPECT_EQ(field(o, "retries"), 2);
  EXPECT_EQ(field(o, "events_acked"), 0);
  EXPECT_EQ(field(o, "events_abandoned"), 100);
  EXPECT_EQ(o.json.at("stop_reason").as_string(), "error");
  ASSERT_EQ(o.json.at("errors").as_array().size(), 1u);
  EXPECT_EQ(o.json.at("errors").as_array()[0].as_string(),
            "connection 0: gave up on events 0-99 after 3 answers of HTTP 503");
}

TEST(HttpLoad, ErrorAnswersAreCountedAndReportedWithTheFirstBody) {
  CheckingHttpServer server({.strict_order = false}, [](uint64_t n) {
    if (n != 2 && n != 5) return Answer{};
    return Answer{.status = 500,
                  .reason = "Internal Server Error",
                  .body = R"({"error":"disk on fire )" + std::to_string(n) + R"("})"};
  });
  Outcome o = run({server.url(), "--count", "1000", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_EQ(field(o, "events_sent"), 1000);
  EXPECT_EQ(field(o, "events_acked"), 800);
  EXPECT_EQ(field(o, "requests_failed"), 2);
  EXPECT_EQ(field(o, "events_failed"), 200);
  EXPECT_EQ(field(o, "retries"), 0);
  EXPECT_EQ(o.json.at("stop_reason").as_string(), "count");
  ASSERT_EQ(o.json.at("errors").as_array().size(), 1u) << o.out;
  EXPECT_EQ(o.json.at("errors").as_array()[0].as_string(),
            "2 requests (200 events) answered with an error; the first: connection 0: HTTP 500 Internal Server "
            "Error for events 200-299: {\"error\":\"disk on fire 2\"}");
  auto seqs = server.accepted()[0];
  EXPECT_EQ(seqs.size(), 800u);
}

TEST(HttpLoad, ConnectionCloseGetsANewConnection) {
  // Every fourth answer closes the connection; with requests in flight, those are sent again.
  for (std::string pipeline : {"1", "3"}) {
    // The requests after a closing answer were not read: sent again in order, they keep it.
    CheckingHttpServer server({}, [](uint64_t n) { return n % 4 == 3 ? Answer{.close = true} : Answer{}; });
    Outcome o = run({server.url(), "--count", "2000", "--connections", "2", "--pipeline", pipeline, "--no-metrics",
                     "--json", "--quiet"});
    ASSERT_EQ(o.status, 0) << o.out << o.err;
    EXPECT_EQ(field(o, "events_acked"), 2000);
    EXPECT_GE(field(o, "reconnects"), 3);
    EXPECT_EQ(server.connections(), 2 + static_cast<uint64_t>(field(o, "reconnects")));
    if (pipeline == "1") {
      EXPECT_EQ(field(o, "retries"), 0);
    }
    server.expect_delivered({1000, 1000});
  }
}

TEST(HttpLoad, AServerClosingWithRequestsInFlightIsAnError) {
  CheckingHttpServer server({}, [](uint64_t n) { return n == 3 ? Answer{.drop = true} : Answer{}; });
  Outcome o = run({server.url(), "--count", "1000", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_EQ(field(o, "events_acked"), 300);
  EXPECT_EQ(field(o, "events_abandoned"), 100);
  ASSERT_EQ(o.json.at("errors").as_array().size(), 1u) << o.out;
  EXPECT_EQ(o.json.at("errors").as_array()[0].as_string(),
            "connection 0: the server closed the connection with 1 request(s) unanswered, after 300 acknowledged "
            "events");
}

TEST(HttpLoad, AServerThatClosesEveryConnectionAtOnceIsAnError) {
  // The client waits for its rate (one batch per second), so the closes find it idle.
  uint16_t port = 0;
  int listener = listen_loopback(port);
  std::atomic<int> accepted{0};
  std::thread closer([&] {
    while (true) {
      int c = ::accept(listener, nullptr, nullptr);
      if (c < 0) break;
      ++accepted;
      ::close(c);
    }
  });
  Outcome o = run({"http://127.0.0.1:" + std::to_string(port) + "/", "--rate", "100", "--connections", "1",
                   "--duration", "5", "--no-metrics", "--json", "--quiet"});
  ::shutdown(listener, SHUT_RDWR);
  closer.join();
  ::close(listener);
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 0.9);
  EXPECT_EQ(accepted.load(), 3);
  ASSERT_EQ(o.json.at("errors").as_array().size(), 1u) << o.out;
  EXPECT_EQ(o.json.at("errors").as_array()[0].as_string(),
            "connection 0: the server closed 3 connections in a row before a request was sent on them");
}

TEST(HttpLoad, DurationBoundsAnUnlimitedRun) {
  CheckingHttpServer server({.body_bytes = 100});
  Outcome o = run({server.url(), "--duration", "0.3", "--connections", "2", "--pipeline", "2", "--size", "100",
                   "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(o.json.at("stop_reason").as_string(), "duration");
  EXPECT_GE(o.json.at("elapsed_s").as_double(), 0.29);
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 2.0);
  EXPECT_GT(field(o, "events_acked"), 0);
  // Every request sent before the stop was answered and counted.
  EXPECT_EQ(field(o, "events_acked"), field(o, "events_sent"));
  EXPECT_EQ(field(o, "events_abandoned"), 0);
  auto accepted = server.accepted();
  EXPECT_EQ(accepted[0].size() + accepted[1].size(), static_cast<uint64_t>(field(o, "events_acked")));
  EXPECT_TRUE(server.problems().empty()) << server.problems().front();
}

TEST(HttpLoad, AServerThatNeverAnswersCannotHoldTheRunOpen) {
  CheckingHttpServer server({}, [](uint64_t) { return Answer{.silent = true}; });
  Outcome o = run({server.url(), "--duration", "0.3", "--connections", "1", "--pipeline", "2", "--no-metrics", "--json",
                   "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 4.0);
  EXPECT_EQ(field(o, "events_abandoned"), 200);
  EXPECT_EQ(field(o, "events_acked"), 0);
  EXPECT_EQ(o.json.at("latency_p50_ms").is_null(), true);
  ASSERT_EQ(o.json.at("warnings").as_array().size(), 1u) << o.out;
  EXPECT_NE(std::string(o.json.at("warnings").as_array()[0].as_string()).find("were not answered within 2 s"),
            std::string::npos);
}

TEST(HttpLoad, RateIsHonoured) {
  // Small batches, so that even a sanitizer build of this checking server answers each one far
  // within its 10 ms share.
  CheckingHttpServer server({.body_bytes = 50});
  Outcome o = run({server.url(), "--rate", "4k", "--batch", "20", "--size", "50", "--duration", "1", "--connections",
                   "2", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  // Never faster than asked (in whole batches); slower only on a starved machine.
  EXPECT_LE(field(o, "events_sent"), 4'000 * o.json.at("elapsed_s").as_double() + 40);
  EXPECT_GE(field(o, "events_sent"), 3'200);
}

TEST(HttpLoad, SigintStopsEarlyWithASummary) {
  install_signal_handlers();  // before the signal can arrive
  CheckingHttpServer server({});
  std::thread interrupter([] {
    usleep(300'000);
    ::kill(::getpid(), SIGINT);
  });
  Outcome o = run({server.url(), "--duration", "30", "--connections", "2", "--no-metrics", "--quiet"});
  interrupter.join();
  EXPECT_EQ(o.status, 130) << o.out << o.err;
  EXPECT_NE(o.out.find("(stopped by interrupt)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("latency p50 "), std::string::npos) << o.out;
  EXPECT_TRUE(server.problems().empty());
}

TEST(HttpLoad, ConnectionFailuresAndBadUsage) {
  uint16_t port = 0;
  int fd = listen_loopback(port, false);  // bound, not listening: connections are refused
  Outcome o = run({"http://127.0.0.1:" + std::to_string(port) + "/", "--no-metrics"});
  ::close(fd);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err,
            "sluice-bench: cannot connect to http://127.0.0.1:" + std::to_string(port) + "/: Connection refused\n");
  EXPECT_EQ(o.out, "");

  o = run({"http://127.0.0.1:1/", "--size", "10"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("--size 10 is too small"), std::string::npos) << o.err;
  o = run({"--batch", "100k", "--size", "1M", "http://127.0.0.1:1/"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("too large"), std::string::npos) << o.err;
  o = run({"--help"});
  EXPECT_EQ(o.status, 0);
  EXPECT_TRUE(o.out.starts_with("usage: sluice-bench http")) << o.out;
}

TEST(HttpLoad, UnreachableMetricsStillGiveClientNumbers) {
  CheckingHttpServer server({});
  uint16_t port = 0;
  int fd = listen_loopback(port, false);
  Outcome o = run({server.url(), "--count", "1000", "--connections", "1", "--metrics",
                   "http://127.0.0.1:" + std::to_string(port) + "/metrics", "--quiet"});
  ::close(fd);
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.err.find("server metrics unavailable"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("acked             1,000 events"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("server  not measured: cannot connect to"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace sluice::bench
