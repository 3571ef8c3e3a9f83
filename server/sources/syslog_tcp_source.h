// Syslog over TCP (Flume's `syslogtcp`) on one shard: a StreamServer whose connections frame
// the stream per RFC 6587 (octet counting or LF, per message) and store every message. When a
// channel is full a connection pauses and keeps what it already received, so the kernel's
// window pushes back on the sender. Shard thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/syslog/tcp_framer.h"
#include "server/sources/stream_server.h"
#include "server/sources/syslog_ingest.h"

namespace sluice::sources {

class SyslogTcpSource final : public StreamServer {
 public:
  SyslogTcpSource(const SyslogSourceOptions& options, int listen_fd, EventWriter writer, SourceProbe& probe);

  void begin_batch(int64_t now_ms) override { ingest_.set_now(now_ms); }
  Status start(ShardContext& context) override {
    ingest_.set_now(context.now_ms);
    return StreamServer::start(context);
  }

 private:
  friend class SyslogConnection;
  StreamConnection* make_connection(int fd) override;

  const SyslogSourceOptions& options_;
  SyslogIngest ingest_;
};

}  // namespace sluice::sources
