#include "protocols/avro/ipc_server_session.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace sluice::avro {
namespace {

bool is_limit(errc code) {
  return code == errc::length_over_limit || code == errc::items_over_limit || code == errc::total_over_limit ||
         code == errc::key_over_limit;
}

// The smallest encodings: an event is an empty map (1 byte) and an empty body (1 byte); a
// header is an empty key and an empty value.
constexpr size_t kEventBytesMin = 2;
constexpr size_t kHeaderBytesMin = 2;
// Call and handshake metadata entries allowed beyond the events' items (Java plugins add a few).
constexpr size_t kMetaItemsMax = 1024;

}  // namespace

ServerSession::ServerSession(ProtocolRegistry& registry, ServerOptions options)
    : registry_(&registry), options_(options) {
  SLUICE_ASSERT(options_.events_max > 0 && options_.headers_per_event_max > 0 && options_.value_bytes_max > 0,
                "server session limits must be positive");
  // The record format stores a header count in 16 bits and a value or body length in 32.
  SLUICE_ASSERT(options_.headers_per_event_max <= 0xFFFF, "headers_per_event_max past the record format's u16");
  SLUICE_ASSERT(options_.value_bytes_max <= 0xFFFFFFFFu, "value_bytes_max past the record format's u32");
  limits_.length_bytes_max = std::max(options_.value_bytes_max, options_.client_protocol_bytes_max);
  limits_.items_max = std::max({options_.events_max, options_.headers_per_event_max, kMetaItemsMax});
  limits_.total_items_max = options_.events_max + options_.headers_per_request_max + 2 * kMetaItemsMax;
}

const ServerSession::Call& ServerSession::reply_error(std::string_view problem, std::string_view message,
                                                      bool malformed) {
  // As Java's Responder: whatever handshake response was written stays in front, then the
  // metadata and a system error (union {string}, branch 0) with the exception's text.
  out_.resize(handshake_bytes_);
  Writer w(out_);
  w.write_block_count(0);  // empty response metadata: the map's end marker only
  w.write_boolean(true);
  w.write_union_index(0);
  w.write_string(message);
  call_.kind = Call::Kind::reply;
  call_.problem = problem;
  call_.malformed = malformed;
  call_.events = {};
  return call_;
}

bool ServerSession::handshake(Reader& in) {
  HandshakeRequest request;
  if (!decode_handshake_request(in, request)) {
    reply_error(errc_reason(in.error()), std::string(kJavaRuntimeExceptionPrefix) + "malformed handshake request",
                true);
    return false;
  }
  RemoteProtocol remote;
  bool known = false;
  if (const RemoteProtocol* r = registry_->find(request.client_hash)) {
    remote = *r;
    known = true;
  } else if (request.client_protocol) {
    if (request.client_protocol->size() > options_.client_protocol_bytes_max) {
      reply_error("client protocol longer than the limit",
                  std::string(kJavaRuntimeExceptionPrefix) + "client protocol longer than the limit", true);
      return false;
    }
    std::string_view error;
    if (!check_client_protocol(*request.client_protocol, remote, error)) {
      reply_error(error, std::string(kJavaRuntimeExceptionPrefix) + std::string(error), true);
      return false;
    }
    registry_->remember(request.client_hash, remote);  // when full: for this connection only
    known = true;
  }
  // Java's Responder: BOTH when the client guessed our hash and we know its protocol, CLIENT
  // when we know its protocol but it guessed wrong, NONE when we do not know its protocol.
  HandshakeResponse response;
  if (!known) response.match = HandshakeMatch::none;
  else response.match = request.server_hash == kFlumeProtocolMd5 ? HandshakeMatch::both : HandshakeMatch::client;
  if (response.match != HandshakeMatch::both) {
    response.server_protocol = kFlumeProtocolJson;
    response.server_hash = kFlumeProtocolMd5;
  }
  Writer w(out_);
  encode_handshake_response(response, w);
  handshake_bytes_ = out_.size();
  if (!known) {
    // No call follows a failed handshake: the client sends it again with its protocol text.
    call_.kind = Call::Kind::reply;
    return false;
  }
  established_ = true;
  remote_ = remote;
  client_hash_ = request.client_hash;
  return true;
}

bool ServerSession::decode_event(Reader& in) {
  const size_t first_header = headers_.size();
  Reader::Block block;
  while (in.read_block(kHeaderBytesMin, block) && block.count > 0) {
    if (block.items_total > options_.headers_per_event_max) return in.fail(errc::items_over_limit);
    if (headers_.size() + block.count > options_.headers_per_request_max) return in.fail(errc::total_over_limit);
    for (size_t i = 0; i < block.count; ++i) {
      std::string_view key;
      std::string_view value;
      if (!in.read_string(key) || !in.read_string(value)) return false;
      // The record format's own limit (its u16 key field), checked here so that the batch is
      // answered with an error rather than reaching encode_record()'s assertion.
      if (key.size() > ringbuf::kHeaderKeyBytesMax) return in.fail(errc::key_over_limit);
      if (value.size() > options_.value_bytes_max) return in.fail(errc::length_over_limit);
      // Resolved once here rather than each time the channel sizes and encodes the record.
      headers_.push_back(ringbuf::resolved_header(key, value));
    }
    if (!in.end_block(block)) return false;
  }
  std::string_view body;
  if (!in.read_bytes(body)) return false;
  if (body.size() > options_.value_bytes_max) return in.fail(errc::length_over_limit);
  events_.push_back({{}, body});
  event_header_counts_.push_back(static_cast<uint32_t>(headers_.size() - first_header));
  call_.body_bytes += body.size();
  return true;
}

void ServerSession::link_events() {
  // The header arena may have moved while it grew: spans are made once it is complete.
  size_t next = 0;
  for (size_t i = 0; i < events_.size(); ++i) {
    events_[i].headers = std::span<const ringbuf::Header>(headers_.data() + next, event_header_counts_[i]);
    next += event_header_counts_[i];
  }
  call_.events = events_;
}

const ServerSession::Call& ServerSession::on_request(std::string_view payload) {
  call_ = Call{};
  out_.clear();
  handshake_bytes_ = 0;
  headers_.clear();
  events_.clear();
  event_header_counts_.clear();

  Reader in(payload, limits_);
  const bool repeated_handshake = established_ && payload.size() > client_hash_.size() &&
                                  std::memcmp(payload.data(), client_hash_.data(), client_hash_.size()) == 0;
  if (!established_ || repeated_handshake) {
    call_.handshake = true;
    if (!handshake(in)) return call_;
  }
  std::string_view meta;
  std::string_view name;
  if (!read_meta(in, meta) || !in.read_string(name)) {
    const bool limit = is_limit(in.error());
    call_.over_limit = limit;
    return reply_error(
        errc_reason(in.error()),
        std::string(kJavaRuntimeExceptionPrefix) + "malformed call request: " + std::string(errc_reason(in.error())),
        !limit);
  }
  if (name.empty()) {
    // A handshake ping: Java answers with the handshake response alone (nothing at all on an
    // established connection).
    call_.kind = Call::Kind::reply;
    call_.problem = "ping";
    return call_;
  }
  FlumeMessage message;
  if (name == "append") {
    message = FlumeMessage::append;
  } else if (name == "appendBatch") {
    message = FlumeMessage::append_batch;
  } else {
    return reply_error("unknown message",
                       std::string(kJavaRuntimeExceptionPrefix) + "No such remote message: " + std::string(name),
                       false);
  }
  call_.message = message;
  if (!remote_.declares(message)) {
    return reply_error("message not in the client's protocol",
                       std::string(kJavaRuntimeExceptionPrefix) + "No such remote message: " + std::string(name),
                       false);
  }
  if (!remote_.supports(message)) {
    return reply_error("client's message layout differs from Flume's",
                       std::string(kJavaRuntimeExceptionPrefix) + "client's " + std::string(name) +
                           " request is not Flume's AvroFlumeEvent layout",
                       false);
  }

  bool ok = true;
  if (message == FlumeMessage::append) {
    ok = decode_event(in);
  } else {
    Reader::Block block;
    while ((ok = in.read_block(kEventBytesMin, block)) && block.count > 0) {
      if (block.items_total > options_.events_max) {
        ok = in.fail(errc::items_over_limit);
        break;
      }
      for (size_t i = 0; ok && i < block.count; ++i) ok = decode_event(in);
      if (!ok || !(ok = in.end_block(block))) break;
    }
  }
  if (ok) ok = in.expect_end();
  if (!ok) {
    const bool limit = is_limit(in.error());
    call_.over_limit = limit;
    error_text_.assign(kJavaRuntimeExceptionPrefix);
    error_text_.append(limit ? "request over a limit of this server: " : "malformed request: ");
    error_text_.append(errc_reason(in.error()));
    return reply_error(errc_reason(in.error()), error_text_, !limit);
  }
  link_events();
  call_.kind = Call::Kind::events;
  return call_;
}

std::string_view ServerSession::respond(FlumeStatus status) {
  SLUICE_ASSERT(call_.kind == Call::Kind::events, "respond() without a call to answer");
  out_.resize(handshake_bytes_);
  Writer w(out_);
  w.write_block_count(0);  // empty response metadata
  w.write_boolean(false);
  w.write_enum(static_cast<uint32_t>(status));
  return out_;
}

std::string_view ServerSession::respond_error(std::string_view message) {
  SLUICE_ASSERT(call_.kind == Call::Kind::events, "respond_error() without a call to answer");
  // reply_error() keeps call_ valid for the caller's views; only its kind changes.
  const auto events = call_.events;
  reply_error(call_.problem, message, false);
  call_.events = events;
  return out_;
}

}  // namespace sluice::avro
