// Runs one source as a shard runs it: on a thread of its own with a real io_uring reactor and
// provided buffers, over one memory Log, so that a test can talk to it over loopback with plain
// blocking sockets and read back what it stored.
//
// Threads: construct, start(), make_durable(), stop(), read_some() and events() on the test's thread; the
// source, its reactor and the log's producer side live on the harness thread between start()
// and stop(). events() is for after stop().
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/net.h"
#include "base/time.h"
#include "ringbuf/doorbell.h"
#include "ringbuf/log.h"
#include "ringbuf/segment_store.h"
#include "server/reactor/buffer_ring.h"
#include "server/reactor/reactor.h"
#include "server/sources/shard_context.h"
#include "server/sources/source_probe.h"

namespace sluice::sources::testing {

// A stored event, copied out of the log.
struct StoredEvent {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view key) const {
    for (const auto& [k, v] : headers)
      if (k == key) return v;
    return {};
  }
};

class SourceHarness {
 public:
  // `durable_on_demand`: the log publishes (and lets sources acknowledge) only what
  // make_durable() marked, as a file channel in fsync mode does.
  explicit SourceHarness(bool durable_on_demand = false, uint64_t capacity_bytes = 4 << 20,
                         base::Transport transport = base::Transport::tcp)
      : durable_on_demand_(durable_on_demand) {
    ringbuf::LogOptions o;
    o.capacity_bytes = capacity_bytes;
    o.publish_mode = durable_on_demand ? ringbuf::PublishMode::on_durable : ringbuf::PublishMode::on_commit;
    log_ = std::make_unique<ringbuf::Log>(
        o, std::make_unique<ringbuf::MemorySegmentStore>(std::min<uint64_t>(1 << 20, capacity_bytes)), &bell_);
    auto fd = base::open_listener(transport, "127.0.0.1", 0);
    EXPECT_TRUE(fd.ok()) << (fd.ok() ? "" : fd.error().message);
    listen_fd_ = fd.value();
    sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SourceHarness() {
    stop();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  int listen_fd() const { return listen_fd_; }
  uint16_t port() const { return port_; }
  std::vector<ringbuf::Log*> logs() { return {log_.get()}; }
  SourceProbe& probe() { return probe_; }

  // Runs `source` (built on this thread with listen_fd() and logs()) until stop().
  void start(std::unique_ptr<ShardSource> source) {
    source_ = std::move(source);
    std::atomic<int> started{0};
    thread_ = std::thread([this, &started] { run(started); });
    while (started.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(started.load(), 1) << "the source did not start";
  }
  // What the log holds now becomes durable (durable_on_demand only).
  void make_durable() { durable_requests_.fetch_add(1); }
  // Stops the source as a shard does at shutdown and joins the thread.
  void stop() {
    if (!thread_.joinable()) return;
    stop_requested_.store(true);  // the loop looks at least every 20 ms
    thread_.join();
  }

  // Every event the log holds (after stop()).
  std::vector<StoredEvent> events() {
    std::vector<StoredEvent> out;
    for (auto more = read_some(); !more.empty(); more = read_some()) out.insert(out.end(), more.begin(), more.end());
    return out;
  }
  // The events published since the last read, committed so the log may reuse their space (any
  // time: the test's thread is the log's one reader).
  std::vector<StoredEvent> read_some() {
    std::vector<StoredEvent> out;
    std::vector<ringbuf::EventView> batch;
    ringbuf::LogReader& reader = log_->reader(0);
    if (reader.read(batch, 1000, 1 << 20) == 0) return out;
    for (const auto& e : batch) {
      StoredEvent s;
      e.for_each_header([&](std::string_view k, std::string_view v) { s.headers.emplace_back(k, v); });
      s.body = std::string(e.body());
      out.push_back(std::move(s));
    }
    reader.commit();
    return out;
  }
  // Reads (and commits) while the source runs until `seen` holds `count` events or 10 s passed.
  std::vector<StoredEvent> read_until(size_t count, std::vector<StoredEvent> seen = {}) {
    const int64_t deadline = base::monotonic_ms() + 10'000;
    while (seen.size() < count && base::monotonic_ms() < deadline) {
      auto more = read_some();
      seen.insert(seen.end(), more.begin(), more.end());
      if (more.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return seen;
  }

 private:
  void run(std::atomic<int>& started) {
    auto reactor = reactor::Reactor::create({});
    if (!reactor.ok()) {
      ADD_FAILURE() << reactor.error().message;
      started.store(2);
      return;
    }
    reactor_ = reactor.value().get();
    auto buffers = reactor::BufferRing::create(reactor_->ring(), 1, 64, 16 << 10);
    if (!buffers.ok()) {
      ADD_FAILURE() << buffers.error().message;
      started.store(2);
      return;
    }
    // Datagrams: room for a whole one, the recvmsg header and the sender's address.
    auto datagrams = reactor::BufferRing::create(reactor_->ring(), 2, 32, 66 << 10);
    if (!datagrams.ok()) {
      ADD_FAILURE() << datagrams.error().message;
      started.store(2);
      return;
    }
    ShardContext context;
    context.reactor = reactor_;
    context.stream_buffers = buffers.value().get();
    context.datagram_buffers = datagrams.value().get();
    context.now_ms = base::realtime_ms();
    if (Status s = source_->start(context); !s) {
      ADD_FAILURE() << s.message();
      started.store(2);
      return;
    }
    reactor_->submit();
    started.store(1);
    bool stopping = false;
    int durable_done = 0;
    const int64_t give_up_ms = base::monotonic_ms() + 120'000;  // bounded, whatever the test does
    while (base::monotonic_ms() < give_up_ms) {
      if (stop_requested_.load() && !stopping) {
        stopping = true;
        source_->stop();
      }
      if (stopping && source_->stopped()) break;
      reactor_->submit_and_wait(source_->waiting_for_space() ? 1'000'000 : 20'000'000);
      context.now_ms = base::realtime_ms();
      source_->begin_batch(context.now_ms);
      reactor_->dispatch();
      source_->after_batch();
      if (const int asked = durable_requests_.load(); durable_on_demand_ && asked != durable_done) {
        durable_done = asked;
        log_->set_durable(log_->write_position(), log_->next_sequence());
      }
      log_->publish();
    }
    source_->finish();
    // The source (its connections) goes before the reactor and buffers it uses.
    source_.reset();
    reactor_ = nullptr;
  }
  const bool durable_on_demand_;
  ringbuf::Doorbell bell_;
  std::unique_ptr<ringbuf::Log> log_;
  SourceProbe probe_{"r1", "test", 0};
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<ShardSource> source_;
  reactor::Reactor* reactor_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int> durable_requests_{0};
};

// A blocking loopback client with a receive timeout (so a test fails instead of hanging).
class Client {
 public:
  explicit Client(uint16_t port, int timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until `done(received)` or the peer closes or the timeout passes.
  std::string receive_until(const std::function<bool(const std::string&)>& done) {
    std::string got;
    char buf[4096];
    while (!done(got)) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  // True when the peer closed the connection (recv returns 0) within the timeout.
  bool closed_by_peer() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }
  void shut_write() { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace sluice::sources::testing
