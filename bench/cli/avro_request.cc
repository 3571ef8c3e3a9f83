#include "bench/cli/avro_request.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/bytes.h"
#include "bench/cli/patchable_deflate.h"
#include "protocols/avro/avro_binary.h"
#include "protocols/avro/flume_protocol.h"
#include "protocols/avro/netty_frame.h"

namespace sluice::bench {
namespace {

constexpr size_t kSerialBytes = 4;

}  // namespace

Status deflate_frame(std::string_view frame, int level, std::string& out) {
  std::vector<size_t> none;
  return deflate_patchable(frame, {}, {.level = level}, out, none);
}

Result<AvroBatchRequest> AvroBatchRequest::build(const AvroBatchOptions& o) {
  if (o.events == 0) return make_error("a batch needs at least one event");
  if (Status sizes = check_body_sizes(o.body_sizes, o.body_bytes); !sizes) return make_error(sizes.message());
  if (o.first_seq + o.events > kSeqEnd) return make_error(fmt::format("sequence numbers above {} digits", kSeqDigits));

  AvroBatchRequest r;
  r.events_ = o.events;
  r.first_seq_ = o.first_seq;
  r.deflate_ = o.deflate;

  // The payload, exactly as ClientSession::encode_append_batch() writes it without a handshake.
  std::string payload;
  avro::Writer w(payload);
  w.write_block_count(0);  // empty call metadata
  w.write_string(avro::flume_message_name(avro::FlumeMessage::append_batch));
  w.write_block_count(o.events);
  const std::string conn = format_conn(o.conn);
  const std::string timestamp = format_timestamp_ms(o.timestamp_ms);
  std::string body;
  for (uint32_t i = 0; i < o.events; ++i) {
    const uint64_t seq = o.first_seq + i;
    EventOffsets at{};
    w.write_block_count(3);
    w.write_string(kSeqHeader);
    w.write_string(format_seq(seq));
    at.seq = payload.size() - kSeqDigits;
    w.write_string(kConnHeader);
    w.write_string(conn);
    at.conn = payload.size() - kConnDigits;
    w.write_string(kTimestampHeader);
    w.write_string(timestamp);
    at.timestamp = payload.size() - kTimestampDigits;
    w.write_end_of_blocks();
    body.clear();
    at.body_bytes = body_size_of(o.body_sizes, o.size_index, i, o.body_bytes);
    const size_t seq_in_body = append_event_body(body, o.conn, seq, at.body_bytes);
    w.write_bytes(body);
    at.body = payload.size() - body.size();
    r.plain_fields_.add(at.seq);
    r.plain_fields_.add(at.body + seq_in_body);
    r.plain_stamps_.add(at.timestamp);
    r.offsets_.push_back(at);
  }
  w.write_end_of_blocks();

  avro::encode_frame(0, payload, r.plain_);
  const size_t payload_offset = r.plain_.size() - payload.size();
  r.plain_fields_.shift(payload_offset);
  r.plain_stamps_.shift(payload_offset);
  for (EventOffsets& at : r.offsets_) {
    at.seq += payload_offset;
    at.conn += payload_offset;
    at.timestamp += payload_offset;
    at.body += payload_offset;
  }

  if (o.deflate) {
    // The serial, then per event its seq header, timestamp header and body's seq, in the order
    // they lie in the frame.
    std::vector<ByteRange> fields{{0, kSerialBytes}};
    for (const EventOffsets& at : r.offsets_) {
      fields.push_back({at.seq, at.seq + kSeqDigits});
      fields.push_back({at.timestamp, at.timestamp + kTimestampDigits});
      const size_t body_seq = at.body + (event_body_bytes_min() - kSeqDigits);
      fields.push_back({body_seq, body_seq + kSeqDigits});
    }
    std::vector<size_t> wire_offsets;
    Status deflated = deflate_patchable(r.plain_, fields, {.level = o.level}, r.wire_, wire_offsets);
    if (!deflated) return Error{deflated.message()};
    r.wire_serial_offset_ = wire_offsets[0];
    for (size_t i = 1; i < wire_offsets.size(); i += 3) {
      r.wire_fields_.add(wire_offsets[i]);
      r.wire_stamps_.add(wire_offsets[i + 1]);
      r.wire_fields_.add(wire_offsets[i + 2]);
    }
  }
  r.headers_.resize(3 * size_t{o.events});
  r.views_.resize(o.events);
  return r;
}

std::string_view AvroBatchRequest::frame(int32_t serial) {
  base::store_be32(plain_.data(), static_cast<uint32_t>(serial));
  if (!deflate_) return plain_;
  base::store_be32(wire_.data() + wire_serial_offset_, static_cast<uint32_t>(serial));
  return wire_;
}

std::span<const avro::FlumeEvent> AvroBatchRequest::events() {
  const std::string_view text = plain_;
  for (uint32_t i = 0; i < events_; ++i) {
    const EventOffsets& at = offsets_[i];
    headers_[3 * i] = {kSeqHeader, text.substr(at.seq, kSeqDigits)};
    headers_[3 * i + 1] = {kConnHeader, text.substr(at.conn, kConnDigits)};
    headers_[3 * i + 2] = {kTimestampHeader, text.substr(at.timestamp, kTimestampDigits)};
    views_[i] = {std::span<const ringbuf::Header>(headers_).subspan(3 * i, 3), text.substr(at.body, at.body_bytes)};
  }
  return views_;
}

bool AvroBatchRequest::move_to(uint64_t first_seq) {
  if (first_seq < first_seq_ || first_seq > kSeqEnd - events_) return false;
  const uint64_t delta = first_seq - first_seq_;
  if (delta == 0) return true;
  plain_fields_.advance(plain_, delta);
  if (deflate_) wire_fields_.advance(wire_, delta);
  first_seq_ = first_seq;
  return true;
}

void AvroBatchRequest::stamp(int64_t ms) {
  const std::string digits = format_timestamp_ms(ms);
  plain_stamps_.write(plain_, digits);
  if (deflate_) wire_stamps_.write(wire_, digits);
}

}  // namespace sluice::bench
