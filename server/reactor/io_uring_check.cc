#include "server/reactor/io_uring_check.h"

#include <liburing.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sluice::reactor {
namespace {

struct Check {
  int opcode;
  const char* name;
};

constexpr Check kOpcodes[] = {
    {IORING_OP_ACCEPT, "ACCEPT"},     {IORING_OP_RECV, "RECV"},
    {IORING_OP_RECVMSG, "RECVMSG"},   {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
    {IORING_OP_POLL_ADD, "POLL_ADD"}, {IORING_OP_SEND, "SEND"},
    {IORING_OP_TIMEOUT, "TIMEOUT"},   {IORING_OP_FSYNC, "FSYNC"},
};

std::string kernel_hint() {
  return "sluice needs Linux 6.1 or newer with io_uring enabled (check /proc/sys/kernel/io_uring_disabled "
         "and seccomp/container policies)";
}

}  // namespace

Status check_io_uring_features() {
  io_uring ring{};
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(8, &ring, &params);
  if (rc == -EINVAL) {
    return make_error(fmt::format("io_uring does not accept SINGLE_ISSUER|DEFER_TASKRUN: {}", kernel_hint()));
  }
  if (rc < 0) return make_error(fmt::format("io_uring_setup failed: {}; {}", std::strerror(-rc), kernel_hint()));

  std::string missing;
  if (!(params.features & IORING_FEAT_NODROP)) missing += " FEAT_NODROP";
  if (!(params.features & IORING_FEAT_EXT_ARG)) missing += " FEAT_EXT_ARG";
  if (!(params.features & IORING_FEAT_FAST_POLL)) missing += " FEAT_FAST_POLL";
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  if (!probe) {
    missing += " PROBE";
  } else {
    for (const Check& c : kOpcodes)
      if (!io_uring_opcode_supported(probe, c.opcode)) missing += fmt::format(" OP_{}", c.name);
    io_uring_free_probe(probe);
  }

  // Provided buffer rings have no opcode to probe: register a tiny one.
  const size_t ring_bytes = 4096;
  void* mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem != MAP_FAILED) {
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(mem);
    reg.ring_entries = 8;
    reg.bgid = 0;
    if (io_uring_register_buf_ring(&ring, &reg, 0) < 0) missing += " provided-buffer-rings";
    else io_uring_unregister_buf_ring(&ring, 0);
    munmap(mem, ring_bytes);
  }

  // Multishot accept: arm one on a listening socket and make sure it is not rejected outright.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd >= 0 && listen(fd, 1) == 0) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_multishot_accept(sqe, fd, nullptr, nullptr, 0);
    sqe->user_data = 1;
    sqe = io_uring_get_sqe(&ring);
    io_uring_prep_cancel64(sqe, 1, 0);
    sqe->user_data = 2;
    io_uring_submit_and_wait(&ring, 2);
    io_uring_cqe* cqe;
    while (io_uring_peek_cqe(&ring, &cqe) == 0) {
      if (cqe->user_data == 1 && cqe->res == -EINVAL) missing += " multishot-accept";
      io_uring_cqe_seen(&ring, cqe);
    }
  }
  if (fd >= 0) close(fd);
  io_uring_queue_exit(&ring);

  if (!missing.empty()) return make_error(fmt::format("io_uring lacks:{}; {}", missing, kernel_hint()));
  return {};
}

}  // namespace sluice::reactor
