#include "base/net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace sluice::base {

Result<int> open_listener(Transport transport, const std::string& host, uint16_t port, PortSharing sharing) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = transport == Transport::tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) return make_error(fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc)));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, freeaddrinfo);

  const char* what = transport == Transport::tcp ? "TCP" : "UDP";
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(fmt::format("cannot create a {} socket: {}", what, std::strerror(errno)));
  int one = 1;
  // For TCP this only lets a restart bind past old TIME_WAIT connections. For UDP it would let
  // two sockets share the address, so it is left off there.
  if (transport == Transport::tcp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (sharing == PortSharing::shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return make_error(fmt::format("cannot set SO_REUSEPORT: {}", std::strerror(err)));
  }
  if (transport == Transport::udp) {
    // Datagrams that arrive while a shard is busy wait here; a bigger queue means fewer drops
    // in bursts. FORCE works for root beyond net.core.rmem_max; otherwise take what we get.
    int bytes = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
    int err = errno;
    close(fd);
    return make_error(fmt::format("cannot bind {} {}:{}: {}", what, host, port, std::strerror(err)));
  }
  if (transport == Transport::tcp && listen(fd, 4096) != 0) {
    int err = errno;
    close(fd);
    return make_error(fmt::format("cannot listen on {}:{}: {}", host, port, std::strerror(err)));
  }
  return fd;
}

Status check_address_free(Transport transport, const std::string& host, uint16_t port) {
  auto fd = open_listener(transport, host, port, PortSharing::exclusive);
  if (!fd.ok()) {
    if (fd.error().message.find(std::strerror(EADDRINUSE)) != std::string::npos)
      return make_error(fd.error().message + " (is another sluice or syslog server running?)");
    return Error{fd.error().message};
  }
  close(fd.value());
  return {};
}

size_t format_ip(const sockaddr* address, char* out, size_t size) {
  const char* text = nullptr;
  if (address->sa_family == AF_INET) {
    text = inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, out, size);
  } else if (address->sa_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) text = inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], out, size);
    else text = inet_ntop(AF_INET6, &a6->sin6_addr, out, size);
  }
  return text ? std::strlen(out) : 0;
}

}  // namespace sluice::base
