// Flume's Avro RPC source (`avro`) on one shard: a StreamServer whose connections speak Avro
// IPC over Netty's framing (protocols/avro), exactly as Flume's Avro sink, `flume-ng avro-client`
// and Flume's RPC client SDK send it: append and appendBatch of AvroFlumeEvents, the stateful
// handshake, optional deflate (a zlib stream over the whole connection).
//
// A call's events are stored all or none. The Status OK is answered once they are in every
// channel (durable, for a channel in fsync mode), FAILED at once when a channel is full, so the
// client retries. Malformed frames or Avro data close the connection with a log line and a
// counter; a frame or a batch over the limits is refused before anything is allocated for it.
// ipFilterRules (Flume's syntax, ip rules) can refuse connections by address.
//
// What a hostile or broken client can hold is bounded: a frame begun must be finished within
// frame_timeout_ms; the bytes of all partial frames on the shard (gathered, or inflated from
// deflate) are charged to one budget, partial_bytes_max, and the connection whose frame would
// pass it is closed (counted limit_exceeded); a connection's inflating is cut into slices per
// event-loop turn so that a deflate bomb cannot starve the other connections.
//
// Threads: constructed on the main thread; everything else on the shard's thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_filter.h"
#include "base/result.h"
#include "protocols/avro/byte_budget.h"
#include "protocols/avro/flume_protocol.h"
#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "server/sources/event_writer.h"
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
  // Nothing received for this long closes a connection, in the middle of a frame too (answers
  // still queued for it excepted). 0: never (Flume keeps connections open).
  int64_t idle_timeout_ms = 0;
  // A frame begun must be complete within this long, or the connection is closed. 0: never.
  int64_t frame_timeout_ms = 30'000;
  int64_t send_timeout_ms = 30'000;
  // The most bytes this source's connections on one shard may hold for partial frames.
  size_t partial_bytes_max = size_t{256} << 20;
};

namespace detail {
// Constructed before, and destroyed after, the StreamServer base (whose destructor deletes the
// connections left after a stop that timed out, and they give their bytes back).
struct AvroPartialBudget {
  AvroPartialBudget(size_t bytes_max, SourceProbe& probe)
      : partial_budget(
            bytes_max, [](void* p, int64_t delta) { static_cast<SourceProbe*>(p)->partial_bytes_changed(delta); },
            &probe) {}
  avro::ByteBudget partial_budget;
};
}  // namespace detail

class AvroSource final : private detail::AvroPartialBudget, public StreamServer {
 public:
  AvroSource(const AvroSourceOptions& options, int listen_fd, EventWriter writer, SourceProbe& probe);

  void begin_batch(int64_t now_ms) override {
    now_ms_ = now_ms;
    inflate_left_bytes_ = kInflateTurnBytesMax;
    yielded_ = false;
  }
  // A connection stopped inflating for this turn with work left: come back at once (the shard
  // polls again within a millisecond) rather than after an idle wait.
  bool waiting_for_space() const override { return yielded_ || StreamServer::waiting_for_space(); }

  // Inflated bytes all connections together may produce in one event-loop turn, and the most
  // one connection's slice may take of it; every slice may take at least the minimum, so
  // that each connection progresses whatever the others do.
  static constexpr size_t kInflateTurnBytesMax = size_t{4} << 20;
  static constexpr size_t kInflateSliceBytesMax = size_t{1} << 20;
  static constexpr size_t kInflateSliceBytesMin = 64 << 10;

  size_t partial_bytes() const { return partial_budget.held(); }

 private:
  friend class AvroConnection;
  StreamConnection* make_connection(int fd) override;
  size_t inflate_slice_bytes() const {
    return std::max(kInflateSliceBytesMin, std::min(kInflateSliceBytesMax, inflate_left_bytes_));
  }
  void inflated(size_t n) { inflate_left_bytes_ -= std::min(n, inflate_left_bytes_); }

  const AvroSourceOptions& options_;
  EventWriter writer_;
  avro::ProtocolRegistry registry_;
  std::vector<ringbuf::PreparedEvent> prepared_;
  int64_t now_ms_ = 0;
  size_t inflate_left_bytes_ = kInflateTurnBytesMax;
  bool yielded_ = false;
};

}  // namespace sluice::sources
