#include "bench/cli/avro_load.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/time.h"
#include "bench/cli/avro_options.h"
#include "bench/cli/server_side.h"
#include "bench/cli/size_distribution.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"

namespace sluice::bench {
namespace {

constexpr int kPollMs = 50;  // how often a waiting connection looks at the stop flag
constexpr int64_t kWaitNsMax = 50'000'000;
constexpr int64_t kBackoffNsMin = 10'000'000;
constexpr int64_t kBackoffNsMax = 1'000'000'000;
constexpr size_t kReceiveBytes = 64 * 1024;
constexpr size_t kFailureTextBytesMax = 300;

using avro::ClientSession;
using avro::FlumeStatus;

std::string printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '.';
  if (text.size() > max) out += "...";
  return out;
}

class AvroConnection final : public RequestConnection {
 public:
  AvroConnection(const AvroConnectionOptions& o, UniqueFd fd, AvroBatchRequest request,
                 std::optional<AvroBatchRequest> last)
      : options_(o),
        fd_(std::move(fd)),
        plan_(o.quota, o.batch.events),
        request_(std::move(request)),
        last_(std::move(last)),
        rx_(kReceiveBytes) {}

  void run(const std::atomic<bool>& stop, ConnectionProgress& progress) override {
    stop_ = &stop;
    RequestPacer pacer(options_.rate_milli, options_.batch.events, base::monotonic_ns());
    while (error_.empty() && !stopped() && !plan_.done()) {
      const uint32_t n = plan_.next_size();
      const int64_t now = base::monotonic_ns();
      if (int64_t wait = pacer.wait_ns(n, now); wait > 0) {
        sleep_ns(std::min(wait, kWaitNsMax));
        continue;
      }
      pacer.take(n, now);
      const uint64_t first = plan_.take();
      if (n < plan_.batch()) {
        SLUICE_ASSERT(last_ && last_->first_seq() == first && last_->size() == n, "the short last batch");
        std::swap(request_, *last_);
        last_.reset();
      } else {
        bool moved = request_.move_to(first);
        SLUICE_ASSERT(moved, "batches move forward within the sequence range");
      }
      // The events' send time, from which sluice ages them at sink delivery (kept by retries).
      request_.stamp(base::realtime_ms_rounded());
      call(progress);
      publish(progress);
    }
    if (plan_.exhausted())
      warnings_.push_back(fmt::format("connection {}: stopped after {} events: the {}-digit sequence numbers ran out",
                                      options_.index, group_thousands(stats_.events_sent), kSeqDigits));
    publish(progress);
    fd_.reset();  // the server sees the end now, not when every connection is done
  }

 private:
  enum class Wait : uint8_t { done, stopped, failed };

  // True once the run is asked to stop; starts the drain clock the first time.
  bool stopped() {
    if (drain_deadline_ns_ == 0 && stop_->load(std::memory_order_relaxed))
      drain_deadline_ns_ = base::monotonic_ns() + kDrainNsMax;
    return drain_deadline_ns_ != 0;
  }
  bool drain_over() { return stopped() && base::monotonic_ns() >= drain_deadline_ns_; }

  void fail(std::string text) {
    if (error_.empty()) error_ = fmt::format("connection {}: {}", options_.index, std::move(text));
  }

  std::string events_text() const {
    return fmt::format("events {}-{}", request_.first_seq(), request_.first_seq() + request_.size() - 1);
  }

  // One batch: sent (again after FAILED, or with the protocol text after a handshake NONE)
  // until it has a final answer, the stop, or an error.
  void call(ConnectionProgress& progress) {
    bool sent_once = false;
    uint32_t retries = 0;
    auto abandon = [&] {
      if (!sent_once) return;
      ++stats_.requests_abandoned;
      stats_.events_abandoned += request_.size();
    };
    while (true) {
      serial_ = serial_ == INT32_MAX ? 1 : serial_ + 1;
      std::string_view bytes = session_.established() ? request_.frame(serial_) : handshake_frame(serial_);
      if (!error_.empty()) return abandon();
      const int64_t sent_ns = base::monotonic_ns();
      if (send_all(bytes) != Wait::done) return abandon();
      if (!sent_once) {
        sent_once = true;
        ++stats_.requests_sent;
        stats_.events_sent += request_.size();
      }
      publish(progress);
      if (await_answer() != Wait::done) return abandon();
      const int64_t answered_ns = base::monotonic_ns();
      const ClientSession::Response answer = session_.decode_response(decoder_.frame().payload);
      const std::string error_text = printable(answer.error, kFailureTextBytesMax);
      consume_frame();
      switch (answer.kind) {
        case ClientSession::Response::Kind::resend:
          continue;  // the server did not know our protocol: the session now sends its text
        case ClientSession::Response::Kind::error:
          if (answer.malformed) {
            fail(fmt::format("unusable answer from the server: {}", error_text));
            return abandon();
          }
          return failed(fmt::format("an error: {}", error_text));
        case ClientSession::Response::Kind::status: break;
      }
      if (answer.status == FlumeStatus::ok) {
        ++stats_.requests_acked;
        stats_.events_acked += request_.size();
        stats_.latency.record(answered_ns - sent_ns);
        return;
      }
      if (answer.status != FlumeStatus::failed) return failed(std::string(avro::flume_status_name(answer.status)));
      if (retries == options_.retries_max) {
        fail(fmt::format("gave up on {} after {} answers of FAILED", events_text(), retries + 1));
        return abandon();
      }
      ++retries;
      ++stats_.retries;
      const int64_t backoff = std::min(kBackoffNsMax, kBackoffNsMin << std::min<uint32_t>(retries - 1, 10));
      for (int64_t until = base::monotonic_ns() + backoff; base::monotonic_ns() < until;) {
        if (stopped()) return abandon();
        sleep_ns(std::min(kWaitNsMax, until - base::monotonic_ns()));
      }
    }
  }

  void failed(std::string what) {
    ++stats_.requests_failed;
    stats_.events_failed += request_.size();
    if (stats_.first_failure.empty())
      stats_.first_failure =
          fmt::format("connection {}: appendBatch of {} answered {}", options_.index, events_text(), what);
  }

  // The call with its handshake, as the session encodes it (the first call of a connection).
  std::string_view handshake_frame(int32_t serial) {
    payload_.clear();
    session_.encode_append_batch(request_.events(), payload_);
    framed_.clear();
    avro::encode_frame(serial, payload_, framed_);
    if (!request_.deflate()) return framed_;
    wire_.clear();
    if (!stream_started_) wire_ += kZlibStreamHeader;
    if (Status deflated = deflate_frame(framed_, options_.batch.level, wire_); !deflated) fail(deflated.message());
    return wire_;
  }

  Wait send_all(std::string_view bytes) {
    size_t offset = 0;
    while (offset < bytes.size()) {
      ssize_t n = ::send(fd_.get(), bytes.data() + offset, bytes.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        offset += static_cast<size_t>(n);
        stats_.bytes_sent += static_cast<uint64_t>(n);
        stream_started_ = true;
        continue;
      }
      int error = errno;
      if (error == EINTR) continue;
      if (error != EAGAIN && error != EWOULDBLOCK) {
        fail_io("send", error);
        return Wait::failed;
      }
      if (drain_over()) {
        warnings_.push_back(
            fmt::format("connection {}: the last call was cut short: the server did not read it "
                        "within {} s of the stop",
                        options_.index, kDrainNsMax / 1'000'000'000));
        return Wait::stopped;
      }
      pollfd p{fd_.get(), POLLOUT, 0};
      ::poll(&p, 1, kPollMs);
    }
    return Wait::done;
  }

  void fail_io(std::string_view call, int error) {
    if (error == EPIPE || error == ECONNRESET)
      fail(fmt::format("the server closed the connection after {} acknowledged events ({})",
                       group_thousands(stats_.events_acked), errno_text(error)));
    else
      fail(fmt::format("{} failed after {} acknowledged events: {}", call, group_thousands(stats_.events_acked),
                       errno_text(error)));
  }

  // Waits until decoder_ holds the answer to serial_.
  Wait await_answer() {
    while (true) {
      if (pending_offset_ < pending_.size()) {
        const auto r = decoder_.decode(std::string_view(pending_).substr(pending_offset_));
        if (r.status == avro::FrameDecoder::Status::error) {
          fail(fmt::format("unusable answer from the server: {}", r.error));
          return Wait::failed;
        }
        frame_consumed_ = r.consumed;
        if (r.status == avro::FrameDecoder::Status::frame) {
          if (decoder_.frame().serial != serial_) {
            fail(fmt::format("an answer to call {} came while waiting for call {}", decoder_.frame().serial, serial_));
            return Wait::failed;
          }
          return Wait::done;
        }
        pending_.clear();  // all of it is in the decoder
        pending_offset_ = 0;
      }
      if (drain_over()) {
        warnings_.push_back(fmt::format("connection {}: the call sent before the stop was not answered within {} s",
                                        options_.index, kDrainNsMax / 1'000'000'000));
        return Wait::stopped;
      }
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, kPollMs) <= 0) continue;
      ssize_t n = ::recv(fd_.get(), rx_.data(), rx_.size(), MSG_DONTWAIT);
      if (n < 0) {
        int error = errno;
        if (error == EINTR || error == EAGAIN || error == EWOULDBLOCK) continue;
        fail_io("recv", error);
        return Wait::failed;
      }
      if (n == 0) {
        fail(fmt::format("the server closed the connection while a call was in flight, after {} acknowledged events",
                         group_thousands(stats_.events_acked)));
        return Wait::failed;
      }
      if (!receive(std::string_view(rx_.data(), static_cast<size_t>(n)))) return Wait::failed;
    }
  }

  // Appends received bytes to pending_, inflated with deflate.
  bool receive(std::string_view in) {
    if (pending_offset_ == pending_.size()) {
      pending_.clear();
      pending_offset_ = 0;
    }
    if (!request_.deflate()) {
      pending_.append(in);
      return true;
    }
    char out[16 * 1024];
    while (true) {
      const auto r = inflater_.inflate(in, out);
      if (r.status == avro::Inflater::Status::error) {
        fail(fmt::format("the server's deflate stream is corrupt: {}", r.error));
        return false;
      }
      pending_.append(out, r.produced);
      in.remove_prefix(r.consumed);
      if (r.status == avro::Inflater::Status::finished) return true;
      if (in.empty() && r.produced < sizeof out) return true;
      if (r.consumed == 0 && r.produced == 0) return true;
    }
  }

  void consume_frame() { pending_offset_ += frame_consumed_; }

  const AvroConnectionOptions options_;
  UniqueFd fd_;
  BatchPlan plan_;
  AvroBatchRequest request_;
  std::optional<AvroBatchRequest> last_;  // the short last batch of a --count, if any
  ClientSession session_;
  avro::FrameDecoder decoder_;
  avro::Inflater inflater_;
  const std::atomic<bool>* stop_ = nullptr;
  int64_t drain_deadline_ns_ = 0;
  int32_t serial_ = 0;
  bool stream_started_ = false;
  std::vector<char> rx_;
  std::string pending_;  // received (and inflated) bytes not yet given to the decoder
  size_t pending_offset_ = 0;
  size_t frame_consumed_ = 0;
  std::string payload_;  // handshake calls
  std::string framed_;
  std::string wire_;
};

}  // namespace

Result<std::unique_ptr<RequestConnection>> make_avro_connection(const AvroConnectionOptions& o, UniqueFd fd) {
  BatchPlan plan(o.quota, o.batch.events);
  AvroBatchOptions b = o.batch;
  b.conn = o.index;
  b.first_seq = 0;
  // With --size-dist, each connection takes its own run of the size table.
  b.size_index = static_cast<size_t>(o.index) * 2 * o.batch.events;
  auto request = AvroBatchRequest::build(b);
  if (!request) return request.error();
  std::optional<AvroBatchRequest> last;
  if (plan.last_size()) {
    b.events = plan.last_size();
    b.first_seq = plan.last_first();
    b.size_index += o.batch.events;
    auto built = AvroBatchRequest::build(b);
    if (!built) return built.error();
    last.emplace(std::move(built.value()));
  }
  return std::unique_ptr<RequestConnection>(
      std::make_unique<AvroConnection>(o, std::move(fd), std::move(request.value()), std::move(last)));
}

int run_avro(std::span<const std::string_view> args) {
  auto command = parse_avro_options(args);
  if (!command) {
    fmt::print(stderr, "sluice-bench avro: {}\nTry 'sluice-bench avro --help'.\n", command.error().message);
    return 2;
  }
  if (command->help) {
    fmt::print("{}", avro_usage());
    return 0;
  }
  const AvroOptions& o = command->options;

  AvroBatchOptions batch;
  batch.body_bytes = o.request.body_bytes;
  // The same sizes for every connection and every run: drawn once, before any request is built.
  const std::vector<size_t> sizes = o.request.body_sizes();
  batch.body_sizes = sizes;
  batch.events = o.request.batch;
  batch.deflate = o.deflate;

  RequestLoadPlan plan;
  plan.subcommand = "avro";
  plan.load = o.load;
  plan.host = o.target.host;
  plan.port = o.target.port;
  plan.shown = o.target.text();
  plan.batch = o.request.batch;
  // An event is its body plus about 65 bytes of headers and lengths; a frame adds 32.
  plan.request_bytes = (*std::max_element(sizes.begin(), sizes.end()) + 72) * o.request.batch + 64;
  plan.requests_per_connection = 2;
  plan.summary.subcommand = "avro";
  plan.summary.transport = "tcp";
  plan.summary.framing = "netty";
  plan.summary.target = plan.shown;
  plan.summary.size = mean_size(sizes);
  if (o.request.size_dist) plan.summary.size_dist = o.request.size_dist->text();
  RequestSummary r;
  r.unit = "batches";
  r.batch = o.request.batch;
  r.pipeline = 1;
  r.compression = o.deflate ? "deflate" : "none";
  plan.summary.requests = r;
  plan.make_connection = [&](RequestLoadPlan::Connection c) {
    AvroConnectionOptions options{.index = c.index,
                                  .batch = batch,
                                  .retries_max = o.request.retries,
                                  .quota = c.quota,
                                  .rate_milli = c.rate_milli};
    return make_avro_connection(options, std::move(c.fd));
  };
  return run_request_load(std::move(plan));
}

}  // namespace sluice::bench
