#include "protocols/avro/ipc_client_session.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace sluice::avro {

ClientSession::ClientSession(ClientOptions options) : options_(options) {}

void ClientSession::write_handshake(Writer& w) {
  // As Java's Requestor: our hash, our guess of the server's (ours until a server told us its
  // own), and our protocol text only after the server answered NONE.
  HandshakeRequest request;
  request.client_hash = kFlumeProtocolMd5;
  request.server_hash = server_hash_;
  if (send_protocol_) request.client_protocol = kFlumeProtocolJson;
  encode_handshake_request(request, w);
}

void ClientSession::write_prefix(FlumeMessage message, std::string& out) {
  Writer w(out);
  if (!established_) write_handshake(w);
  w.write_block_count(0);  // empty request metadata
  w.write_string(flume_message_name(message));
}

namespace {

void write_event(const FlumeEvent& event, Writer& w) {
  if (!event.headers.empty()) {
    w.write_block_count(event.headers.size());
    for (const ringbuf::Header& h : event.headers) {
      w.write_string(h.key.empty() && h.id != ringbuf::WellKnownKey::none ? ringbuf::well_known_key_name(h.id) : h.key);
      w.write_string(h.value);
    }
  }
  w.write_end_of_blocks();
  w.write_bytes(event.body);
}

}  // namespace

void ClientSession::encode_append(const FlumeEvent& event, std::string& out) {
  write_prefix(FlumeMessage::append, out);
  Writer w(out);
  write_event(event, w);
}

void ClientSession::encode_append_batch(std::span<const FlumeEvent> events, std::string& out) {
  write_prefix(FlumeMessage::append_batch, out);
  Writer w(out);
  if (!events.empty()) {
    w.write_block_count(events.size());
    for (const FlumeEvent& e : events) write_event(e, w);
  }
  w.write_end_of_blocks();
}

void ClientSession::encode_append_batch(std::span<const ringbuf::EventView> events, std::string& out) {
  write_prefix(FlumeMessage::append_batch, out);
  Writer w(out);
  if (!events.empty()) {
    w.write_block_count(events.size());
    for (const ringbuf::EventView& e : events) {
      const size_t headers = e.header_count() + (e.has_timestamp_header() ? 1 : 0);
      if (headers > 0) {
        w.write_block_count(headers);
        e.for_each_header([&](std::string_view key, std::string_view value) {
          w.write_string(key);
          w.write_string(value);
        });
      }
      w.write_end_of_blocks();
      w.write_bytes(e.body());
    }
  }
  w.write_end_of_blocks();
}

ClientSession::Response ClientSession::decode_response(std::string_view payload) {
  Response r;
  Reader in(payload, options_.limits);
  auto malformed = [&](std::string_view why) {
    r.kind = Response::Kind::error;
    r.error = why;
    r.malformed = true;
    return r;
  };
  if (!established_) {
    HandshakeResponse handshake;
    if (!decode_handshake_response(in, handshake)) return malformed("malformed handshake response");
    switch (handshake.match) {
      case HandshakeMatch::both:
        established_ = true;
        send_protocol_ = false;
        break;
      case HandshakeMatch::client:
        if (handshake.server_hash) server_hash_ = *handshake.server_hash;
        established_ = true;
        send_protocol_ = false;
        break;
      case HandshakeMatch::none:
        if (send_protocol_) {
          // It had our protocol text and still did not take it: retrying would loop.
          r.kind = Response::Kind::error;
          r.error = "server refused our protocol (handshake NONE with the protocol text)";
          return r;
        }
        if (handshake.server_hash) server_hash_ = *handshake.server_hash;
        send_protocol_ = true;
        r.kind = Response::Kind::resend;
        return r;
    }
  }
  std::string_view meta;
  bool is_error = false;
  if (!read_meta(in, meta) || !in.read_boolean(is_error)) return malformed("malformed call response");
  if (!is_error) {
    uint32_t status = 0;
    if (!in.read_enum(kFlumeStatusSymbols, status) || !in.expect_end()) return malformed("malformed Status response");
    r.kind = Response::Kind::status;
    r.status = static_cast<FlumeStatus>(status);
    return r;
  }
  // Flume's messages declare no errors: the error union is {string}, the system error.
  uint32_t branch = 0;
  std::string_view text;
  if (!in.read_union_index(1, branch) || !in.read_string(text) || !in.expect_end())
    return malformed("malformed error response");
  r.kind = Response::Kind::error;
  r.error = text;
  return r;
}

}  // namespace sluice::avro
