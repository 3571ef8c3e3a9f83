// The requests of `sluice-bench avro`: one Flume appendBatch call per batch, framed as Avro's
// Netty transport frames it, built once and then only patched:
//
//   serial (int32 BE) | 1 (buffer count) | length (int32 BE) | payload
//   payload: {} (call metadata) | "appendBatch" | [K AvroFlumeEvent {headers: {seq, conn, timestamp}, body}]
//
// This is the request of a connection whose handshake is done (Java's stateful Requestor sends
// no handshake after the first call); until then the connection lets avro::ClientSession encode
// the call with its handshake from events() (views into the template), and the template's
// bytes are exactly what ClientSession would encode (tests/bench/cli/avro_request_test.cc).
// Sequence numbers and timestamps are fixed-width, so lengths never change; moving a request on
// to its next events patches digits, stamping it with its send time the timestamps, sending it
// the serial.
//
// With deflate (Flume's compression-type = deflate: one zlib stream per connection and
// direction, a flush after every frame) the frame is pre-compressed with its serial and digits
// in stored blocks (patchable_deflate.h): every frame decodes without the stream's history, so
// the same bytes can follow any earlier frame in the stream.
//
// Threads: an AvroBatchRequest belongs to one connection thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bench/cli/batch_events.h"
#include "protocols/avro/ipc_client_session.h"
#include "ringbuf/record.h"

namespace sluice::bench {

// The zlib stream header a deflate connection starts with (32 KiB window, default level).
inline constexpr std::string_view kZlibStreamHeader = "\x78\x9c";

struct AvroBatchOptions {
  uint32_t conn = 0;
  size_t body_bytes = 200;  // at least event_body_bytes_min()
  // As in HttpBatchOptions: per-event body sizes from a table, from its entry size_index on.
  std::span<const size_t> body_sizes = {};
  size_t size_index = 0;
  uint32_t events = 100;  // at least 1
  uint64_t first_seq = 0;
  int64_t timestamp_ms = kTimestampMsMin;  // the events' timestamp until stamp()
  bool deflate = false;
  int level = 6;  // Flume's compression-level default
};

class AvroBatchRequest {
 public:
  static Result<AvroBatchRequest> build(const AvroBatchOptions& options);

  // The frame to send on an established connection with `serial` (compressed with deflate).
  // Valid until the next call.
  std::string_view frame(int32_t serial);
  // The uncompressed frame as last patched (for tests).
  std::string_view plain_frame() const { return plain_; }
  // The events, as views into the template, for ClientSession while a handshake is due. Valid
  // until the request is moved on or moved from.
  std::span<const avro::FlumeEvent> events();

  uint32_t size() const { return events_; }
  uint64_t first_seq() const { return first_seq_; }
  bool deflate() const { return deflate_; }

  // Moves the request on to events [first_seq, first_seq + size()). False, leaving it
  // unchanged, when they would not fit kSeqDigits or first_seq is below the current one.
  bool move_to(uint64_t first_seq);
  // Writes `ms` (the send time) into every event's timestamp header.
  void stamp(int64_t ms);

 private:
  AvroBatchRequest() = default;

  struct EventOffsets {
    size_t seq;        // the seq header's value
    size_t conn;       // the conn header's value
    size_t timestamp;  // the timestamp header's value
    size_t body;
    size_t body_bytes;
  };

  std::string plain_;  // the frame, uncompressed
  SeqFields plain_fields_;
  TimestampFields plain_stamps_;
  bool deflate_ = false;
  std::string wire_;  // deflate: the compressed frame
  SeqFields wire_fields_;
  TimestampFields wire_stamps_;
  size_t wire_serial_offset_ = 0;
  uint32_t events_ = 0;
  uint64_t first_seq_ = 0;
  std::vector<EventOffsets> offsets_;
  std::vector<ringbuf::Header> headers_;
  std::vector<avro::FlumeEvent> views_;
};

// Compresses one whole frame (a handshake call, built by ClientSession) so that it decodes
// without the stream's history, as the templates do; appends it to `out`.
Status deflate_frame(std::string_view frame, int level, std::string& out);

}  // namespace sluice::bench
