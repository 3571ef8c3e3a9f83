#include "bench/cli/syslog_load.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "base/time.h"
#include "bench/cli/load_driver.h"
#include "bench/cli/net.h"
#include "bench/cli/rate_limiter.h"
#include "bench/cli/report.h"
#include "bench/cli/server_side.h"
#include "bench/cli/size_distribution.h"
#include "bench/cli/syslog_message.h"
#include "bench/cli/syslog_options.h"

namespace sluice::bench {
namespace {

// Send buffers: 1 MiB per connection keeps each pass long (thousands of messages per patch),
// and 64 MiB across all connections bounds memory at 256 connections (256 KiB each).
constexpr size_t kBufferBytesPerConnectionMax = 1u << 20;
constexpr size_t kBufferBytesPerConnectionMin = 256u << 10;
constexpr size_t kBufferBytesTotalMax = 64u << 20;
// sendmmsg() takes at most UIO_MAXIOV (1024) messages per call.
constexpr unsigned kUdpBatchMax = 1024;
constexpr int kPollMs = 50;
// After the stop, how long a TCP connection may take to finish the message it is in the middle of.
constexpr int64_t kFinishMessageNsMax = 1'000'000'000;
constexpr int64_t kRateSleepNsMax = 50'000'000;
constexpr int64_t kConnectTimeoutMs = 5'000;
// Messages are stamped with the time just before they are handed to the kernel, at most this
// many bytes at a time, so that a stamp is never older than the send of this much.
constexpr size_t kStampedBytesMax = 256u << 10;

void wait_writable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  ::poll(&p, 1, kPollMs);
}

// What both transports share: quota, rate limit and the pass over the buffer.
class SyslogConnection : public LoadConnection {
 public:
  SyslogConnection(uint32_t index, UniqueFd fd, MessageBuffer buffer, uint64_t quota, uint64_t rate_milli)
      : index_(index), fd_(std::move(fd)), buffer_(std::move(buffer)), quota_(quota), rate_milli_(rate_milli) {}

  void run(const std::atomic<bool>& stop, ConnectionProgress& progress) final {
    std::optional<TokenBucket> bucket;
    if (rate_milli_) bucket.emplace(rate_milli_, TokenBucket::burst_for(rate_milli_), base::monotonic_ns());
    const uint64_t wake = TokenBucket::wake_events(rate_milli_);
    size_t next_slot = 0;
    while (sent_ < quota_ && error_.empty() && !stop.load(std::memory_order_relaxed)) {
      if (next_slot == buffer_.slots()) {
        if (!buffer_.advance()) {
          warning_ = fmt::format("connection {}: stopped after {} events: the {}-digit sequence numbers ran out",
                                 index_, group_thousands(sent_), kSeqDigits);
          break;
        }
        next_slot = 0;
      }
      uint64_t want = std::min<uint64_t>(buffer_.slots() - next_slot, quota_ - sent_);
      if (bucket) {
        // Wait for a small burst rather than sending one event per wake-up.
        int64_t wait_ns = bucket->ns_until(std::min(want, wake), base::monotonic_ns());
        if (wait_ns > 0) {
          sleep_ns(std::min(wait_ns, kRateSleepNsMax));
          continue;
        }
        want = bucket->take(want, base::monotonic_ns());
      }
      want = std::min<uint64_t>(want, std::max<size_t>(1, buffer_.whole_slots(next_slot, kStampedBytesMax)));
      stamp_send_time(next_slot, want);
      uint64_t done = send_slots(next_slot, want, stop, progress);
      const uint64_t done_bytes = buffer_.range_bytes(next_slot, done);
      next_slot += done;
      publish(progress, sent_ + done, bytes_ + done_bytes);
      sent_ += done;
      bytes_ += done_bytes;
    }
  }

  std::string error() const final { return error_; }
  std::vector<std::string> warnings() const override {
    std::vector<std::string> out;
    if (!warning_.empty()) out.push_back(warning_);
    return out;
  }

 protected:
  // Sends slots [first, first + count) and returns how many went out whole. May publish
  // progress on the way (sent_ + whole slots so far). Sets error_ to end the run.
  virtual uint64_t send_slots(size_t first, uint64_t count, const std::atomic<bool>& stop,
                              ConnectionProgress& progress) = 0;

  // The server measures each event's age at sink delivery from its timestamp: stamp the time of
  // sending, rounded to the nearest millisecond (the timestamp's resolution), so that the age
  // is off by at most half a millisecond either way.
  void stamp_send_time(size_t first, uint64_t count) {
    const int64_t now_ms = base::realtime_ms_rounded();
    if (now_ms != stamped_ms_) {
      stamped_ms_ = now_ms;
      stamp_text_ = format_rfc5424_timestamp(now_ms);
    }
    buffer_.stamp(first, count, stamp_text_);
  }

  void publish(ConnectionProgress& progress, uint64_t events, uint64_t bytes) {
    progress.events.store(events, std::memory_order_relaxed);
    progress.bytes.store(bytes, std::memory_order_relaxed);
  }

  void fail(int error, uint64_t sent_now) {
    if (error == EPIPE || error == ECONNRESET)
      error_ = fmt::format("connection {}: the server closed the connection after {} events ({})", index_,
                           group_thousands(sent_now), errno_text(error));
    else
      error_ = fmt::format("connection {}: send failed after {} events: {}", index_, group_thousands(sent_now),
                           errno_text(error));
  }

  const uint32_t index_;
  const UniqueFd fd_;
  MessageBuffer buffer_;
  const uint64_t quota_;
  const uint64_t rate_milli_;
  uint64_t sent_ = 0;
  uint64_t bytes_ = 0;  // of the sent_ events, framing included
  std::string error_;
  std::string warning_;
  int64_t stamped_ms_ = -1;
  std::string stamp_text_;
};

class TcpSyslogConnection final : public SyslogConnection {
 public:
  using SyslogConnection::SyslogConnection;

 private:
  uint64_t send_slots(size_t first, uint64_t count, const std::atomic<bool>& stop,
                      ConnectionProgress& progress) override {
    const std::span<const char> range = buffer_.slot_range(first, count);
    size_t end = range.size();
    size_t offset = 0;
    int64_t finish_deadline_ns = 0;
    while (offset < end) {
      ssize_t n = ::send(fd_.get(), range.data() + offset, end - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        offset += static_cast<size_t>(n);
        publish(progress, sent_ + buffer_.whole_slots(first, offset), bytes_ + offset);
        continue;
      }
      int error = errno;
      if (error == EINTR) continue;
      if (error != EAGAIN && error != EWOULDBLOCK) {
        fail(error, sent_ + buffer_.whole_slots(first, offset));
        break;
      }
      if (stop.load(std::memory_order_relaxed)) {
        // The server is not reading and the run is over: finish the message in flight (a
        // verifier would see a torn one otherwise), and give up on that after a while.
        end = buffer_.bytes_to_slot_end(first, offset);
        if (offset == end) break;
        int64_t now = base::monotonic_ns();
        if (finish_deadline_ns == 0) {
          finish_deadline_ns = now + kFinishMessageNsMax;
        } else if (now >= finish_deadline_ns) {
          warning_ = fmt::format(
              "connection {}: the last message was cut short: the server did not read it "
              "within {} s of the stop",
              index_, kFinishMessageNsMax / 1'000'000'000);
          break;
        }
      }
      wait_writable(fd_.get());
    }
    return buffer_.whole_slots(first, offset);
  }
};

class UdpSyslogConnection final : public SyslogConnection {
 public:
  UdpSyslogConnection(uint32_t index, UniqueFd fd, MessageBuffer buffer, uint64_t quota, uint64_t rate_milli)
      : SyslogConnection(index, std::move(fd), std::move(buffer), quota, rate_milli),
        iovecs_(buffer_.slots()),
        headers_(buffer_.slots()) {
    // Built once: the messages never move, only their digits change.
    for (size_t i = 0; i < buffer_.slots(); ++i) {
      std::span<const char> slot = buffer_.slot_range(i, 1);
      iovecs_[i] = iovec{const_cast<char*>(slot.data()), slot.size()};
      headers_[i] = mmsghdr{};
      headers_[i].msg_hdr.msg_iov = &iovecs_[i];
      headers_[i].msg_hdr.msg_iovlen = 1;
    }
  }

  std::vector<std::string> warnings() const override {
    std::vector<std::string> out = SyslogConnection::warnings();
    if (refused_)
      out.push_back(
          fmt::format("connection {}: datagrams were refused {} times (ICMP port unreachable): is the "
                      "server listening on UDP?",
                      index_, group_thousands(refused_)));
    return out;
  }

 private:
  uint64_t send_slots(size_t first, uint64_t count, const std::atomic<bool>& stop,
                      ConnectionProgress& progress) override {
    uint64_t done = 0;
    // Every datagram is a whole message, so the stop is honoured between any two batches.
    while (done < count && !stop.load(std::memory_order_relaxed)) {
      unsigned batch = static_cast<unsigned>(std::min<uint64_t>(count - done, kUdpBatchMax));
      int n = ::sendmmsg(fd_.get(), &headers_[first + done], batch, 0);
      if (n > 0) {
        done += static_cast<uint64_t>(n);
        publish(progress, sent_ + done, bytes_ + buffer_.range_bytes(first, done));
        continue;
      }
      int error = errno;
      if (error == EINTR) continue;
      // Reported for datagrams of an earlier call; this call sent nothing, so simply go on.
      if (error == ECONNREFUSED) {
        ++refused_;
        if (stop.load(std::memory_order_relaxed)) break;
        continue;
      }
      if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
        if (stop.load(std::memory_order_relaxed)) break;
        if (error == ENOBUFS) sleep_ns(1'000'000);  // the device queue is full; poll would not wait
        else wait_writable(fd_.get());
        continue;
      }
      fail(error, sent_ + done);
      break;
    }
    return done;
  }

  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> headers_;
  uint64_t refused_ = 0;
};

}  // namespace

int run_syslog(std::span<const std::string_view> args) {
  auto command = parse_syslog_options(args);
  if (!command) {
    fmt::print(stderr, "sluice-bench syslog: {}\nTry 'sluice-bench syslog --help'.\n", command.error().message);
    return 2;
  }
  if (command->help) {
    fmt::print("{}", syslog_usage());
    return 0;
  }
  const SyslogOptions& o = command->options;
  install_signal_handlers();
  const int interrupts_before = interrupt_count();

  const std::string shown = o.target.text();
  const int socktype = o.transport == Transport::tcp ? SOCK_STREAM : SOCK_DGRAM;
  auto addresses = resolve(o.target.host, o.target.port, socktype, shown);
  if (!addresses) {
    print_error(addresses.error().message);
    return 1;
  }

  ServerBaseline baseline = read_server_baseline(o.load);

  // Every connection is up before any sends, so that a refused connection fails the run
  // cleanly and the start is common.
  std::vector<UniqueFd> fds;
  std::span<const SocketAddress> candidates = addresses.value();
  for (uint32_t i = 0; i < o.load.connections; ++i) {
    auto connected = connect_first(candidates, socktype, kConnectTimeoutMs, shown);
    if (!connected) {
      print_error(connected.error().message);
      return 1;
    }
    candidates = candidates.subspan(connected->address_index, 1);  // the rest use what answered
    if (o.transport == Transport::tcp) {
      int one = 1;
      setsockopt(connected->fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    fds.push_back(std::move(connected->fd));
    if (interrupt_count() != interrupts_before) return 130;
  }

  // The messages' timestamp until they are stamped with their send time.
  const std::string timestamp = format_rfc5424_timestamp(base::realtime_ms());
  const size_t buffer_bytes =
      std::clamp(kBufferBytesTotalMax / o.load.connections, kBufferBytesPerConnectionMin, kBufferBytesPerConnectionMax);
  // The same sizes for every connection and every run: drawn once, before any buffer is built.
  const std::vector<size_t> sizes =
      o.size_dist ? draw_sizes(*o.size_dist, kSizeTableLength) : std::vector<size_t>{o.message_bytes};
  std::vector<std::unique_ptr<LoadConnection>> connections;
  for (uint32_t i = 0; i < o.load.connections; ++i) {
    uint64_t quota = o.load.count ? count_share(o.load.count, o.load.connections, i) : UINT64_MAX;
    uint64_t rate_milli = o.load.rate_per_s ? connection_rate_milli(o.load.rate_per_s, o.load.connections, i) : 0;
    auto buffer = MessageBuffer::build({.timestamp = timestamp,
                                        .conn = i,
                                        .framing = o.framing,
                                        .buffer_bytes = buffer_bytes,
                                        .slots_max = quota,
                                        .message_sizes = sizes});
    if (!buffer) {
      print_error(buffer.error().message);
      return 1;
    }
    if (o.transport == Transport::tcp)
      connections.push_back(
          std::make_unique<TcpSyslogConnection>(i, std::move(fds[i]), std::move(buffer.value()), quota, rate_milli));
    else
      connections.push_back(
          std::make_unique<UdpSyslogConnection>(i, std::move(fds[i]), std::move(buffer.value()), quota, rate_milli));
  }

  DriveResult run = drive_load(connections, {.duration_s = o.load.duration_s, .quiet = o.load.quiet});
  connections.clear();  // closes the sockets: the server sees the end of every stream now

  RunSummary summary;
  summary.subcommand = "syslog";
  summary.transport = transport_name(o.transport);
  summary.target = shown;
  summary.framing = framing_name(o.framing);
  summary.connections = o.load.connections;
  summary.size = mean_size(sizes);
  if (o.size_dist) summary.size_dist = o.size_dist->text();
  summary.rate_target = o.load.rate_per_s;
  summary.duration_target_s = o.load.duration_s;
  summary.count_target = o.load.count;
  summary.events_sent = run.events;
  summary.bytes_sent = run.bytes;
  summary.elapsed_s = run.elapsed_s();
  summary.stop_reason = stop_reason_name(run.stop_reason, o.load.count && run.events == o.load.count);
  summary.errors = run.errors;
  summary.warnings = run.warnings;
  measure_server(o.load, baseline, run, run.events, "sent", summary);

  fmt::print("{}", o.load.json ? format_summary_json(summary) : format_summary_text(summary));
  std::fflush(stdout);
  if (!run.errors.empty()) return 1;
  if (run.stop_reason == StopReason::interrupted) return 130;
  return 0;
}

}  // namespace sluice::bench
