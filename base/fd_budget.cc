#include "base/fd_budget.h"

#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "base/assert.h"

namespace sluice::base {

Result<OpenFilesLimit> raise_open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return make_error(fmt::format("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno)));
  OpenFilesLimit out{.soft_before = limit.rlim_cur, .soft = limit.rlim_cur, .hard = limit.rlim_max};
  if (limit.rlim_cur >= limit.rlim_max) return out;
  rlim_t target = limit.rlim_max;
  // An unlimited hard limit cannot be the soft one: the kernel caps descriptors at nr_open.
  if (target == RLIM_INFINITY) {
    std::ifstream nr_open("/proc/sys/fs/nr_open");
    uint64_t value = 0;
    target = (nr_open >> value) && value > 0 ? value : 1u << 20;
  }
  rlimit raised{.rlim_cur = target, .rlim_max = limit.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0)
    return make_error(fmt::format("setrlimit(RLIMIT_NOFILE, {}): {}", target, std::strerror(errno)));
  out.soft = target;
  return out;
}

uint64_t count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t count = 0;
  while (dirent* entry = readdir(dir))
    if (entry->d_name[0] != '.') ++count;
  closedir(dir);
  return count > 0 ? count - 1 : 0;  // not the directory's own descriptor
}

uint64_t fd_reserve(uint64_t soft_limit) { return std::clamp<uint64_t>(soft_limit / 8, 64, 4096); }

uint64_t connection_fd_capacity(uint64_t soft_limit, uint64_t open_now, uint64_t reserve) {
  const uint64_t kept = open_now + reserve;
  return soft_limit > kept ? soft_limit - kept : 1;
}

bool FdBudget::try_acquire() {
  uint64_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (used >= capacity()) return false;
  } while (!in_use_.compare_exchange_weak(used, used + 1, std::memory_order_relaxed));
  return true;
}

void FdBudget::release() {
  uint64_t before = in_use_.fetch_sub(1, std::memory_order_relaxed);
  SLUICE_ASSERT(before > 0, "FdBudget released more than acquired");
}

}  // namespace sluice::base
