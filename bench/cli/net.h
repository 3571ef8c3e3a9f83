// Socket helpers for sluice-bench: name resolution and connecting with a deadline. Errors read
// the way an operator needs them: "cannot connect to 127.0.0.1:5514: Connection refused".
//
// Threads: any thread; every call blocks for at most its timeout.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace sluice::bench {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = 0;
};

// The addresses of host:port for `socktype` (SOCK_STREAM or SOCK_DGRAM), in resolver order.
// `shown` names the target in errors.
Result<std::vector<SocketAddress>> resolve(const std::string& host, uint16_t port, int socktype,
                                           const std::string& shown);

struct Connected {
  UniqueFd fd;           // non-blocking
  size_t address_index;  // which of the addresses answered
};

// A non-blocking socket of `socktype` connected to the first address that accepts within
// timeout_ms (for UDP, connect() only fixes the peer). The error names `shown` and the reason
// of the last address tried.
Result<Connected> connect_first(std::span<const SocketAddress> addresses, int socktype, int64_t timeout_ms,
                                const std::string& shown);

// strerror_r as a std::string.
std::string errno_text(int error);

}  // namespace sluice::bench
