// The Avro sink against an in-process next tier built from sluice's own server-side codec
// (its wire compatibility with python3-avro and Java is tested in tests/protocols/avro and end to
// end in tests/e2e/test_avro.py). What is tested here is the sink's behaviour: OK commits,
// anything else retries, timeouts, reconnects, deflate, and interrupt().
#include "sinks/avro/avro_sink.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "base/time.h"
#include "protocols/avro/ipc_server_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"
#include "tests/support/event_builder.h"

namespace sluice::sinks::avro {
namespace {

// A next tier on a loopback port, one connection at a time, on its own thread.
class FakeNextTier {
 public:
  enum class Answer { ok, failed, silent, hang_up };

  explicit FakeNextTier(bool deflate = false) : deflate_(deflate) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeNextTier() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  void answer(Answer a) { answer_ = a; }
  int connections() const { return connections_; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> headers_seen() {
    std::lock_guard lock(mutex_);
    return headers_;
  }

 private:
  bool wait_readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void serve() {
    while (wait_readable(listen_fd_)) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      serve_connection(fd);
      ::close(fd);
    }
  }

  void serve_connection(int fd) {
    sluice::avro::ProtocolRegistry registry;
    sluice::avro::ServerSession session(registry);
    sluice::avro::FrameDecoder decoder;
    sluice::avro::Inflater inflater;
    sluice::avro::Deflater deflater;
    std::string stream;
    char chunk[65536];
    while (wait_readable(fd)) {
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      if (deflate_) {
        std::string_view in(chunk, static_cast<size_t>(n));
        while (!in.empty()) {
          char out[65536];
          auto r = inflater.inflate(in, out);
          if (r.status == sluice::avro::Inflater::Status::error) return;
          stream.append(out, r.produced);
          in.remove_prefix(r.consumed);
          if (r.consumed == 0 && r.produced == 0) break;
        }
      } else {
        stream.append(chunk, static_cast<size_t>(n));
      }
      std::string_view rest = stream;
      for (;;) {
        auto r = decoder.decode(rest);
        rest.remove_prefix(r.consumed);
        if (r.status != sluice::avro::FrameDecoder::Status::frame) break;
        if (!serve_call(fd, session, decoder.frame(), deflater)) return;
      }
      stream.erase(0, stream.size() - rest.size());
    }
  }

  bool serve_call(int fd, sluice::avro::ServerSession& session, const sluice::avro::Frame& frame,
                  sluice::avro::Deflater& deflater) {
    const auto& call = session.on_request(frame.payload);
    std::string_view payload;
    if (call.kind == sluice::avro::ServerSession::Call::Kind::reply) {
      payload = session.reply();
    } else {
      Answer a = answer_;
      if (a == Answer::silent) return true;
      if (a == Answer::hang_up) return false;
      if (a == Answer::ok) {
        std::lock_guard lock(mutex_);
        for (const auto& e : call.events) {
          bodies_.emplace_back(e.body);
          for (const auto& h : e.headers) headers_.push_back(std::string(h.key) + "=" + std::string(h.value));
        }
      }
      payload = session.respond(a == Answer::ok ? sluice::avro::FlumeStatus::ok : sluice::avro::FlumeStatus::failed);
    }
    std::string framed, wire;
    sluice::avro::encode_frame(frame.serial, payload, framed);
    if (deflate_) deflater.deflate(framed, wire);
    const std::string& out = deflate_ ? wire : framed;
    return send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
  }

  const bool deflate_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<Answer> answer_{Answer::ok};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::string> bodies_, headers_;
};

AvroSinkOptions options_for(uint16_t port) {
  AvroSinkOptions o;
  o.name = "k1";
  o.host = "127.0.0.1";
  o.port = port;
  o.connect_timeout_ms = 2000;
  o.request_timeout_ms = 2000;
  return o;
}

std::vector<ringbuf::EventView> events(testing::EventBuffer& buffer, int first, int count) {
  std::vector<ringbuf::EventView> out;
  for (int i = first; i < first + count; ++i)
    out.push_back(buffer.add({{"seq", std::to_string(i)}, {"host", "h1"}}, "event " + std::to_string(i)));
  return out;
}

TEST(AvroSink, DeliversBatchesWithHeadersOnOneConnection) {
  FakeNextTier tier;
  AvroSink sink(options_for(tier.port()));
  testing::EventBuffer buffer;
  auto first = events(buffer, 0, 3), second = events(buffer, 3, 2);
  second.push_back(buffer.add({{"timestamp", "1700000000123"}}, "event 5", 1700000000123));
  EXPECT_EQ(sink.deliver(first).status, DeliveryStatus::ok);
  EXPECT_EQ(sink.deliver(second).status, DeliveryStatus::ok);
  EXPECT_EQ(tier.bodies(),
            (std::vector<std::string>{"event 0", "event 1", "event 2", "event 3", "event 4", "event 5"}));
  auto headers = tier.headers_seen();
  EXPECT_NE(std::find(headers.begin(), headers.end(), "seq=4"), headers.end());
  EXPECT_NE(std::find(headers.begin(), headers.end(), "host=h1"), headers.end());
  // The event's own timestamp header travels; none is invented for events that had none.
  EXPECT_EQ(std::count(headers.begin(), headers.end(), "timestamp=1700000000123"), 1);
  EXPECT_EQ(headers.size(), 5u * 2 + 1);
  EXPECT_EQ(tier.connections(), 1);
}

TEST(AvroSink, FailedIsRetriedOnTheSameConnection) {
  FakeNextTier tier;
  tier.answer(FakeNextTier::Answer::failed);
  AvroSink sink(options_for(tier.port()));
  testing::EventBuffer buffer;
  auto batch = events(buffer, 0, 2);
  Delivery d = sink.deliver(batch);
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_EQ(d.error, "the next tier answered FAILED");
  tier.answer(FakeNextTier::Answer::ok);
  EXPECT_EQ(sink.deliver(batch).status, DeliveryStatus::ok);
  EXPECT_EQ(tier.bodies().size(), 2u);
  EXPECT_EQ(tier.connections(), 1);
}

TEST(AvroSink, NoAnswerTimesOutAndReconnects) {
  FakeNextTier tier;
  tier.answer(FakeNextTier::Answer::silent);
  AvroSinkOptions o = options_for(tier.port());
  o.request_timeout_ms = 200;
  AvroSink sink(o);
  testing::EventBuffer buffer;
  auto batch = events(buffer, 0, 1);
  Delivery d = sink.deliver(batch);
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_EQ(d.error, "no answer within 200 ms (request-timeout)");
  tier.answer(FakeNextTier::Answer::ok);
  EXPECT_EQ(sink.deliver(batch).status, DeliveryStatus::ok);
  EXPECT_EQ(tier.connections(), 2);
}

TEST(AvroSink, AHangUpIsARetry) {
  FakeNextTier tier;
  tier.answer(FakeNextTier::Answer::hang_up);
  AvroSink sink(options_for(tier.port()));
  testing::EventBuffer buffer;
  auto batch = events(buffer, 0, 1);
  Delivery d = sink.deliver(batch);
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_EQ(d.error, "the next tier closed the connection");
  tier.answer(FakeNextTier::Answer::ok);
  EXPECT_EQ(sink.deliver(batch).status, DeliveryStatus::ok);
}

TEST(AvroSink, NobodyListeningIsARetryNamingTheAddress) {
  uint16_t port;
  {
    FakeNextTier gone;
    port = gone.port();
  }
  AvroSink sink(options_for(port));
  testing::EventBuffer buffer;
  auto batch = events(buffer, 0, 1);
  Delivery d = sink.deliver(batch);
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_EQ(d.error, "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(AvroSink, DeflateBothWays) {
  FakeNextTier tier(/*deflate=*/true);
  AvroSinkOptions o = options_for(tier.port());
  o.deflate = true;
  AvroSink sink(o);
  testing::EventBuffer buffer;
  for (int round = 0; round < 3; ++round) {
    auto batch = events(buffer, round * 100, 100);
    ASSERT_EQ(sink.deliver(batch).status, DeliveryStatus::ok);
  }
  auto bodies = tier.bodies();
  ASSERT_EQ(bodies.size(), 300u);
  EXPECT_EQ(bodies[299], "event 299");
}

TEST(AvroSink, ResetConnectionIntervalReconnects) {
  FakeNextTier tier;
  AvroSinkOptions o = options_for(tier.port());
  o.reset_connection_interval_ms = 50;
  AvroSink sink(o);
  testing::EventBuffer buffer;
  auto batch = events(buffer, 0, 1);
  ASSERT_EQ(sink.deliver(batch).status, DeliveryStatus::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  ASSERT_EQ(sink.deliver(batch).status, DeliveryStatus::ok);
  EXPECT_EQ(tier.connections(), 2);
}

TEST(AvroSink, InterruptEndsABlockedDeliveryAtOnce) {
  FakeNextTier tier;
  tier.answer(FakeNextTier::Answer::silent);
  AvroSinkOptions o = options_for(tier.port());
  o.request_timeout_ms = 60'000;
  AvroSink sink(o);
  testing::EventBuffer buffer;
  auto batch = events(buffer, 0, 1);
  std::thread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sink.interrupt();
  });
  const int64_t start = base::monotonic_ms();
  Delivery d = sink.deliver(batch);
  interrupter.join();
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_EQ(d.error, "interrupted (shutting down)");
  EXPECT_LT(base::monotonic_ms() - start, 30'000);  // not the 60 s request-timeout
}

}  // namespace
}  // namespace sluice::sinks::avro
