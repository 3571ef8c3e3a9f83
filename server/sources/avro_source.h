// Flume's Avro RPC source (`avro`) on one shard: a StreamServer whose connections speak Avro
// IPC over Netty's framing (server/avro), exactly as Flume's Avro sink, `flume-ng avro-client`
// and Flume's RPC client SDK send it: append and appendBatch of AvroFlumeEvents, the stateful
// handshake, optional deflate (a zlib stream over the whole connection).
//
// A call's events are stored all or none. The Status OK is answered once they are in every
// channel (durable, for a channel in fsync mode), FAILED at once when a channel is full, so the
// client retries. Malformed frames or Avro data close the connection with a log line and a
// counter; a frame or a batch over the limits is refused before anything is allocated for it.
// ipFilterRules (Flume's syntax, ip rules) can refuse connections by address.
//
// Threads: constructed on the main thread; everything else on the shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "server/avro/flume_protocol.h"
#include "server/base/ip_filter.h"
#include "server/base/result.h"
#include "server/sources/stream_server.h"

namespace sluice::sources {

class AvroConnection;

struct AvroSourceOptions {
  std::string name;
  std::string host;
  uint16_t port = 0;
  bool deflate = false;
  bool ip_filter = false;
  std::vector<base::IpFilterRule> ip_filter_rules;
  size_t frame_bytes_max = 64u << 20;
  size_t events_per_call_max = 100'000;
  uint32_t connections_max = 10000;
  int64_t idle_timeout_ms = 0;  // 0: none (Flume keeps connections open)
};

class AvroSource final : public StreamServer {
 public:
  AvroSource(const AvroSourceOptions& options, int listen_fd, std::vector<ringbuf::Log*> logs, SourceProbe& probe);

  void begin_batch(int64_t now_ms) override { now_ms_ = now_ms; }

 private:
  friend class AvroConnection;
  StreamConnection* make_connection(int fd) override;

  const AvroSourceOptions& options_;
  std::vector<ringbuf::Log*> logs_;
  avro::ProtocolRegistry registry_;
  std::vector<ringbuf::PreparedEvent> prepared_;
  int64_t now_ms_ = 0;
};

}  // namespace sluice::sources
