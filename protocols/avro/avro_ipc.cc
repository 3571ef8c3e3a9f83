#include "protocols/avro/avro_ipc.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace sluice::avro {

std::string_view handshake_match_name(HandshakeMatch match) {
  switch (match) {
    case HandshakeMatch::both: return "BOTH";
    case HandshakeMatch::client: return "CLIENT";
    case HandshakeMatch::none: return "NONE";
  }
  return "?";
}

namespace {

constexpr uint32_t kHandshakeMatchSymbols = 3;

bool read_md5(Reader& in, Md5& out) {
  std::string_view bytes;
  if (!in.read_fixed(out.size(), bytes)) return false;
  std::memcpy(out.data(), bytes.data(), out.size());
  return true;
}

void write_md5(const Md5& hash, Writer& out) {
  out.write_fixed(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

// union {null, string}
bool read_optional_string(Reader& in, std::optional<std::string_view>& out) {
  uint32_t branch = 0;
  if (!in.read_union_index(2, branch)) return false;
  out.reset();
  if (branch == 0) return true;
  std::string_view value;
  if (!in.read_string(value)) return false;
  out = value;
  return true;
}

void write_optional_string(const std::optional<std::string_view>& value, Writer& out) {
  out.write_union_index(value ? 1 : 0);
  if (value) out.write_string(*value);
}

// union {null, map<bytes>}, kept as the map's encoded bytes.
bool read_optional_meta(Reader& in, std::optional<std::string_view>& out) {
  uint32_t branch = 0;
  if (!in.read_union_index(2, branch)) return false;
  out.reset();
  if (branch == 0) return true;
  std::string_view encoded;
  if (!read_meta(in, encoded)) return false;
  out = encoded;
  return true;
}

void write_optional_meta(const std::optional<std::string_view>& meta, Writer& out) {
  out.write_union_index(meta ? 1 : 0);
  if (meta) out.out().append(*meta);
}

bool is_limit(errc code) {
  return code == errc::length_over_limit || code == errc::items_over_limit || code == errc::total_over_limit ||
         code == errc::key_over_limit;
}

}  // namespace

bool read_meta(Reader& in, std::string_view& encoded) {
  const char* begin = in.position();
  const bool ok = in.read_map(1, [&](std::string_view) {
    std::string_view value;
    return in.read_bytes(value);
  });
  if (!ok) return false;
  encoded = std::string_view(begin, static_cast<size_t>(in.position() - begin));
  return true;
}

bool decode_handshake_request(Reader& in, HandshakeRequest& out) {
  return read_md5(in, out.client_hash) && read_optional_string(in, out.client_protocol) &&
         read_md5(in, out.server_hash) && read_optional_meta(in, out.meta);
}

void encode_handshake_request(const HandshakeRequest& request, Writer& out) {
  write_md5(request.client_hash, out);
  write_optional_string(request.client_protocol, out);
  write_md5(request.server_hash, out);
  write_optional_meta(request.meta, out);
}

bool decode_handshake_response(Reader& in, HandshakeResponse& out) {
  uint32_t match = 0;
  if (!in.read_enum(kHandshakeMatchSymbols, match)) return false;
  out.match = static_cast<HandshakeMatch>(match);
  if (!read_optional_string(in, out.server_protocol)) return false;
  uint32_t branch = 0;
  if (!in.read_union_index(2, branch)) return false;
  out.server_hash.reset();
  if (branch == 1) {
    Md5 hash{};
    if (!read_md5(in, hash)) return false;
    out.server_hash = hash;
  }
  return read_optional_meta(in, out.meta);
}

void encode_handshake_response(const HandshakeResponse& response, Writer& out) {
  out.write_enum(static_cast<uint32_t>(response.match));
  write_optional_string(response.server_protocol, out);
  out.write_union_index(response.server_hash ? 1 : 0);
  if (response.server_hash) write_md5(*response.server_hash, out);
  write_optional_meta(response.meta, out);
}

// ---------------------------------------------------------------------------------------------
// ServerSession

namespace {

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
  if (!known)
    response.match = HandshakeMatch::none;
  else
    response.match = request.server_hash == kFlumeProtocolMd5 ? HandshakeMatch::both : HandshakeMatch::client;
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
  const bool repeated_handshake =
      established_ && payload.size() > client_hash_.size() &&
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
    return reply_error(errc_reason(in.error()),
                       std::string(kJavaRuntimeExceptionPrefix) + "malformed call request: " +
                           std::string(errc_reason(in.error())),
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
                       std::string(kJavaRuntimeExceptionPrefix) + "No such remote message: " + std::string(name), false);
  }
  call_.message = message;
  if (!remote_.declares(message)) {
    return reply_error("message not in the client's protocol",
                       std::string(kJavaRuntimeExceptionPrefix) + "No such remote message: " + std::string(name), false);
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

// ---------------------------------------------------------------------------------------------
// ClientSession

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
