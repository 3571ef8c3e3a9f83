// Runs `sluice-bench avro` in-process against two kinds of Flume Avro sources:
// - tests/support/avro_peer.py server: python3-avro's IPC with Netty framing and Java's
//   stateful handshake, which prints every event it receives; the test checks what it printed;
// - a loopback server inside the test process built on sluice's own avro::ServerSession, which
//   checks every event and answers OK, FAILED, UNKNOWN or an error as each test asks.
#include "bench/cli/avro_load.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "base/time.h"
#include "bench/cli/batch_events.h"
#include "protocols/avro/ipc_server_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"

namespace sluice::bench {
namespace {

using avro::FlumeStatus;

constexpr const char* kPython = "/usr/bin/python3";

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
  o.status = run_avro(views);
  o.out = testing::internal::GetCapturedStdout();
  o.err = testing::internal::GetCapturedStderr();
  if (o.out.starts_with("{")) o.json = boost::json::parse(o.out).as_object();
  return o;
}

int64_t field(const Outcome& o, const char* name) { return o.json.at(name).as_int64(); }

std::string expected_body(uint32_t conn, uint64_t seq, size_t bytes) {
  std::string body;
  append_event_body(body, conn, seq, bytes);
  return body;
}

// ---------------------------------------------------------------------------------------------
// Against python3-avro

bool python_avro_available() {
  return access(kPython, X_OK) == 0 &&
         std::system((std::string(kPython) + " -c 'import avro.ipc' 2>/dev/null").c_str()) == 0;
}

// avro_peer.py server, started on a free port; finish() waits for it and returns its output.
class PythonPeer {
 public:
  explicit PythonPeer(const std::string& args) {
    dir_ = std::filesystem::temp_directory_path() /
           ("bench_avro_peer_" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    const auto port_file = dir_ / "port";
    const std::string cmd = std::string(kPython) + " " + SLUICE_AVRO_PEER + " server --port-file " +
                            port_file.string() + " --timeout 20 " + args + " 2>&1";
    pipe_ = popen(cmd.c_str(), "r");
    EXPECT_NE(pipe_, nullptr);
    for (int i = 0; i < 200 && !std::filesystem::exists(port_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (std::filesystem::exists(port_file)) {
      std::ifstream in(port_file);
      in >> port_;
    }
  }
  ~PythonPeer() {
    if (pipe_) finish();
    std::filesystem::remove_all(dir_);
  }
  uint16_t port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> finish() {
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe_)) > 0) out.append(buf, n);
    status_ = pclose(pipe_);
    pipe_ = nullptr;
    std::vector<std::string> lines;
    std::stringstream s(out);
    for (std::string line; std::getline(s, line);) lines.push_back(line);
    return lines;
  }
  int status() const { return status_; }

 private:
  static inline std::atomic<int> counter_{0};
  std::filesystem::path dir_;
  FILE* pipe_ = nullptr;
  uint16_t port_ = 0;
  int status_ = -1;
};

// What the peer printed, sorted out: handshakes, and events per connection in arrival order.
struct Printed {
  std::vector<std::string> handshakes;
  std::map<uint32_t, std::vector<uint64_t>> seqs;
  std::vector<std::string> problems;
};

Printed sort_out(const std::vector<std::string>& lines, size_t body_bytes) {
  Printed p;
  for (const std::string& line : lines) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) {
      p.problems.push_back("not JSON: " + line);
      continue;
    }
    const auto& o = v.as_object();
    if (o.contains("handshake")) {
      p.handshakes.emplace_back(o.at("handshake").as_string());
      continue;
    }
    const auto& headers = o.at("headers").as_object();
    const uint32_t conn = static_cast<uint32_t>(std::stoul(std::string(headers.at("conn").as_string())));
    const uint64_t seq = std::stoull(std::string(headers.at("seq").as_string()));
    if (headers.size() != 3 || headers.at("seq").as_string() != format_seq(seq) ||
        headers.at("conn").as_string() != format_conn(conn) ||
        headers.at("timestamp").as_string().size() != kTimestampDigits)
      p.problems.push_back("headers: " + line);
    if (o.at("body").as_string() != expected_body(conn, seq, body_bytes)) p.problems.push_back("body: " + line);
    p.seqs[conn].push_back(seq);
  }
  return p;
}

class AvroLoadPythonPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!python_avro_available()) GTEST_SKIP() << "python3-avro is not installed (scripts/setup installs it)";
  }
};
class AvroLoadPython : public AvroLoadPythonPeer, public ::testing::WithParamInterface<bool> {};

// Two connections to a peer that takes one connection at a time: the second waits for its
// handshake answer until the first is done and has closed.
TEST_P(AvroLoadPython, APythonFlumeSourceGetsEveryEventInOrder) {
  const bool deflate = GetParam();
  PythonPeer peer(std::string("--max-connections 2") + (deflate ? " --deflate" : ""));
  ASSERT_NE(peer.port(), 0) << testing::PrintToString(peer.finish());
  Outcome o = run({peer.target(), "--count", "301", "--batch", "40", "--connections", "2", "--size", "50",
                   "--compression", deflate ? "deflate" : "none", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(field(o, "events_acked"), 301);
  EXPECT_EQ(field(o, "requests_acked"), 8);  // 151 and 150 events in batches of 40
  EXPECT_EQ(o.json.at("compression").as_string(), deflate ? "deflate" : "none");
  EXPECT_EQ(o.json.at("framing").as_string(), "netty");
  const auto lines = peer.finish();
  EXPECT_EQ(peer.status(), 0);
  Printed p = sort_out(lines, 50);
  EXPECT_TRUE(p.problems.empty()) << p.problems.front();
  EXPECT_EQ(p.handshakes, (std::vector<std::string>{"BOTH", "BOTH"}));
  ASSERT_EQ(p.seqs.size(), 2u);
  for (uint32_t c = 0; c < 2; ++c) {
    const auto& seqs = p.seqs[c];
    ASSERT_EQ(seqs.size(), c == 0 ? 151u : 150u);
    for (uint64_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i) << "connection " << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Compression, AvroLoadPython, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "deflate" : "plain"; });

TEST_F(AvroLoadPythonPeer, AServerThatDoesNotKnowFlumesHashGetsTheProtocolText) {
  PythonPeer peer("--python-hash");
  ASSERT_NE(peer.port(), 0);
  Outcome o = run({peer.target(), "--count", "100", "--batch", "30", "--connections", "1", "--size", "23",
                   "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(field(o, "events_acked"), 100);
  EXPECT_EQ(field(o, "retries"), 0) << "a handshake NONE is not a retry";
  Printed p = sort_out(peer.finish(), 23);
  EXPECT_TRUE(p.problems.empty()) << p.problems.front();
  EXPECT_EQ(p.handshakes, (std::vector<std::string>{"NONE", "BOTH"}));
  ASSERT_EQ(p.seqs[0].size(), 100u);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(p.seqs[0][i], i);
}

TEST_F(AvroLoadPythonPeer, FailedIsRetriedAsOftenAsAllowed) {
  PythonPeer peer("--status FAILED");
  ASSERT_NE(peer.port(), 0);
  Outcome o = run({peer.target(), "--count", "100", "--batch", "10", "--connections", "1", "--retries", "2",
                   "--no-metrics", "--json", "--quiet"});
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_EQ(field(o, "retries"), 2);
  EXPECT_EQ(field(o, "events_acked"), 0);
  EXPECT_EQ(field(o, "events_abandoned"), 10);
  ASSERT_EQ(o.json.at("errors").as_array().size(), 1u);
  EXPECT_EQ(o.json.at("errors").as_array()[0].as_string(),
            "connection 0: gave up on events 0-9 after 3 answers of FAILED");
  Printed p = sort_out(peer.finish(), 200);
  EXPECT_EQ(p.seqs[0], (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4,
                                              5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}))
      << "the same batch three times";
}

// ---------------------------------------------------------------------------------------------
// Against sluice's own ServerSession

// What the server answers to call n (counted from 0 across connections, handshake NONEs not
// counted).
struct Answer {
  FlumeStatus status = FlumeStatus::ok;
  std::string error = {};  // non-empty: answer with this error instead
  bool drop = false;       // close the connection without answering
  bool silent = false;     // never answer
};
using Policy = std::function<Answer(uint64_t n)>;

class CheckingAvroServer {
 public:
  CheckingAvroServer(bool deflate, size_t body_bytes, Policy policy = {})
      : deflate_(deflate), body_bytes_(body_bytes), policy_(std::move(policy)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t length = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 64);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~CheckingAvroServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  uint64_t calls() const { return calls_.load(); }
  std::map<uint32_t, std::vector<uint64_t>> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<std::string> problems() {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  std::set<size_t> sizes_seen() {
    std::lock_guard lock(mutex_);
    return sizes_seen_;
  }
  void expect_delivered(std::vector<uint64_t> quotas) {
    auto got = accepted();
    ASSERT_EQ(got.size(), quotas.size());
    for (uint32_t c = 0; c < quotas.size(); ++c) {
      ASSERT_EQ(got[c].size(), quotas[c]) << "connection " << c;
      for (uint64_t i = 0; i < quotas[c]; ++i) ASSERT_EQ(got[c][i], i) << "connection " << c;
    }
    auto p = problems();
    EXPECT_TRUE(p.empty()) << p.front();
  }

 private:
  void problem(std::string text) {
    std::lock_guard lock(mutex_);
    if (problems_.size() < 20) problems_.push_back(std::move(text));
  }

  void accept_loop() {
    std::vector<std::thread> readers;
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      readers.emplace_back([this, c] { serve(c); });
    }
    for (auto& t : readers) t.join();
  }

  // Checks the events of one call; returns them as (conn, seq).
  std::vector<std::pair<uint32_t, uint64_t>> check(std::span<const avro::FlumeEvent> events) {
    std::vector<std::pair<uint32_t, uint64_t>> out;
    for (const auto& e : events) {
      std::string seq;
      std::string conn;
      std::string timestamp;
      for (const auto& h : e.headers) {
        const std::string_view key = h.key.empty() ? ringbuf::well_known_key_name(h.id) : h.key;
        if (key == "seq") seq = h.value;
        else if (key == "conn") conn = h.value;
        else if (key == "timestamp") timestamp = h.value;
        else problem("unexpected header " + std::string(key));
      }
      // The send time, in ms: since this server started, and not after now.
      if (timestamp.size() != kTimestampDigits || std::stoll(timestamp) < started_ms_ ||
          std::stoll(timestamp) > base::realtime_ms() + 1)
        problem("timestamp '" + timestamp + "' is not the time of sending");
      if (seq.size() != kSeqDigits || conn.size() != kConnDigits) {
        problem("headers seq '" + seq + "' conn '" + conn + "'");
        continue;
      }
      const auto c = static_cast<uint32_t>(std::stoul(conn));
      const uint64_t s = std::stoull(seq);
      // body_bytes_ 0: any size (--size-dist); the sizes seen are kept.
      if (e.body != expected_body(c, s, body_bytes_ ? body_bytes_ : e.body.size()))
        problem("body: " + std::string(e.body.substr(0, 60)));
      {
        std::lock_guard lock(mutex_);
        sizes_seen_.insert(e.body.size());
      }
      if (!out.empty() && (c != out.back().first || s != out.back().second + 1)) problem("a batch out of order");
      out.emplace_back(c, s);
    }
    return out;
  }

  void serve(int fd) {
    avro::ProtocolRegistry registry;
    avro::ServerSession session(registry);
    avro::FrameDecoder decoder;
    avro::Inflater inflater;
    avro::Deflater deflater;
    std::string plain;
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
      std::string_view in(chunk.data(), static_cast<size_t>(n));
      if (deflate_) {
        char out[16384];
        while (true) {
          auto r = inflater.inflate(in, out);
          if (r.status == avro::Inflater::Status::error) {
            problem(std::string("inflate: ") + std::string(r.error));
            open = false;
            break;
          }
          plain.append(out, r.produced);
          in.remove_prefix(r.consumed);
          if (in.empty() && r.produced < sizeof out) break;
        }
      } else {
        plain.append(in);
      }
      std::string_view rest = plain;
      std::string responses;
      while (open && !rest.empty()) {
        auto r = decoder.decode(rest);
        if (r.status == avro::FrameDecoder::Status::error) {
          problem("framing: " + std::string(r.error));
          open = false;
          break;
        }
        rest.remove_prefix(r.consumed);
        if (r.status == avro::FrameDecoder::Status::need_more) break;
        const int32_t serial = decoder.frame().serial;
        const auto& call = session.on_request(decoder.frame().payload);
        std::string_view reply;
        if (call.kind == avro::ServerSession::Call::Kind::reply) {
          if (call.malformed) problem("malformed call: " + std::string(call.problem));
          reply = session.reply();
        } else {
          const uint64_t index = calls_++;
          const Answer answer = policy_ ? policy_(index) : Answer{};
          auto events = check(call.events);
          if (answer.drop) {
            open = false;
            break;
          }
          if (answer.silent) continue;
          if (answer.error.empty() && answer.status == FlumeStatus::ok) {
            std::lock_guard lock(mutex_);
            for (auto [c, s] : events) {
              auto& seqs = accepted_[c];
              if (s != seqs.size() && problems_.size() < 20)
                problems_.push_back("conn " + std::to_string(c) + ": seq " + std::to_string(s) + ", expected " +
                                    std::to_string(seqs.size()));
              seqs.push_back(s);
            }
          }
          reply = answer.error.empty() ? session.respond(answer.status) : session.respond_error(answer.error);
        }
        std::string framed;
        avro::encode_frame(serial, reply, framed);
        if (deflate_) deflater.deflate(framed, responses);
        else responses += framed;
      }
      plain.erase(0, plain.size() - rest.size());
      if (!responses.empty()) {
        ssize_t ignored = ::send(fd, responses.data(), responses.size(), MSG_NOSIGNAL);
        (void)ignored;
      }
    }
    ::close(fd);
  }

  bool deflate_;
  size_t body_bytes_;
  Policy policy_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> calls_{0};
  std::mutex mutex_;
  std::map<uint32_t, std::vector<uint64_t>> accepted_;
  std::set<size_t> sizes_seen_;
  std::vector<std::string> problems_;
  const int64_t started_ms_ = base::realtime_ms() - 1;
};

TEST(AvroLoad, DeliversEveryEventOnceInOrder) {
  for (bool deflate : {false, true}) {
    SCOPED_TRACE(deflate ? "deflate" : "plain");
    CheckingAvroServer server(deflate, 300);
    Outcome o = run({server.target(), "--count", "20003", "--batch", "100", "--connections", "3", "--size", "300",
                     "--compression", deflate ? "deflate" : "none", "--no-metrics", "--json", "--quiet"});
    ASSERT_EQ(o.status, 0) << o.out << o.err;
    EXPECT_EQ(field(o, "events_sent"), 20003);
    EXPECT_EQ(field(o, "events_acked"), 20003);
    EXPECT_EQ(field(o, "requests_acked"), 3 * 67);
    EXPECT_EQ(field(o, "latency_samples"), 3 * 67);
    EXPECT_EQ(o.json.at("stop_reason").as_string(), "count");
    EXPECT_EQ(o.json.at("subcommand").as_string(), "avro");
    EXPECT_TRUE(o.json.at("format").is_null());
    if (deflate) {
      EXPECT_LT(field(o, "bytes_sent"), 20003 * 300 / 2) << "the bodies' padding is compressed";
    }
    server.expect_delivered({6668, 6668, 6667});
  }
}

TEST(AvroLoad, SizeDistributionVariesTheBodies) {
  for (bool deflate : {false, true}) {
    SCOPED_TRACE(deflate ? "deflate" : "plain");
    CheckingAvroServer server(deflate, 0);
    Outcome o =
        run({server.target(), "--count", "2000", "--batch", "50", "--connections", "2", "--size-dist", "uniform:23-600",
             "--compression", deflate ? "deflate" : "none", "--no-metrics", "--json", "--quiet"});
    ASSERT_EQ(o.status, 0) << o.out << o.err;
    EXPECT_EQ(field(o, "events_acked"), 2000);
    EXPECT_EQ(o.json.at("size_dist").as_string(), "uniform:23-600");
    server.expect_delivered({1000, 1000});
    const std::set<size_t> sizes = server.sizes_seen();
    EXPECT_GT(sizes.size(), 20u) << "sizes drawn, not one";
    EXPECT_GE(*sizes.begin(), 23u);
    EXPECT_LE(*sizes.rbegin(), 600u);
  }
}

TEST(AvroLoad, FailedIsRetriedAfterABackoffUntilOk) {
  CheckingAvroServer server(false, 200, [](uint64_t n) {
    return Answer{.status = n % 4 == 1 || n % 4 == 2 ? FlumeStatus::failed : FlumeStatus::ok};
  });
  Outcome o = run({server.target(), "--count", "1000", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(field(o, "events_acked"), 1000);
  EXPECT_EQ(field(o, "requests_sent"), 10);
  EXPECT_GE(field(o, "retries"), 8);
  EXPECT_GE(o.json.at("elapsed_s").as_double(), 0.01 * 4);  // backoffs of 10 ms and more
  server.expect_delivered({1000});
}

TEST(AvroLoad, UnknownAndErrorAnswersAreCountedAndReported) {
  CheckingAvroServer server(false, 200, [](uint64_t n) {
    if (n == 1) return Answer{.status = FlumeStatus::unknown};
    if (n == 3) return Answer{.error = "org.apache.flume.ChannelException: Unable to put batch on required channel"};
    return Answer{};
  });
  Outcome o = run({server.target(), "--count", "500", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_EQ(field(o, "events_acked"), 300);
  EXPECT_EQ(field(o, "requests_failed"), 2);
  EXPECT_EQ(field(o, "events_failed"), 200);
  ASSERT_EQ(o.json.at("errors").as_array().size(), 1u) << o.out;
  EXPECT_EQ(o.json.at("errors").as_array()[0].as_string(),
            "2 batches (200 events) answered with an error; the first: connection 0: appendBatch of events 100-199 "
            "answered UNKNOWN");
}

TEST(AvroLoad, AServerClosingDuringACallIsAnError) {
  CheckingAvroServer server(false, 200, [](uint64_t n) { return Answer{.drop = n == 2}; });
  Outcome o = run({server.target(), "--count", "1000", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_EQ(field(o, "events_acked"), 200);
  EXPECT_EQ(field(o, "events_abandoned"), 100);
  ASSERT_EQ(o.json.at("errors").as_array().size(), 1u) << o.out;
  EXPECT_EQ(o.json.at("errors").as_array()[0].as_string(),
            "connection 0: the server closed the connection while a call was in flight, after 200 acknowledged events");
}

TEST(AvroLoad, DurationBoundsARunAndAServerThatNeverAnswersCannotHoldItOpen) {
  {
    CheckingAvroServer server(true, 200);
    Outcome o = run({server.target(), "--duration", "0.3", "--connections", "2", "--compression", "deflate",
                     "--no-metrics", "--json", "--quiet"});
    ASSERT_EQ(o.status, 0) << o.out << o.err;
    EXPECT_EQ(o.json.at("stop_reason").as_string(), "duration");
    EXPECT_LT(o.json.at("elapsed_s").as_double(), 2.0);
    EXPECT_GT(field(o, "events_acked"), 0);
    EXPECT_EQ(field(o, "events_acked"), field(o, "events_sent"));
    auto accepted = server.accepted();
    EXPECT_EQ(accepted[0].size() + accepted[1].size(), static_cast<uint64_t>(field(o, "events_acked")));
  }
  CheckingAvroServer silent(false, 200, [](uint64_t n) { return Answer{.silent = n >= 1}; });
  Outcome o = run({silent.target(), "--duration", "0.3", "--connections", "1", "--no-metrics", "--json", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_LT(o.json.at("elapsed_s").as_double(), 4.0);
  EXPECT_EQ(field(o, "events_acked"), 100);
  EXPECT_EQ(field(o, "events_abandoned"), 100);
  ASSERT_EQ(o.json.at("warnings").as_array().size(), 1u) << o.out;
  EXPECT_NE(std::string(o.json.at("warnings").as_array()[0].as_string()).find("was not answered within 2 s"),
            std::string::npos);
}

TEST(AvroLoad, ConnectionFailuresAndBadUsage) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // bound, not listening
  socklen_t length = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  Outcome o = run({target, "--no-metrics"});
  ::close(fd);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err, "sluice-bench: cannot connect to " + target + ": Connection refused\n");
  EXPECT_EQ(o.out, "");

  o = run({"127.0.0.1:1", "--compression", "zstd"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("'zstd' is neither none nor deflate"), std::string::npos) << o.err;
  o = run({"--help"});
  EXPECT_EQ(o.status, 0);
  EXPECT_TRUE(o.out.starts_with("usage: sluice-bench avro")) << o.out;
}

}  // namespace
}  // namespace sluice::bench
