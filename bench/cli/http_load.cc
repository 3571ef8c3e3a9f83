#include "bench/cli/http_load.h"

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
#include "bench/cli/http_options.h"
#include "bench/cli/http_response.h"
#include "bench/cli/server_side.h"
#include "bench/cli/size_distribution.h"

namespace sluice::bench {
namespace {

constexpr int64_t kWaitNsMax = 50'000'000;  // how often a waiting connection looks at the stop flag
constexpr uint64_t kRetryAfterDefaultS = 1;
constexpr uint64_t kRetryAfterMaxS = 60;
constexpr size_t kReceiveBytes = 64 * 1024;
constexpr size_t kFailureBodyBytesMax = 300;
// Connections in a row that the server closed before any request was written on them: a server
// that closes every connection at once would otherwise be reconnected to in a tight loop.
constexpr uint32_t kUnusedConnectionsMax = 3;

// A queue of slot numbers with a fixed capacity (the pipeline depth): no allocation once built.
class SlotQueue {
 public:
  explicit SlotQueue(size_t capacity) : items_(capacity) {}
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  uint32_t front() const {
    SLUICE_ASSERT(size_ > 0, "front() of an empty queue");
    return items_[head_];
  }
  uint32_t at(size_t i) const { return items_[(head_ + i) % items_.size()]; }
  void push(uint32_t slot) {
    SLUICE_ASSERT(size_ < items_.size(), "slot queue overflow");
    items_[(head_ + size_) % items_.size()] = slot;
    ++size_;
  }
  uint32_t pop() {
    uint32_t slot = front();
    head_ = (head_ + 1) % items_.size();
    --size_;
    return slot;
  }
  void clear() { head_ = size_ = 0; }

 private:
  std::vector<uint32_t> items_;
  size_t head_ = 0;
  size_t size_ = 0;
};

std::string printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '.';
  if (text.size() > max) out += "...";
  return out;
}

class HttpConnection final : public RequestConnection {
 public:
  HttpConnection(const HttpConnectionOptions& o, UniqueFd fd, std::vector<HttpBatchRequest> requests,
                 std::optional<HttpBatchRequest> last)
      : options_(o),
        fd_(std::move(fd)),
        plan_(o.quota, o.batch.events),
        send_queue_(requests.size()),
        in_flight_(requests.size()),
        last_(std::move(last)) {
    slots_.reserve(requests.size());
    for (auto& r : requests) slots_.push_back(Slot{.request = std::move(r)});
  }

  void run(const std::atomic<bool>& stop, ConnectionProgress& progress) override {
    pacer_.emplace(options_.rate_milli, options_.batch.events, base::monotonic_ns());
    while (error_.empty()) {
      int64_t now = base::monotonic_ns();
      if (!stopping_ && stop.load(std::memory_order_relaxed)) begin_stop(now);
      next_timer_ns_ = now + kWaitNsMax;
      if (stopping_) {
        if (in_flight_.empty()) break;
        if (now >= drain_deadline_ns_) {
          warnings_.push_back(
              fmt::format("connection {}: {} request(s) sent before the stop were not answered "
                          "within {} s",
                          options_.index, in_flight_.size(), kDrainNsMax / 1'000'000'000));
          break;
        }
        next_timer_ns_ = std::min(next_timer_ns_, drain_deadline_ns_);
      } else {
        schedule(now);
        if (plan_.done() && idle()) break;
      }
      write_some();
      publish(progress);
      if (!error_.empty()) break;
      wait_and_read();
      publish(progress);
    }
    if (plan_.exhausted())
      warnings_.push_back(fmt::format("connection {}: stopped after {} events: the {}-digit sequence numbers ran out",
                                      options_.index, group_thousands(stats_.events_sent), kSeqDigits));
    // Whatever was sent and has no final answer is abandoned.
    for (const Slot& slot : slots_) {
      if (slot.state == State::free || !slot.sent_once) continue;
      ++stats_.requests_abandoned;
      stats_.events_abandoned += slot.request.events();
    }
    publish(progress);
    fd_.reset();  // the server sees the end now, not when every connection is done
  }

 private:
  enum class State : uint8_t {
    free,       // holds no batch (or an answered one)
    queued,     // waits in send_queue_ to be written, not started
    in_flight,  // written (at least partly), waiting for its answer
    waiting,    // answered 503: waits for retry_at_ns
  };
  struct Slot {
    HttpBatchRequest request;
    State state = State::free;
    bool sent_once = false;  // the first attempt was written whole (counted as sent)
    uint32_t retries = 0;    // 503 answers to this batch
    int64_t sent_ns = 0;     // when the latest attempt's first byte was written
    int64_t retry_at_ns = 0;
  };

  bool idle() const {
    return std::all_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == State::free; });
  }

  void fail(std::string text) {
    if (error_.empty()) error_ = fmt::format("connection {}: {}", options_.index, std::move(text));
  }

  void begin_stop(int64_t now) {
    stopping_ = true;
    drain_deadline_ns_ = now + kDrainNsMax;
    // Requests not started are not sent any more; one being written is finished.
    const bool front_started = !send_queue_.empty() && send_offset_ > 0;
    const uint32_t front = front_started ? send_queue_.front() : 0;
    while (!send_queue_.empty()) {
      uint32_t i = send_queue_.pop();
      if (!(front_started && i == front)) slots_[i].state = slots_[i].sent_once ? State::waiting : State::free;
    }
    if (front_started) send_queue_.push(front);
  }

  // Moves due retries and, unless a retry is still waiting, new batches into the send queue.
  void schedule(int64_t now) {
    bool held = false;
    for (uint32_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (slot.state != State::waiting) continue;
      if (slot.retry_at_ns <= now) {
        slot.state = State::queued;
        send_queue_.push(i);
      } else {
        held = true;
        next_timer_ns_ = std::min(next_timer_ns_, slot.retry_at_ns);
      }
    }
    if (held) return;  // the server asked for a pause: no new requests until the retries went out
    for (uint32_t i = 0; i < slots_.size() && !plan_.done(); ++i) {
      Slot& slot = slots_[i];
      if (slot.state != State::free) continue;
      const uint32_t n = plan_.next_size();
      const int64_t wait = pacer_->wait_ns(n, now);
      if (wait > 0) {
        next_timer_ns_ = std::min(next_timer_ns_, now + wait);
        return;
      }
      pacer_->take(n, now);
      const uint64_t first = plan_.take();
      if (n < plan_.batch()) {
        SLUICE_ASSERT(last_ && last_->first_seq() == first && last_->events() == n, "the short last batch");
        std::swap(slot.request, *last_);
        last_.reset();
      } else {
        bool moved = slot.request.move_to(first);
        SLUICE_ASSERT(moved, "batches move forward within the sequence range");
      }
      // The events' send time, from which sluice ages them at sink delivery. A retry keeps it:
      // its events were sent then.
      slot.request.stamp(base::realtime_ms_rounded());
      slot.state = State::queued;
      slot.sent_once = false;
      slot.retries = 0;
      send_queue_.push(i);
    }
  }

  // Writes queued requests until the socket is full or the queue empty.
  void write_some() {
    while (!send_queue_.empty() && error_.empty()) {
      const uint32_t i = send_queue_.front();
      Slot& slot = slots_[i];
      const std::string_view bytes = slot.request.bytes();
      const int64_t before_ns = base::monotonic_ns();
      ssize_t n =
          ::send(fd_.get(), bytes.data() + send_offset_, bytes.size() - send_offset_, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        int error = errno;
        if (error == EINTR) continue;
        if (error == EAGAIN || error == EWOULDBLOCK) {
          write_blocked_ = true;
          return;
        }
        // With requests pipelined, the server may have answered one with Connection: close
        // and closed while this one was being written: what it said decides, not the write.
        if ((error == EPIPE || error == ECONNRESET) && read_answers() == ReadEnd::closed) {
          reconnect();
          return;
        }
        if (error_.empty()) fail_io("send", error);
        return;
      }
      if (send_offset_ == 0) {
        slot.state = State::in_flight;
        slot.sent_ns = before_ns;
        in_flight_.push(i);
      }
      send_offset_ += static_cast<size_t>(n);
      stats_.bytes_sent += static_cast<uint64_t>(n);
      connection_used_ = true;
      if (send_offset_ < bytes.size()) continue;
      send_queue_.pop();
      send_offset_ = 0;
      if (!slot.sent_once) {
        slot.sent_once = true;
        ++stats_.requests_sent;
        stats_.events_sent += slot.request.events();
      }
    }
    write_blocked_ = false;
  }

  void fail_io(std::string_view call, int error) {
    if (error == EPIPE || error == ECONNRESET)
      fail(fmt::format("the server closed the connection after {} acknowledged events ({})",
                       group_thousands(stats_.events_acked), errno_text(error)));
    else
      fail(fmt::format("{} failed after {} acknowledged events: {}", call, group_thousands(stats_.events_acked),
                       errno_text(error)));
  }

  // Waits until the socket is readable (or writable, when a write is pending) or the next
  // timer, then reads and handles every answer that came.
  void wait_and_read() {
    const int64_t now = base::monotonic_ns();
    const int64_t wait_ns = std::max<int64_t>(0, next_timer_ns_ - now);
    pollfd p{fd_.get(), static_cast<short>(POLLIN | (write_blocked_ ? POLLOUT : 0)), 0};
    timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
    int ready = ::ppoll(&p, 1, &timeout, nullptr);
    if (ready <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) return;
    read_available();
  }

  void read_available() {
    switch (read_answers()) {
      case ReadEnd::drained: break;
      case ReadEnd::closed: reconnect(); break;
      case ReadEnd::end_of_stream: on_end_of_stream(); break;
      case ReadEnd::failed:
        if (error_.empty()) fail_io("recv", read_errno_);
        break;
    }
  }

  enum class ReadEnd : uint8_t {
    drained,        // nothing more to read for now
    closed,         // an answer said the server closes the connection after it
    end_of_stream,  // the server closed the connection
    failed,         // a receive error (read_errno_) or an unusable answer (error_ set)
  };

  // Reads and handles every answer received so far.
  ReadEnd read_answers() {
    while (error_.empty()) {
      std::span<char> room = reader_.prepare(kReceiveBytes);
      ssize_t n = ::recv(fd_.get(), room.data(), room.size(), MSG_DONTWAIT);
      const int64_t now = base::monotonic_ns();
      if (n < 0) {
        int error = errno;
        if (error == EINTR) continue;
        if (error == EAGAIN || error == EWOULDBLOCK) return ReadEnd::drained;
        read_errno_ = error;
        return ReadEnd::failed;
      }
      if (n == 0) return ReadEnd::end_of_stream;
      reader_.commit(static_cast<size_t>(n));
      while (error_.empty()) {
        auto status = reader_.next();
        if (status == HttpResponseReader::Status::need_more) break;
        if (status == HttpResponseReader::Status::error) {
          fail(fmt::format("unusable answer from the server: {}", reader_.error()));
          return ReadEnd::failed;
        }
        if (on_response(reader_.response(), now)) return ReadEnd::closed;
      }
      if (static_cast<size_t>(n) < room.size()) return ReadEnd::drained;
    }
    return ReadEnd::failed;
  }

  // Handles one answer; true when the server closes the connection after it.
  bool on_response(const HttpResponse& response, int64_t now) {
    if (in_flight_.empty()) {
      fail(fmt::format("an answer came with no request in flight: HTTP {} {}", response.status,
                       printable(response.reason, 80)));
      return false;
    }
    const uint32_t i = in_flight_.front();
    if (!send_queue_.empty() && send_queue_.front() == i) {
      fail(fmt::format("the server answered before the whole request was sent: HTTP {} {}: {}", response.status,
                       printable(response.reason, 80), printable(response.body, kFailureBodyBytesMax)));
      return false;
    }
    in_flight_.pop();
    Slot& slot = slots_[i];
    const uint32_t events = slot.request.events();
    if (response.status >= 200 && response.status < 300) {
      ++stats_.requests_acked;
      stats_.events_acked += events;
      stats_.latency.record(now - slot.sent_ns);
      slot.state = State::free;
    } else if (response.status == 503) {
      if (slot.retries == options_.retries_max) {
        fail(fmt::format("gave up on events {}-{} after {} answers of HTTP 503", slot.request.first_seq(),
                         slot.request.first_seq() + events - 1, slot.retries + 1));
        slot.state = State::waiting;  // sent and not accepted: abandoned
        return false;
      }
      ++slot.retries;
      ++stats_.retries;
      const uint64_t delay_s = std::min(response.retry_after_s.value_or(kRetryAfterDefaultS), kRetryAfterMaxS);
      slot.state = State::waiting;
      slot.retry_at_ns = now + static_cast<int64_t>(delay_s) * 1'000'000'000;
    } else {
      ++stats_.requests_failed;
      stats_.events_failed += events;
      if (stats_.first_failure.empty())
        stats_.first_failure =
            fmt::format("connection {}: HTTP {} {} for events {}-{}: {}", options_.index, response.status,
                        printable(response.reason, 80), slot.request.first_seq(), slot.request.first_seq() + events - 1,
                        printable(response.body, kFailureBodyBytesMax));
      slot.state = State::free;
    }
    return response.close;
  }

  void on_end_of_stream() {
    if (in_flight_.empty() && reader_.pending() == 0) {
      // The server closed an idle keep-alive connection.
      unused_connections_ = connection_used_ ? 0 : unused_connections_ + 1;
      if (unused_connections_ == kUnusedConnectionsMax) {
        fail(fmt::format("the server closed {} connections in a row before a request was sent on them",
                         kUnusedConnectionsMax));
        return;
      }
      reconnect();
      return;
    }
    fail(fmt::format("the server closed the connection with {} request(s) unanswered, after {} acknowledged events",
                     in_flight_.size(), group_thousands(stats_.events_acked)));
  }

  // A new connection; the requests the old one left unanswered go first, in their order.
  void reconnect() {
    SlotQueue order(slots_.size());
    while (!in_flight_.empty()) {
      const uint32_t i = in_flight_.pop();
      slots_[i].state = State::queued;
      ++stats_.retries;
      order.push(i);
    }
    while (!send_queue_.empty()) {
      const uint32_t i = send_queue_.pop();
      bool seen = false;
      for (size_t k = 0; k < order.size(); ++k) seen = seen || order.at(k) == i;
      if (!seen) order.push(i);
    }
    while (!order.empty()) send_queue_.push(order.pop());
    send_offset_ = 0;
    reader_.reset();
    fd_.reset();
    if (stopping_) {
      // Nothing more is sent after the stop: what was unanswered is abandoned.
      for (size_t k = 0; k < send_queue_.size(); ++k) slots_[send_queue_.at(k)].state = State::waiting;
      send_queue_.clear();
      return;
    }
    auto fd = connect_again(options_.reconnect);
    if (!fd) {
      fail(fmt::format("reconnecting after the server closed the connection: {}", fd.error().message));
      return;
    }
    fd_ = std::move(fd.value());
    connection_used_ = false;
    ++stats_.reconnects;
  }

  const HttpConnectionOptions options_;
  UniqueFd fd_;
  BatchPlan plan_;
  std::optional<RequestPacer> pacer_;
  std::vector<Slot> slots_;
  SlotQueue send_queue_;  // slots to write, in order; the front may be partly written
  SlotQueue in_flight_;   // slots written (at least partly), in the order their answers come
  size_t send_offset_ = 0;
  bool write_blocked_ = false;
  int read_errno_ = 0;
  bool connection_used_ = false;  // a byte was written on this connection
  uint32_t unused_connections_ = 0;
  std::optional<HttpBatchRequest> last_;  // the short last batch of a --count, if any
  HttpResponseReader reader_;
  bool stopping_ = false;
  int64_t drain_deadline_ns_ = 0;
  int64_t next_timer_ns_ = 0;
};

}  // namespace

Result<std::unique_ptr<RequestConnection>> make_http_connection(const HttpConnectionOptions& o, UniqueFd fd) {
  BatchPlan plan(o.quota, o.batch.events);
  // No more slots than batches. Every slot starts at sequence 0 and is moved on to the batch
  // it is given (slots take batches in increasing order, so a move is always forward).
  const uint64_t batches = o.quota == UINT64_MAX ? UINT64_MAX : o.quota / o.batch.events + (plan.last_size() ? 1 : 0);
  const uint64_t slots = std::clamp<uint64_t>(batches, 1, o.pipeline);
  std::vector<HttpBatchRequest> requests;
  // With --size-dist, each request takes its own run of the size table, and so does each
  // connection.
  const size_t first_size_index = static_cast<size_t>(o.index) * (slots + 1) * o.batch.events;
  for (uint64_t i = 0; i < slots; ++i) {
    HttpBatchOptions b = o.batch;
    b.conn = o.index;
    b.first_seq = 0;
    b.size_index = first_size_index + i * o.batch.events;
    auto request = HttpBatchRequest::build(b);
    if (!request) return request.error();
    requests.push_back(std::move(request.value()));
  }
  std::optional<HttpBatchRequest> last;
  if (plan.last_size()) {
    HttpBatchOptions b = o.batch;
    b.conn = o.index;
    b.events = plan.last_size();
    b.first_seq = plan.last_first();
    b.size_index = first_size_index + slots * o.batch.events;
    auto request = HttpBatchRequest::build(b);
    if (!request) return request.error();
    last.emplace(std::move(request.value()));
  }
  return std::unique_ptr<RequestConnection>(
      std::make_unique<HttpConnection>(o, std::move(fd), std::move(requests), std::move(last)));
}

int run_http(std::span<const std::string_view> args) {
  auto command = parse_http_options(args);
  if (!command) {
    fmt::print(stderr, "sluice-bench http: {}\nTry 'sluice-bench http --help'.\n", command.error().message);
    return 2;
  }
  if (command->help) {
    fmt::print("{}", http_usage());
    return 0;
  }
  const HttpOptions& o = command->options;

  HttpBatchOptions batch;
  batch.format = o.format;
  batch.gzip = o.gzip;
  // The Host field as the URL names the server (a port is always given: it is harmless).
  batch.host = o.url.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", o.url.host, o.url.port)
                                                         : fmt::format("{}:{}", o.url.host, o.url.port);
  batch.path = o.url.path;
  batch.body_bytes = o.request.body_bytes;
  // The same sizes for every connection and every run: drawn once, before any request is built.
  const std::vector<size_t> sizes = o.request.body_sizes();
  batch.body_sizes = sizes;
  batch.events = o.request.batch;

  RequestLoadPlan plan;
  plan.subcommand = "http";
  plan.load = o.load;
  plan.host = o.url.host;
  plan.port = o.url.port;
  plan.shown = o.url.text();
  plan.batch = o.request.batch;
  // The size of one request, from the body's layout (a JSON event adds its fixed text to the body).
  SeqFields ignored;
  TimestampFields ignored_stamps;
  HttpBatchOptions one = batch;
  one.events = 1;
  one.body_sizes = {};
  one.body_bytes = *std::max_element(sizes.begin(), sizes.end());  // the largest event bounds them all
  const size_t per_event = build_http_body(one, ignored, ignored_stamps).size();
  plan.request_bytes = per_event * o.request.batch + 512;
  plan.requests_per_connection = o.pipeline + 1;
  plan.summary.subcommand = "http";
  plan.summary.transport = "tcp";
  plan.summary.target = plan.shown;
  plan.summary.size = mean_size(sizes);
  if (o.request.size_dist) plan.summary.size_dist = o.request.size_dist->text();
  // Text lines carry no timestamp header: sluice ages them from their receipt.
  plan.summary.delivery_from = batch.format == HttpFormat::text ? "receipt" : "send";
  RequestSummary r;
  r.unit = "requests";
  r.batch = o.request.batch;
  r.pipeline = o.pipeline;
  r.format = std::string(http_format_name(o.format));
  r.compression = o.gzip ? "gzip" : "none";
  plan.summary.requests = r;
  plan.make_connection = [&](RequestLoadPlan::Connection c) {
    HttpConnectionOptions options{.index = c.index,
                                  .batch = batch,
                                  .pipeline = o.pipeline,
                                  .retries_max = o.request.retries,
                                  .quota = c.quota,
                                  .rate_milli = c.rate_milli,
                                  .reconnect = std::move(c.reconnect)};
    return make_http_connection(options, std::move(c.fd));
  };
  return run_request_load(std::move(plan));
}

}  // namespace sluice::bench
