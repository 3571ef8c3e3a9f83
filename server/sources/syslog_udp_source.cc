#include "server/sources/syslog_udp_source.h"

#include "base/net.h"

namespace sluice::sources {

SyslogUdpSource::SyslogUdpSource(const SyslogSourceOptions& options, int fd, EventWriter writer, SourceProbe& probe)
    : DatagramSource(options.name, fd, probe), options_(options), ingest_(options, std::move(writer), probe) {}

void SyslogUdpSource::on_datagram(std::string_view payload, bool truncated, const sockaddr* sender) {
  size_t size = payload.size();
  // Senders often end a datagram with a newline or NUL; it is framing, not content.
  while (size > 0 && (payload[size - 1] == '\n' || payload[size - 1] == '\r' || payload[size - 1] == '\0')) --size;
  if (size == 0) return;
  if (size > options_.event_bytes_max) {
    size = options_.event_bytes_max;
    truncated = true;
  }
  char ip[48];
  size_t ip_len = 0;
  if (!options_.event.client_ip_header.empty() && sender != nullptr) ip_len = base::format_ip(sender, ip, sizeof ip);
  if (!ingest_.ingest(payload.substr(0, size), truncated, std::string_view(ip, ip_len)))
    source_probe().event_rejected(size);
}

}  // namespace sluice::sources
