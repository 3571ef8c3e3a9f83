#include "server/sources/netcat_udp_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "base/net.h"

namespace sluice::sources {
namespace {

// "/ip:port", as Java's InetSocketAddress.toString() writes what Flume puts in the header.
size_t format_sender(const sockaddr* sender, char* out, size_t size) {
  out[0] = '/';
  size_t n = 1 + base::format_ip(sender, out + 1, size - 1);
  if (n == 1) return 0;
  uint16_t port = 0;
  if (sender->sa_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in*>(sender)->sin_port);
  else if (sender->sa_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6*>(sender)->sin6_port);
  out[n++] = ':';
  auto [end, ec] = std::to_chars(out + n, out + size, port);
  return ec == std::errc() ? static_cast<size_t>(end - out) : 0;
}

}  // namespace

NetcatUdpSource::NetcatUdpSource(const NetcatUdpSourceOptions& options, int fd, EventWriter writer, SourceProbe& probe)
    : DatagramSource(options.name, fd, probe), options_(options), writer_(std::move(writer)) {
  prepared_.reserve(1);
}

void NetcatUdpSource::on_datagram(std::string_view payload, bool truncated, const sockaddr* sender) {
  (void)truncated;  // the buffers hold the largest datagram
  if (const void* lf = std::memchr(payload.data(), '\n', payload.size()))
    payload = payload.substr(0, static_cast<size_t>(static_cast<const char*>(lf) - payload.data()));
  char address[72];
  size_t address_len = 0;
  ringbuf::Header header;
  if (!options_.remote_address_header.empty() && sender != nullptr) {
    address_len = format_sender(sender, address, sizeof address);
    header = {options_.remote_address_header, std::string_view(address, address_len)};
  }
  prepared_.clear();
  prepared_.push_back({now_ms(), std::span<const ringbuf::Header>(&header, address_len > 0 ? 1 : 0), payload});
  const EventWriter::Written written = writer_.write(prepared_, now_ms());
  SourceProbe& probe = source_probe();
  if (written.refusal != ringbuf::AppendRefusal::none) {
    probe.event_rejected(payload.size());
    return;
  }
  if (written.filtered > 0) probe.event_filtered(payload.size());
  else probe.event_accepted(payload.size());
  probe.routed(written.unrouted, written.optional_dropped);
}

}  // namespace sluice::sources
