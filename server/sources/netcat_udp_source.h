// Flume's `netcatudp` source (NetcatUdpSource) on one shard: one event per datagram, its body
// the bytes before the first LF (the LF and what follows are dropped, as in Flume), and with
// remoteAddress set, the sender ("/127.0.0.1:54321", as Java prints it) under that header. UDP
// cannot push back: a datagram a full channel refuses is dropped and counted, as in Flume.
//
// Threads: constructed on the main thread; everything else on the shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringbuf/append.h"
#include "server/sources/datagram_source.h"
#include "server/sources/event_writer.h"

namespace sluice::sources {

// The largest UDP payload (IPv4): every datagram is received whole.
inline constexpr size_t kNetcatUdpPayloadMax = 65507;

struct NetcatUdpSourceOptions {
  std::string name;
  std::string host;
  uint16_t port = 0;
  std::string remote_address_header;  // empty: no header
};

class NetcatUdpSource final : public DatagramSource {
 public:
  NetcatUdpSource(const NetcatUdpSourceOptions& options, int fd, EventWriter writer, SourceProbe& probe);

 private:
  void on_datagram(std::string_view payload, bool truncated, const sockaddr* sender) override;

  const NetcatUdpSourceOptions& options_;
  EventWriter writer_;
  std::vector<ringbuf::PreparedEvent> prepared_;  // one datagram's event, capacity kept
};

}  // namespace sluice::sources
