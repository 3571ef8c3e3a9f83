#include "server/reactor/reactor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sluice::reactor {
namespace {

constexpr uint8_t kOpWakePoll = 1;
// Completions reaped per peek; the loop peeks again while batches come back full.
constexpr unsigned kCompletionBatch = 256;

}  // namespace

Result<std::unique_ptr<Reactor>> Reactor::create(const Options& options) {
  std::unique_ptr<Reactor> self(new Reactor());
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  params.cq_entries = options.cq_entries;
  int rc = io_uring_queue_init_params(options.sq_entries, &self->ring_, &params);
  if (rc < 0) return make_error(fmt::format("cannot create an io_uring: {}", std::strerror(-rc)));
  self->ring_ready_ = true;
  if (options.wake_fd >= 0) {
    self->wake_fd_ = options.wake_fd;
  } else {
    self->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->wake_fd_ < 0) return make_error(fmt::format("cannot create an eventfd: {}", std::strerror(errno)));
    self->owns_wake_fd_ = true;
  }
  self->arm_wake_poll();
  return self;
}

Reactor::~Reactor() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (owns_wake_fd_) close(wake_fd_);
}

io_uring_sqe* Reactor::sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe) return sqe;
  io_uring_submit(&ring_);
  sqe = io_uring_get_sqe(&ring_);
  SLUICE_ASSERT(sqe != nullptr, "no submission entry after a submit");
  return sqe;
}

void Reactor::submit_and_wait(int64_t timeout_ns) {
  __kernel_timespec timeout{};
  timeout.tv_sec = timeout_ns / 1'000'000'000;
  timeout.tv_nsec = timeout_ns % 1'000'000'000;
  io_uring_cqe* first = nullptr;
  int rc = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &timeout, nullptr);
  // -ETIME (timeout), -EINTR (signal) and -EBUSY (CQ overflow being flushed) mean "go on".
  SLUICE_ASSERT(rc >= 0 || rc == -ETIME || rc == -EINTR || rc == -EBUSY, "io_uring_enter failed");
}

void Reactor::submit() {
  int rc = io_uring_submit(&ring_);
  SLUICE_ASSERT(rc >= 0 || rc == -EINTR || rc == -EBUSY, "io_uring_submit failed");
}

unsigned Reactor::dispatch() {
  unsigned dispatched = 0;
  io_uring_cqe* cqes[kCompletionBatch];
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, kCompletionBatch);
    for (unsigned i = 0; i < n; ++i) {
      const io_uring_cqe& cqe = *cqes[i];
      if (cqe.user_data != kIgnoredCompletion)
        tagged_handler(cqe.user_data)->on_completion(tagged_op(cqe.user_data), cqe);
    }
    io_uring_cq_advance(&ring_, n);
    dispatched += n;
    if (n < kCompletionBatch) break;
  }
  return dispatched;
}

void Reactor::wake() {
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);  // EAGAIN means a wake is pending already
  (void)ignored;
}

void Reactor::arm_wake_poll() {
  io_uring_sqe* s = sqe();
  io_uring_prep_poll_multishot(s, wake_fd_, POLLIN);
  s->user_data = tag(this, kOpWakePoll);
}

void Reactor::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  SLUICE_ASSERT(op == kOpWakePoll, "unexpected reactor operation");
  uint64_t value;
  ssize_t ignored = ::read(wake_fd_, &value, sizeof value);  // reset the counter
  (void)ignored;
  if (!(cqe.flags & IORING_CQE_F_MORE)) arm_wake_poll();
}

}  // namespace sluice::reactor
