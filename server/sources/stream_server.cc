#include "server/sources/stream_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/net.h"

#include <fmt/format.h>

namespace sluice::sources {
namespace {

// How long a closing connection keeps reading (and discarding) after its last response.
constexpr int64_t kLingerMs = 2000;
constexpr int64_t kTimeoutCheckIntervalMs = 1000;
// How long accept waits after running out of descriptors: long enough not to burn the shard,
// short enough that clients are served soon after descriptors come back.
constexpr int64_t kAcceptBackoffMs = 100;

template <typename T>
void erase_one(std::vector<T*>& list, T* item) {
  auto it = std::find(list.begin(), list.end(), item);
  if (it != list.end()) list.erase(it);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// StreamConnection

StreamConnection::StreamConnection(StreamServer& server, int fd)
    : server_(server), fd_(fd), fd_budget_(server.context_->connection_fds) {
  if (server.options_.resolve_peer_ip) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0)
      peer_ip_len_ = base::format_ip(reinterpret_cast<sockaddr*>(&peer), peer_ip_, sizeof peer_ip_);
  }
}

StreamConnection::~StreamConnection() {
  SLUICE_ASSERT(requests_in_flight_ == 0, "connection deleted with requests in flight");
  ::close(fd_);
  if (fd_budget_ != nullptr) fd_budget_->release();
}

reactor::BufferRing& StreamConnection::buffers() { return *server_.context_->stream_buffers; }

int64_t StreamConnection::now_ms() const { return server_.context_->now_ms; }

void StreamConnection::start() {
  last_activity_ms_ = now_ms();
  if (!admit()) {
    close("not admitted");
    return;
  }
  arm_receive();
}

void StreamConnection::arm_receive() {
  SLUICE_ASSERT(!receive_armed_ && !closing_, "receive armed twice or while closing");
  io_uring_sqe* sqe = server_.context_->reactor->sqe();
  io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers().group_id();
  sqe->user_data = reactor::tag(this, kReceive);
  receive_armed_ = true;
  ++requests_in_flight_;
}

void StreamConnection::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  switch (op) {
    case kReceive: on_receive(cqe); break;
    case kSend: on_send(cqe); break;
    case kCancel: --requests_in_flight_; break;
    default: SLUICE_UNREACHABLE("unexpected connection operation");
  }
  maybe_delete();
}

void StreamConnection::on_receive(const io_uring_cqe& cqe) {
  const bool more = cqe.flags & IORING_CQE_F_MORE;
  bool starved = false;
  if (cqe.res > 0) {
    SLUICE_ASSERT(cqe.flags & IORING_CQE_F_BUFFER, "receive without a provided buffer");
    auto id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    buffers().taken(id);
    last_activity_ms_ = now_ms();
    if (closing_ || lingering_ || close_after_send_) {
      buffers().recycle(id);  // input after the last response is discarded
    } else {
      hold(id, static_cast<uint32_t>(cqe.res));
      if (!paused()) drain_held();
    }
  } else if (cqe.res == 0) {
    end_of_stream_ = true;
    if (lingering_) close("peer closed after the last response");
    else if (!paused() && !closing_ && !close_after_send_) drain_held();
  } else if (cqe.res == -ENOBUFS) {
    starved = true;  // every buffer is in use; re-armed when some come back
  } else if (cqe.res != -ECANCELED && !closing_) {
    server_.probe_->receive_error();
    if (server_.noisy_log_.allow(now_ms()))
      base::log_warn("source {}: closing a connection from {}: {}", server_.options_.name, peer_name(),
                     std::strerror(-cqe.res));
    close("receive error");
  }
  if (!more) {
    receive_armed_ = false;
    --requests_in_flight_;
    if (!closing_ && !paused() && !end_of_stream_) {
      if (starved) server_.connection_starved(this);
      else arm_receive();
    }
  }
}

void StreamConnection::hold(uint16_t id, uint32_t length) {
  buffers().held_length(id) = length;
  buffers().held_next(id) = reactor::BufferRing::kNoBuffer;
  if (held_tail_ == reactor::BufferRing::kNoBuffer) {
    held_head_ = held_tail_ = id;
    held_offset_ = 0;
  } else {
    buffers().held_next(held_tail_) = id;
    held_tail_ = id;
  }
}

void StreamConnection::release_head() {
  uint16_t id = held_head_;
  held_head_ = buffers().held_next(id);
  if (held_head_ == reactor::BufferRing::kNoBuffer) held_tail_ = reactor::BufferRing::kNoBuffer;
  held_offset_ = 0;
  buffers().recycle(id);
}

StreamConnection::Progress StreamConnection::drain_held() {
  while (held_head_ != reactor::BufferRing::kNoBuffer) {
    const char* base = reinterpret_cast<const char*>(buffers().buffer(held_head_));
    const uint32_t length = buffers().held_length(held_head_);
    std::string_view chunk(base + held_offset_, length - held_offset_);
    size_t consumed = 0;
    Progress p = consume(chunk, consumed);
    if (p == Progress::closed) return p;  // `this` may be gone
    if (p == Progress::paused) {
      SLUICE_ASSERT(paused(), "consume() returned paused without pause()");
      SLUICE_ASSERT(consumed <= chunk.size(), "consumed more than was given");
      held_offset_ += static_cast<uint32_t>(consumed);
      if (held_offset_ == length) release_head();
      return p;
    }
    SLUICE_ASSERT(consumed == chunk.size(), "running with bytes left over");
    release_head();
    if (close_after_send_ || closing_) return Progress::running;
  }
  if (end_of_stream_ && !close_after_send_ && !closing_) return end_of_stream();
  return Progress::running;
}

void StreamConnection::pause(PauseReason reason) {
  SLUICE_ASSERT(reason != PauseReason::none, "pause without a reason");
  if (!paused()) server_.connection_paused(this);
  pause_reason_ = reason;
  cancel_receive();
}

void StreamConnection::cancel_receive() {
  // Stop the multishot receive so that the kernel keeps further data in the socket buffer and
  // the window closes on the sender. Buffers already on their way are held.
  if (!receive_armed_) return;
  io_uring_sqe* sqe = server_.context_->reactor->sqe();
  io_uring_prep_cancel64(sqe, reactor::tag(this, kReceive), 0);
  sqe->user_data = reactor::tag(this, kCancel);
  ++requests_in_flight_;
}

StreamConnection::Progress StreamConnection::resume() {
  SLUICE_ASSERT(paused(), "resume of a connection that is not paused");
  pause_reason_ = PauseReason::none;
  Progress p = continue_work();
  if (p != Progress::running) return p;
  p = drain_held();
  if (p != Progress::running) return p;
  if (!receive_armed_ && !closing_ && !end_of_stream_) arm_receive();
  return Progress::running;
}

void StreamConnection::send(std::string_view bytes) {
  if (closing_) return;
  outgoing_.append(bytes);
  if (!send_in_flight_) submit_send();
}

void StreamConnection::submit_send() {
  if (sent_ == sending_.size()) {
    sending_.clear();
    sent_ = 0;
    std::swap(sending_, outgoing_);
  }
  if (sending_.empty()) return;
  io_uring_sqe* sqe = server_.context_->reactor->sqe();
  io_uring_prep_send(sqe, fd_, sending_.data() + sent_, sending_.size() - sent_, MSG_NOSIGNAL);
  sqe->user_data = reactor::tag(this, kSend);
  if (!send_in_flight_) send_progress_ms_ = now_ms();
  send_in_flight_ = true;
  ++requests_in_flight_;
}

void StreamConnection::on_send(const io_uring_cqe& cqe) {
  send_in_flight_ = false;
  --requests_in_flight_;
  if (closing_) return;
  if (cqe.res < 0) {
    if (server_.noisy_log_.allow(now_ms()))
      base::log_warn("source {}: closing a connection to {}: send failed: {}", server_.options_.name, peer_name(),
                     std::strerror(-cqe.res));
    close("send error");
    return;
  }
  sent_ += static_cast<size_t>(cqe.res);
  last_activity_ms_ = now_ms();
  send_progress_ms_ = now_ms();
  if (sent_ < sending_.size() || !outgoing_.empty()) {
    submit_send();
    return;
  }
  if (close_after_send_) {
    finish_close();
    return;
  }
  on_sent();
}

void StreamConnection::close_after_send() {
  if (closing_ || close_after_send_) return;
  close_after_send_ = true;
  if (!send_in_flight_ && unsent_bytes() == 0) finish_close();
}

void StreamConnection::finish_close() {
  // Lingering close: shut our side and read (discarding) until the peer closes or a moment
  // passes, so that a client still sending sees the response rather than a reset.
  ::shutdown(fd_, SHUT_WR);
  lingering_ = true;
  linger_until_ms_ = now_ms() + kLingerMs;
  while (held_head_ != reactor::BufferRing::kNoBuffer) release_head();
  if (end_of_stream_) {
    close("done");
    return;
  }
  if (paused()) {
    erase_one(server_.paused_, this);
    pause_reason_ = PauseReason::none;
  }
  if (!receive_armed_) arm_receive();
}

void StreamConnection::close(const char* reason) {
  if (closing_) return;
  closing_ = true;
  if (receive_armed_ || send_in_flight_) {
    io_uring_sqe* sqe = server_.context_->reactor->sqe();
    io_uring_prep_cancel_fd(sqe, fd_, IORING_ASYNC_CANCEL_ALL);
    sqe->user_data = reactor::tag(this, kCancel);
    ++requests_in_flight_;
  }
  while (held_head_ != reactor::BufferRing::kNoBuffer) release_head();
  server_.probe_->connection_closed();
  (void)reason;
  maybe_delete();
}

void StreamConnection::maybe_delete() {
  if (!closing_ || requests_in_flight_ != 0 || reaped_) return;
  reaped_ = true;
  server_.reap_.push_back(this);
}

// ---------------------------------------------------------------------------------------------
// StreamServer

StreamServer::StreamServer(StreamServerOptions options, int listen_fd, SourceProbe& probe)
    : options_(std::move(options)), listen_fd_(listen_fd), probe_(&probe) {}

StreamServer::~StreamServer() {
  // Only after a stop that timed out are connections left; the shard's ring is gone by now, so
  // no completion can refer to them any more.
  for (StreamConnection* c : connections_) {
    c->requests_in_flight_ = 0;
    delete c;
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

Status StreamServer::start(ShardContext& context) {
  SLUICE_ASSERT(context.stream_buffers != nullptr, "stream source on a shard without stream buffers");
  context_ = &context;
  arm_accept();
  return {};
}

void StreamServer::arm_accept() {
  io_uring_sqe* sqe = context_->reactor->sqe();
  io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  sqe->user_data = reactor::tag(this, kAccept);
  accept_armed_ = true;
}

void StreamServer::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  if (op == kCancelAccept) return;
  SLUICE_ASSERT(op == kAccept, "unexpected source operation");
  on_accept(cqe);
}

void StreamServer::on_accept(const io_uring_cqe& cqe) {
  if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_ = false;
  if (cqe.res >= 0) {
    int fd = cqe.res;
    if (stopping_) {
      ::close(fd);
    } else if (context_->connection_fds != nullptr && !context_->connection_fds->try_acquire()) {
      refuse_over_fd_budget(fd);
    } else if (connections_.size() >= options_.connections_max) {
      if (context_->connection_fds != nullptr) context_->connection_fds->release();
      ::close(fd);
      probe_->connection_refused();
      if (noisy_log_.allow(context_->now_ms))
        base::log_warn("source {}: refused a connection: maxConnections ({}) reached on shard {}", options_.name,
                       options_.connections_max, context_->shard);
    } else {
      StreamConnection* c = make_connection(fd);
      connections_.push_back(c);
      probe_->connection_accepted();
      c->start();
    }
  } else if (cqe.res == -EMFILE || cqe.res == -ENFILE) {
    back_off_accept(-cqe.res);
  } else if (cqe.res != -ECANCELED && noisy_log_.allow(context_->now_ms)) {
    base::log_warn("source {}: accept failed: {}", options_.name, std::strerror(-cqe.res));
  }
}

void StreamServer::back_off_accept(int error) {
  probe_->accept_fd_exhausted();
  // The kernel ends a multishot accept on an error; should one stay armed, cancel it (its last
  // completion clears accept_armed_). after_batch() arms it again once the pause is over.
  if (accept_armed_) {
    io_uring_sqe* sqe = context_->reactor->sqe();
    io_uring_prep_cancel64(sqe, reactor::tag(this, kAccept), 0);
    sqe->user_data = reactor::tag(this, kCancelAccept);
  }
  accept_retry_at_ms_ = context_->now_ms + kAcceptBackoffMs;
  if (noisy_log_.allow(context_->now_ms))
    base::log_warn(
        "source {}: accept failed: {}; pausing accept for {} ms (raise the open files limit: "
        "LimitNOFILE= in a systemd unit, ulimit -n in a shell)",
        options_.name, std::strerror(error), kAcceptBackoffMs);
}

void StreamServer::refuse_over_fd_budget(int fd) {
  ::close(fd);
  probe_->accept_fd_exhausted();
  if (noisy_log_.allow(context_->now_ms))
    base::log_warn(
        "source {}: refused a connection: accepted connections hold {} descriptors, the most the open "
        "files limit allows while keeping a reserve for channels and sinks",
        options_.name, context_->connection_fds->in_use());
}

void StreamConnection::await_durability() {
  auto& waiting = server_.awaiting_durability_;
  if (std::find(waiting.begin(), waiting.end(), this) == waiting.end()) waiting.push_back(this);
}

void StreamServer::send_durable_answers() {
  if (awaiting_durability_.empty()) return;
  std::vector<StreamConnection*> waiting;
  waiting.swap(awaiting_durability_);  // connections still waiting re-queue themselves
  for (StreamConnection* c : waiting)
    if (c->send_durable_answers()) c->await_durability();
}

void StreamServer::reap() {
  for (StreamConnection* c : reap_) {
    auto waiting = std::find(awaiting_durability_.begin(), awaiting_durability_.end(), c);
    if (waiting != awaiting_durability_.end()) awaiting_durability_.erase(waiting);
    connection_gone(c);
    delete c;
  }
  reap_.clear();
}

void StreamServer::after_batch() {
  reap();
  if (!accept_armed_ && !stopping_ && context_->now_ms >= accept_retry_at_ms_) arm_accept();

  if (!paused_.empty()) {
    std::vector<StreamConnection*> waiting;
    waiting.swap(paused_);  // connections that pause again re-queue themselves
    bool channel_still_full = false;
    for (StreamConnection* c : waiting) {
      if (c->closing() || !c->paused()) continue;
      if (channel_still_full && c->pause_reason() == StreamConnection::PauseReason::channel_full) {
        // One connection found the channel still full: the others waiting for it would too.
        // Keep them, in order, for the next round.
        paused_.push_back(c);
        continue;
      }
      if (c->resume() == StreamConnection::Progress::paused &&
          c->pause_reason() == StreamConnection::PauseReason::channel_full)
        channel_still_full = true;
    }
  }

  reactor::BufferRing& buffers = *context_->stream_buffers;
  if (!starved_.empty() && buffers.held() < buffers.count()) {
    std::vector<StreamConnection*> starved;
    starved.swap(starved_);
    for (StreamConnection* c : starved)
      if (!c->closing() && !c->paused() && !c->receive_armed()) c->arm_receive();
  }

  if (context_->now_ms >= next_timeout_check_ms_) {
    next_timeout_check_ms_ = context_->now_ms + kTimeoutCheckIntervalMs;
    std::vector<StreamConnection*> all = connections_;
    for (StreamConnection* c : all)
      if (!c->closing() && !close_if_timed_out(c)) c->check_timeouts(context_->now_ms);
  }
  send_durable_answers();
}

bool StreamServer::close_if_timed_out(StreamConnection* c) {
  const int64_t now = context_->now_ms;
  if (c->lingering_) {
    if (now >= c->linger_until_ms_) c->close("linger timeout");
    return true;  // lingering: the protocol is done with it
  }
  if (options_.send_timeout_ms > 0 && c->send_in_flight_ && now - c->send_progress_ms_ > options_.send_timeout_ms) {
    probe_->connection_timed_out(SourceProbe::Timeout::send);
    if (noisy_log_.allow(now))
      base::log_warn(
          "source {}: closing a connection to {}: it read none of its answers ({} bytes unsent) within "
          "sendTimeout",
          options_.name, c->peer_name(), c->unsent_bytes());
    c->close("send timeout");
    return true;
  }
  return false;
}

bool StreamServer::waiting_for_space() const {
  for (const StreamConnection* c : paused_)
    if (c->pause_reason() == StreamConnection::PauseReason::channel_full) return true;
  return false;
}

void StreamServer::connection_gone(StreamConnection* c) {
  erase_one(connections_, c);
  erase_one(paused_, c);
  erase_one(starved_, c);
}

void StreamServer::stop() {
  stopping_ = true;
  if (accept_armed_) {
    io_uring_sqe* sqe = context_->reactor->sqe();
    io_uring_prep_cancel64(sqe, reactor::tag(this, kAccept), 0);
    sqe->user_data = reactor::tag(this, kCancelAccept);
  }
  // Keep whatever paused connections hold if the channel has room by now, then close all.
  std::vector<StreamConnection*> all = connections_;
  for (StreamConnection* c : all)
    if (!c->closing() && c->paused()) c->resume();
  all = connections_;
  for (StreamConnection* c : all) c->close("shutdown");
}

bool StreamServer::stopped() const { return !accept_armed_ && connections_.empty(); }

std::string StreamServer::stop_diagnostics() const {
  std::string out = fmt::format("source {}: accept {}armed, {} connection(s)", options_.name,
                                accept_armed_ ? "" : "not ", connections_.size());
  for (size_t i = 0; i < connections_.size() && i < 5; ++i) out += "; " + connections_[i]->describe();
  return out;
}

std::string StreamConnection::describe() const {
  return fmt::format("fd {} requests {} receive {} send {} paused {} closing {} eos {} held {}", fd_,
                     requests_in_flight_, receive_armed_, send_in_flight_, static_cast<int>(pause_reason_), closing_,
                     end_of_stream_, held_head_ != reactor::BufferRing::kNoBuffer);
}

}  // namespace sluice::sources
