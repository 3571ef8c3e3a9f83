// Listening sockets for sources. Created on the main thread before the shards start, so that a
// bad address or a port in use is a start-up error naming the source; each shard gets its own
// socket on the same address (SO_REUSEPORT) and the kernel spreads connections and datagrams
// across them.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::base {

enum class Transport { tcp, udp };

enum class PortSharing {
  // SO_REUSEPORT: one socket per shard on the same address.
  shared,
  // A plain socket: binding fails when anything (another process's SO_REUSEPORT group
  // included) already uses the address.
  exclusive,
};

// A bound (and, for TCP, listening) non-blocking socket. Ownership passes to the caller.
Result<int> open_listener(Transport transport, const std::string& host, uint16_t port,
                          PortSharing sharing = PortSharing::exclusive);

// Fails with a clear message when the address is in use. Call once before opening a group of
// shared sockets: SO_REUSEPORT would otherwise let a second sluice (same user) join the first
// one's group and silently take part of its traffic.
Status check_address_free(Transport transport, const std::string& host, uint16_t port);

// "1.2.3.4" / "::1" for an IPv4 or IPv6 address (mapped IPv4 addresses printed as IPv4).
// Writes at most `size` bytes to `out` and returns the length.
size_t format_ip(const sockaddr* address, char* out, size_t size);

}  // namespace sluice::base
