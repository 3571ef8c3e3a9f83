// Syslog over UDP (Flume's `syslogudp`) on one shard: a DatagramSource with one message per
// datagram. When a channel is full the datagram is dropped and counted (rejected events).
// Shard thread only.
#pragma once

#include "server/sources/datagram_source.h"
#include "server/sources/syslog_ingest.h"

namespace sluice::sources {

class SyslogUdpSource final : public DatagramSource {
 public:
  SyslogUdpSource(const SyslogSourceOptions& options, int fd, EventWriter writer, SourceProbe& probe);

  void begin_batch(int64_t now_ms) override { ingest_.set_now(now_ms); }

 private:
  void on_datagram(std::string_view payload, bool truncated, const sockaddr* sender) override;

  const SyslogSourceOptions& options_;
  SyslogIngest ingest_;
};

}  // namespace sluice::sources
