#include "server/sources/datagram_source.h"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"

namespace sluice::sources {

DatagramSource::DatagramSource(std::string name, int fd, SourceProbe& probe)
    : name_(std::move(name)), fd_(fd), probe_(&probe) {
  // The kernel lays out [recvmsg_out][name: msg_namelen bytes][control][payload] in each
  // buffer; a name area rounded up to 8 bytes keeps the control messages aligned.
  message_header_.msg_namelen = (sizeof(sockaddr_in6) + 7) & ~size_t{7};
  // Room for SO_RXQ_OVFL: the kernel's count of datagrams it dropped because the socket's
  // receive buffer was full, delivered with every datagram.
  message_header_.msg_controllen = CMSG_SPACE(sizeof(uint32_t));
  int one = 1;
  if (setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0) message_header_.msg_controllen = 0;
}

DatagramSource::~DatagramSource() {
  if (fd_ >= 0) ::close(fd_);
}

Status DatagramSource::start(ShardContext& context) {
  SLUICE_ASSERT(context.datagram_buffers != nullptr, "UDP source on a shard without datagram buffers");
  context_ = &context;
  begin_batch(context.now_ms);
  arm_receive();
  return {};
}

void DatagramSource::arm_receive() {
  io_uring_sqe* sqe = context_->reactor->sqe();
  io_uring_prep_recvmsg_multishot(sqe, fd_, &message_header_, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = context_->datagram_buffers->group_id();
  sqe->user_data = reactor::tag(this, kReceive);
  receive_armed_ = true;
}

void DatagramSource::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  if (op == kCancel) return;
  SLUICE_ASSERT(op == kReceive, "unexpected UDP source operation");
  reactor::BufferRing& buffers = *context_->datagram_buffers;
  if (cqe.res > 0 && (cqe.flags & IORING_CQE_F_BUFFER)) {
    auto id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    buffers.taken(id);
    on_buffer(buffers.buffer(id), static_cast<uint32_t>(cqe.res));
    buffers.recycle(id);
  } else if (cqe.res < 0 && cqe.res != -ENOBUFS && cqe.res != -ECANCELED) {
    probe_->receive_error();
    if (noisy_log_.allow(context_->now_ms))
      base::log_warn("source {}: receive failed: {}", name_, std::strerror(-cqe.res));
  }
  // Re-armed in after_batch(), once this batch has given its buffers back.
  if (!(cqe.flags & IORING_CQE_F_MORE)) receive_armed_ = false;
}

void DatagramSource::on_buffer(std::byte* buffer, uint32_t length) {
  io_uring_recvmsg_out* out = io_uring_recvmsg_validate(buffer, static_cast<int>(length), &message_header_);
  if (!out) {
    probe_->receive_error();
    return;
  }
  note_kernel_drops(out);
  const char* payload = static_cast<const char*>(io_uring_recvmsg_payload(out, &message_header_));
  const size_t size = io_uring_recvmsg_payload_length(out, static_cast<int>(length), &message_header_);
  const sockaddr* sender = out->namelen > 0 ? static_cast<const sockaddr*>(io_uring_recvmsg_name(out)) : nullptr;
  on_datagram(std::string_view(payload, size), (out->flags & MSG_TRUNC) != 0, sender);
}

void DatagramSource::note_kernel_drops(io_uring_recvmsg_out* out) {
  for (cmsghdr* c = io_uring_recvmsg_cmsg_firsthdr(out, &message_header_); c;
       c = io_uring_recvmsg_cmsg_nexthdr(out, &message_header_, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL) continue;
    uint32_t dropped;
    std::memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
    // The counter is cumulative for the socket and wraps at 2^32.
    uint32_t increase = dropped - kernel_drops_seen_;
    kernel_drops_seen_ = dropped;
    if (increase == 0) continue;
    probe_->kernel_dropped(increase);
    if (noisy_log_.allow(context_->now_ms))
      base::log_warn(
          "source {}: the kernel dropped {} datagrams: the socket's receive buffer was full "
          "(sluice_source_kernel_drops_total counts them)",
          name_, increase);
  }
}

void DatagramSource::after_batch() {
  if (!receive_armed_ && !stopping_) arm_receive();
}

void DatagramSource::stop() {
  stopping_ = true;
  if (receive_armed_) {
    io_uring_sqe* sqe = context_->reactor->sqe();
    io_uring_prep_cancel64(sqe, reactor::tag(this, kReceive), 0);
    sqe->user_data = reactor::tag(this, kCancel);
  }
}

}  // namespace sluice::sources
