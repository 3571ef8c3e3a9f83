#include "server/sources/syslog_tcp_source.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/base/log.h"
#include "server/base/net.h"

namespace sluice::sources {
namespace {

constexpr int64_t kAcceptRetryDelayMs = 100;

void erase_one(std::vector<TcpConnection*>& list, TcpConnection* c) {
  auto it = std::find(list.begin(), list.end(), c);
  if (it != list.end()) list.erase(it);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TcpConnection

TcpConnection::TcpConnection(SyslogTcpSource& source, int fd)
    : source_(source), fd_(fd), framer_(source.options_.event_bytes_max) {
  if (!source.options_.event.client_ip_header.empty()) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0)
      peer_ip_len_ = base::format_ip(reinterpret_cast<sockaddr*>(&peer), peer_ip_, sizeof peer_ip_);
  }
}

TcpConnection::~TcpConnection() { SLUICE_ASSERT(requests_in_flight_ == 0, "connection deleted with requests in flight"); }

void TcpConnection::start() { arm_receive(); }

void TcpConnection::arm_receive() {
  SLUICE_ASSERT(!receive_armed_ && !closing_, "receive armed twice or while closing");
  reactor::BufferRing& buffers = *source_.context_->stream_buffers;
  io_uring_sqe* sqe = source_.context_->reactor->sqe();
  io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers.group_id();
  sqe->user_data = reactor::tag(this, kReceive);
  receive_armed_ = true;
  ++requests_in_flight_;
}

void TcpConnection::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  if (op == kCancel) {
    --requests_in_flight_;
    maybe_delete();
    return;
  }
  SLUICE_ASSERT(op == kReceive, "unexpected connection operation");
  on_receive(cqe);
}

void TcpConnection::on_receive(const io_uring_cqe& cqe) {
  reactor::BufferRing& buffers = *source_.context_->stream_buffers;
  const bool more = cqe.flags & IORING_CQE_F_MORE;
  bool starved = false;
  if (cqe.res > 0) {
    SLUICE_ASSERT(cqe.flags & IORING_CQE_F_BUFFER, "receive without a provided buffer");
    auto id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    buffers.taken(id);
    if (closing_) {
      buffers.recycle(id);
    } else {
      hold(id, static_cast<uint32_t>(cqe.res));
      if (!paused_) drain_held();
    }
  } else if (cqe.res == 0) {
    end_of_stream_ = true;
    if (!paused_ && !closing_) finish_stream();
  } else if (cqe.res == -ENOBUFS) {
    starved = true;  // every buffer is in use; re-armed when some come back
  } else if (cqe.res != -ECANCELED && !closing_) {
    source_.probe_->receive_error();
    if (source_.ingest_.rate_limited_log().allow(source_.context_->now_ms))
      base::log_warn("source {}: closing a connection from {}: {}", source_.options_.name,
                     std::string_view(peer_ip_, peer_ip_len_), std::strerror(-cqe.res));
    close("receive error");
  }

  if (!more) {
    receive_armed_ = false;
    --requests_in_flight_;
    if (!closing_ && !paused_ && !end_of_stream_) {
      if (starved) source_.connection_starved(this);
      else arm_receive();
    }
  }
  maybe_delete();
}

void TcpConnection::hold(uint16_t id, uint32_t length) {
  reactor::BufferRing& buffers = *source_.context_->stream_buffers;
  buffers.held_length(id) = length;
  buffers.held_next(id) = reactor::BufferRing::kNoBuffer;
  if (held_tail_ == reactor::BufferRing::kNoBuffer) {
    held_head_ = held_tail_ = id;
    held_offset_ = 0;
  } else {
    buffers.held_next(held_tail_) = id;
    held_tail_ = id;
  }
}

void TcpConnection::release_head() {
  reactor::BufferRing& buffers = *source_.context_->stream_buffers;
  uint16_t id = held_head_;
  held_head_ = buffers.held_next(id);
  if (held_head_ == reactor::BufferRing::kNoBuffer) held_tail_ = reactor::BufferRing::kNoBuffer;
  held_offset_ = 0;
  buffers.recycle(id);
}

TcpConnection::Progress TcpConnection::drain_held() {
  reactor::BufferRing& buffers = *source_.context_->stream_buffers;
  std::string_view peer(peer_ip_, peer_ip_len_);
  auto on_frame = [&](std::string_view frame, bool truncated) {
    return source_.ingest_.ingest(frame, truncated, peer);
  };
  while (held_head_ != reactor::BufferRing::kNoBuffer) {
    const char* base = reinterpret_cast<const char*>(buffers.buffer(held_head_));
    uint32_t length = buffers.held_length(held_head_);
    auto result = framer_.feed(std::string_view(base + held_offset_, length - held_offset_), on_frame);
    if (result.status == syslog::TcpFramer::Status::garbage) {
      source_.probe_->framing_error();
      if (source_.ingest_.rate_limited_log().allow(source_.context_->now_ms))
        base::log_warn("source {}: closing a connection from {}: garbage framing: {}", source_.options_.name,
                       peer.empty() ? std::string_view("a client") : peer, result.error);
      close("garbage framing");
      return Progress::closed;
    }
    if (result.status == syslog::TcpFramer::Status::paused) {
      held_offset_ += static_cast<uint32_t>(result.consumed);
      pause();
      return Progress::paused;
    }
    release_head();
  }
  return Progress::running;
}

void TcpConnection::pause() {
  if (paused_) return;
  paused_ = true;
  source_.connection_paused(this);
  if (receive_armed_) source_.probe_->paused_for_space();
  // Stop the multishot receive so that the kernel keeps further data in the socket buffer and
  // the TCP window closes on the sender. Buffers already on their way are held.
  if (receive_armed_) {
    io_uring_sqe* sqe = source_.context_->reactor->sqe();
    io_uring_prep_cancel64(sqe, reactor::tag(this, kReceive), 0);
    sqe->user_data = reactor::tag(this, kCancel);
    ++requests_in_flight_;
  }
}

TcpConnection::Progress TcpConnection::resume() {
  SLUICE_ASSERT(paused_, "resume of a connection that is not paused");
  paused_ = false;
  Progress progress = drain_held();
  if (progress != Progress::running) return progress;  // after `closed`, `this` may be gone
  if (end_of_stream_) return finish_stream();
  if (!receive_armed_) arm_receive();
  return Progress::running;
}

TcpConnection::Progress TcpConnection::finish_stream() {
  std::string_view peer(peer_ip_, peer_ip_len_);
  auto status = framer_.finish(
      [&](std::string_view frame, bool truncated) { return source_.ingest_.ingest(frame, truncated, peer); }).status;
  if (status == syslog::TcpFramer::Status::paused) {
    pause();
    return Progress::paused;
  }
  close("end of stream");
  return Progress::closed;
}

void TcpConnection::close(const char* reason) {
  if (closing_) return;
  closing_ = true;
  if (receive_armed_) {
    io_uring_sqe* sqe = source_.context_->reactor->sqe();
    io_uring_prep_cancel64(sqe, reactor::tag(this, kReceive), 0);
    sqe->user_data = reactor::tag(this, kCancel);
    ++requests_in_flight_;
  }
  while (held_head_ != reactor::BufferRing::kNoBuffer) release_head();
  source_.probe_->connection_closed();
  maybe_delete();
}

void TcpConnection::maybe_delete() {
  if (!closing_ || requests_in_flight_ != 0) return;
  ::close(fd_);
  source_.connection_gone(this);
  delete this;
}

// ---------------------------------------------------------------------------------------------
// SyslogTcpSource

SyslogTcpSource::SyslogTcpSource(const SyslogSourceOptions& options, int listen_fd, std::vector<ringbuf::Log*> logs,
                                 SourceProbe& probe)
    : options_(options), listen_fd_(listen_fd), probe_(&probe), ingest_(options, std::move(logs), *probe_) {}

SyslogTcpSource::~SyslogTcpSource() {
  SLUICE_ASSERT(connections_.empty(), "source destroyed with open connections");
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

Status SyslogTcpSource::start(ShardContext& context) {
  SLUICE_ASSERT(context.stream_buffers != nullptr, "TCP source on a shard without stream buffers");
  context_ = &context;
  ingest_.set_now(context.now_ms);
  arm_accept();
  return {};
}

void SyslogTcpSource::arm_accept() {
  io_uring_sqe* sqe = context_->reactor->sqe();
  io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  sqe->user_data = reactor::tag(this, kAccept);
  accept_armed_ = true;
}

void SyslogTcpSource::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  if (op == kCancelAccept) return;
  SLUICE_ASSERT(op == kAccept, "unexpected source operation");
  on_accept(cqe);
}

void SyslogTcpSource::on_accept(const io_uring_cqe& cqe) {
  if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_ = false;
  if (cqe.res >= 0) {
    int fd = cqe.res;
    if (stopping_) {
      ::close(fd);
    } else if (connections_.size() >= options_.connections_max) {
      ::close(fd);
      probe_->connection_refused();
      if (ingest_.rate_limited_log().allow(context_->now_ms))
        base::log_warn("source {}: refused a connection: maxConnections ({}) reached on shard {}", options_.name,
                       options_.connections_max, context_->shard);
    } else {
      auto* c = new TcpConnection(*this, fd);
      connections_.push_back(c);
      probe_->connection_accepted();
      c->start();
    }
  } else if (cqe.res != -ECANCELED && ingest_.rate_limited_log().allow(context_->now_ms)) {
    base::log_warn("source {}: accept failed: {}", options_.name, std::strerror(-cqe.res));
  }
}

void SyslogTcpSource::after_batch() {
  if (!accept_armed_ && !stopping_) arm_accept();

  if (!paused_.empty()) {
    std::vector<TcpConnection*> waiting;
    waiting.swap(paused_);  // connections that fill the channel again re-queue themselves
    for (size_t i = 0; i < waiting.size(); ++i) {
      TcpConnection* c = waiting[i];
      if (c->closing()) continue;
      if (c->resume() == TcpConnection::Progress::paused) {
        // Still full: the rest will not fit either; keep them, in order, for the next round.
        for (size_t j = i + 1; j < waiting.size(); ++j) paused_.push_back(waiting[j]);
        break;
      }
    }
  }

  reactor::BufferRing& buffers = *context_->stream_buffers;
  if (!starved_.empty() && buffers.held() < buffers.count()) {
    std::vector<TcpConnection*> starved;
    starved.swap(starved_);
    for (TcpConnection* c : starved)
      if (!c->closing() && !c->paused() && !c->receive_armed()) c->arm_receive();
  }
}

void SyslogTcpSource::connection_gone(TcpConnection* c) {
  erase_one(connections_, c);
  erase_one(paused_, c);
  erase_one(starved_, c);
}

void SyslogTcpSource::stop() {
  stopping_ = true;
  if (accept_armed_) {
    io_uring_sqe* sqe = context_->reactor->sqe();
    io_uring_prep_cancel64(sqe, reactor::tag(this, kAccept), 0);
    sqe->user_data = reactor::tag(this, kCancelAccept);
  }
  // Keep whatever paused connections hold if the channel has room by now, then close all.
  std::vector<TcpConnection*> all = connections_;
  for (TcpConnection* c : all)
    if (c->paused()) c->resume();
  all = connections_;
  for (TcpConnection* c : all) c->close("shutdown");
}

bool SyslogTcpSource::stopped() const { return !accept_armed_ && connections_.empty(); }

}  // namespace sluice::sources
