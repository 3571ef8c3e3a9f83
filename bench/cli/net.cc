#include "bench/cli/net.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/time.h"

namespace sluice::bench {
namespace {

// Waits for a non-blocking connect to finish; returns 0 or the errno it failed with.
int finish_connect(int fd, int64_t deadline_ms) {
  while (true) {
    int64_t left_ms = deadline_ms - base::monotonic_ms();
    if (left_ms <= 0) return ETIMEDOUT;
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (n < 0 && errno != EINTR) return errno;
    if (n <= 0) continue;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
  }
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string errno_text(int error) {
  char buffer[256];
  // The GNU strerror_r returns the message, which may or may not be in `buffer`.
  return std::string(strerror_r(error, buffer, sizeof buffer));
}

Result<std::vector<SocketAddress>> resolve(const std::string& host, uint16_t port, int socktype,
                                           const std::string& shown) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    std::string reason = rc == EAI_SYSTEM ? errno_text(errno) : gai_strerror(rc);
    return make_error(fmt::format("cannot resolve {}: {}", shown, reason));
  }
  std::vector<SocketAddress> out;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress address;
    std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
    address.length = a->ai_addrlen;
    address.family = a->ai_family;
    out.push_back(address);
  }
  ::freeaddrinfo(found);
  if (out.empty()) return make_error(fmt::format("cannot resolve {}: no usable address", shown));
  return out;
}

Result<Connected> connect_first(std::span<const SocketAddress> addresses, int socktype, int64_t timeout_ms,
                                const std::string& shown) {
  int64_t deadline_ms = base::monotonic_ms() + timeout_ms;
  int last_error = EINVAL;
  for (size_t i = 0; i < addresses.size(); ++i) {
    const SocketAddress& address = addresses[i];
    UniqueFd fd(::socket(address.family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
      last_error = errno;
      continue;
    }
    int rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length);
    int error = rc == 0 ? 0 : errno;
    if (error == EINPROGRESS) error = finish_connect(fd.get(), deadline_ms);
    if (error == 0) return Connected{std::move(fd), i};
    last_error = error;
  }
  std::string reason =
      last_error == ETIMEDOUT ? fmt::format("timed out after {} ms", timeout_ms) : errno_text(last_error);
  return make_error(fmt::format("cannot connect to {}: {}", shown, reason));
}

}  // namespace sluice::bench
