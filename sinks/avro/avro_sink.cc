#include "sinks/avro/avro_sink.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/logger.h"
#include "base/time.h"

namespace sluice::sinks::avro {
namespace {

constexpr size_t kReadChunkBytes = 64 << 10;
// How often a blocked wait looks at interrupt().
constexpr int64_t kPollSliceMs = 100;

int64_t remaining(int64_t deadline_ms) { return std::max<int64_t>(0, deadline_ms - base::monotonic_ms()); }

}  // namespace

AvroSink::AvroSink(AvroSinkOptions options) : options_(std::move(options)) {}

AvroSink::~AvroSink() { disconnect(); }

void AvroSink::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status AvroSink::connect() {
  const std::string where = fmt::format("{}:{}", options_.host, options_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(options_.host.c_str(), std::to_string(options_.port).c_str(), &hints, &found);
  if (rc != 0) return make_error(fmt::format("cannot resolve {}: {}", options_.host, gai_strerror(rc)));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, freeaddrinfo);
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(fmt::format("cannot create a socket: {}", std::strerror(errno)));
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    probe_.connection_failed();
    return make_error(fmt::format("cannot connect to {}: {}", where, std::strerror(err)));
  }
  int ready = wait_for(fd, POLLOUT, base::monotonic_ms() + options_.connect_timeout_ms);
  int err = 0;
  socklen_t len = sizeof err;
  if (ready <= 0) err = ready == 0 ? ETIMEDOUT : EINTR;
  else getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    ::close(fd);
    probe_.connection_failed();
    return make_error(fmt::format("cannot connect to {}: {}", where, std::strerror(err)));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fd_ = fd;
  connected_at_ms_ = base::monotonic_ms();
  probe_.connection_created();
  session_.reset_connection();
  // Responses are a few bytes (a handshake with the server's protocol text at most).
  decoder_ = std::make_unique<sluice::avro::FrameDecoder>(
      sluice::avro::FrameLimits{.buffers_max = 64, .buffer_bytes_max = 1 << 20, .frame_bytes_max = 1 << 20});
  received_.clear();
  received_at_ = 0;
  inflated_.clear();
  if (options_.deflate) {
    // Like Flume's client: one zlib stream per direction for the connection's life.
    deflater_ =
        std::make_unique<sluice::avro::Deflater>(sluice::avro::DeflateOptions{.level = options_.compression_level});
    inflater_ = std::make_unique<sluice::avro::Inflater>();
  }
  return {};
}

int AvroSink::wait_for(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    if (interrupted_.load(std::memory_order_acquire)) return -1;
    int64_t left = remaining(deadline_ms);
    if (left == 0) return 0;
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min(left, kPollSliceMs)));
    if (ready > 0) return 1;
    if (ready < 0 && errno != EINTR) return -1;
  }
}

Status AvroSink::send_all(std::string_view bytes, int64_t deadline_ms) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return make_error(fmt::format("send failed: {}", std::strerror(errno)));
    if (int ready = wait_for(fd_, POLLOUT, deadline_ms); ready <= 0)
      return make_error(
          ready == 0 ? fmt::format("no progress sending within {} ms (request-timeout)", options_.request_timeout_ms)
                     : std::string("interrupted (shutting down)"));
  }
  return {};
}

Status AvroSink::read_frame(int64_t deadline_ms, std::string_view& payload) {
  for (;;) {
    // Frame what has arrived (inflated first, with deflate).
    std::string& source = options_.deflate ? inflated_ : received_;
    if (received_at_ < source.size()) {
      auto r = decoder_->decode(std::string_view(source).substr(received_at_));
      received_at_ += r.consumed;
      if (r.status == sluice::avro::FrameDecoder::Status::error)
        return make_error(fmt::format("bad response framing: {}", r.error));
      if (r.status == sluice::avro::FrameDecoder::Status::frame) {
        payload = decoder_->frame().payload;
        return {};
      }
    }
    source.erase(0, received_at_);
    received_at_ = 0;
    if (int ready = wait_for(fd_, POLLIN, deadline_ms); ready <= 0)
      return make_error(ready == 0
                            ? fmt::format("no answer within {} ms (request-timeout)", options_.request_timeout_ms)
                            : std::string("interrupted (shutting down)"));
    char chunk[kReadChunkBytes];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) return make_error("the next tier closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return make_error(fmt::format("receive failed: {}", std::strerror(errno)));
    }
    if (!options_.deflate) {
      received_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    std::string_view in(chunk, static_cast<size_t>(n));
    while (!in.empty()) {
      size_t at = inflated_.size();
      inflated_.resize(at + kReadChunkBytes);
      auto r = inflater_->inflate(in, std::span<char>(inflated_.data() + at, kReadChunkBytes));
      inflated_.resize(at + r.produced);
      in.remove_prefix(r.consumed);
      if (r.status == sluice::avro::Inflater::Status::error)
        return make_error(fmt::format("bad deflate stream: {}", r.error));
      if (r.status == sluice::avro::Inflater::Status::finished || (r.consumed == 0 && r.produced == 0)) break;
    }
  }
}

Status AvroSink::call(std::string_view request, std::string_view& payload) {
  framed_.clear();
  sluice::avro::encode_frame(serial_++, request, framed_);
  std::string_view wire = framed_;
  if (options_.deflate) {
    wire_.clear();
    deflater_->deflate(framed_, wire_);
    wire = wire_;
  }
  const int64_t deadline = base::monotonic_ms() + options_.request_timeout_ms;
  if (Status s = send_all(wire, deadline); !s) return s;
  return read_frame(deadline, payload);
}

Delivery AvroSink::deliver(std::span<const ringbuf::EventView> events) {
  if (fd_ >= 0 && options_.reset_connection_interval_ms > 0 &&
      base::monotonic_ms() - connected_at_ms_ >= options_.reset_connection_interval_ms)
    disconnect();
  if (fd_ < 0) {
    if (Status s = connect(); !s) return Delivery::retry(s.message());
  }
  // A server that does not know our protocol (NONE) wants the request again with it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    request_.clear();
    session_.encode_append_batch(events, request_);
    std::string_view payload;
    if (Status s = call(request_, payload); !s) {
      disconnect();
      probe_.batch_failed();
      return Delivery::retry(s.message());
    }
    auto response = session_.decode_response(payload);
    switch (response.kind) {
      case sluice::avro::ClientSession::Response::Kind::resend: continue;
      case sluice::avro::ClientSession::Response::Kind::status:
        if (response.status == sluice::avro::FlumeStatus::ok) {
          probe_.batch_acked(events.size());
          return Delivery::ok();
        }
        probe_.batch_failed();
        return Delivery::retry(
            fmt::format("the next tier answered {}", sluice::avro::flume_status_name(response.status)));
      case sluice::avro::ClientSession::Response::Kind::error:
        probe_.batch_failed();
        if (response.malformed) disconnect();
        return Delivery::retry(fmt::format("the next tier answered an error: {}", response.error));
    }
  }
  disconnect();
  probe_.batch_failed();
  return Delivery::retry("the next tier kept refusing our protocol");
}

void AvroSink::collect(base::MetricsWriter& out, const base::Labels& labels) const { probe_.collect(out, labels); }

}  // namespace sluice::sinks::avro
