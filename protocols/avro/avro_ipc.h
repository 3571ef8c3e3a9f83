// Avro IPC (the spec's "Protocol Wire Format") for Flume's AvroSourceProtocol: the handshake
// records, the server side of a connection (ServerSession: what Flume's AvroSource does with
// Java's Responder) and the client side (ClientSession: what Flume's NettyAvroRpcClient does
// with Java's Requestor).
//
// One frame's payload (netty_frame.h) is one call:
//   request:  [HandshakeRequest]  map<bytes> meta, string message name, parameters
//   response: [HandshakeResponse] map<bytes> meta, boolean error flag, response or error
// The handshake is there only until a connection has established one: Java's transceivers are
// stateful (NettyTransceiver::isConnected() is "has a remote protocol"), so after a handshake
// answered BOTH or CLIENT later calls on that connection carry none, and after NONE the next
// call carries a handshake again, now with the client's protocol text.
//
// Threads: a ServerSession or ClientSession belongs to one connection and is used by the thread
// that owns it; the ProtocolRegistry it refers to belongs to that thread too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringbuf/record.h"
#include "protocols/avro/avro_binary.h"
#include "protocols/avro/flume_protocol.h"

namespace sluice::avro {

// HandshakeMatch enum of org.apache.avro.ipc.HandshakeResponse, by symbol index.
enum class HandshakeMatch : uint8_t { both = 0, client = 1, none = 2 };
std::string_view handshake_match_name(HandshakeMatch match);

// record HandshakeRequest {fixed MD5(16) clientHash; union{null, string} clientProtocol;
//                          MD5 serverHash; union{null, map<bytes>} meta}
// Views point into the decoded input. `meta` holds the map's encoded bytes (nullopt: null).
struct HandshakeRequest {
  Md5 client_hash{};
  std::optional<std::string_view> client_protocol;
  Md5 server_hash{};
  std::optional<std::string_view> meta;
};

// record HandshakeResponse {HandshakeMatch match; union{null, string} serverProtocol;
//                           union{null, MD5} serverHash; union{null, map<bytes>} meta}
struct HandshakeResponse {
  HandshakeMatch match = HandshakeMatch::both;
  std::optional<std::string_view> server_protocol;
  std::optional<Md5> server_hash;
  std::optional<std::string_view> meta;
};

bool decode_handshake_request(Reader& in, HandshakeRequest& out);
void encode_handshake_request(const HandshakeRequest& request, Writer& out);
bool decode_handshake_response(Reader& in, HandshakeResponse& out);
void encode_handshake_response(const HandshakeResponse& response, Writer& out);

// Reads a map<bytes> (call and handshake metadata) and returns its encoded bytes.
bool read_meta(Reader& in, std::string_view& encoded);
// Calls fn(key, value) for every entry of metadata returned by read_meta().
template <typename Fn>
bool for_each_meta(std::string_view encoded, const Limits& limits, Fn&& fn);

// One AvroFlumeEvent, as views: headers into the session's arena, keys, values and body into
// the request payload.
struct FlumeEvent {
  std::span<const ringbuf::Header> headers;
  std::string_view body;
};

// The prefix of Java's AvroRuntimeException text, which Java's Responder sends as the system
// error string (Throwable.toString()); errors sent here read the same.
inline constexpr std::string_view kJavaRuntimeExceptionPrefix = "org.apache.avro.AvroRuntimeException: ";

struct ServerOptions {
  // Most events in one request (appendBatch). Flume's default batch-size is 100.
  size_t events_max = 10'000;
  // Most headers on one event (at most the record format's 0xFFFF).
  size_t headers_per_event_max = 1'024;
  // Most headers in one request, all events together: bounds the header arena.
  size_t headers_per_request_max = 256 * 1024;
  // Longest header value or body (at most the record format's u32). Keys are limited by the
  // record format: ringbuf::kHeaderKeyBytesMax.
  size_t value_bytes_max = size_t{16} << 20;
  // Longest protocol text accepted from a client's handshake.
  size_t client_protocol_bytes_max = 64 * 1024;
};

// The server side of one connection: decodes each request (a frame's payload) and encodes its
// response, keeping the handshake state of the connection as Java's Responder keeps it in its
// Transceiver.
//
// Stateless clients (python3-avro's stock Requestor, which sends a handshake with every call)
// work too: on an established connection a request that starts with the connection's own
// client hash is taken as a new handshake and answered with one. A call request cannot start
// that way in practice (it would need metadata whose encoding begins with those 16 bytes).
//
// Usage, per frame: `auto call = session.on_request(frame.payload)`; for Call::Kind::events,
// store call.events and send respond(FlumeStatus::ok) (or respond(failed) / respond_error());
// for Call::Kind::reply, send reply(). Only one call is in progress at a time: the views of a
// Call are valid until the next on_request() and while the payload is.
class ServerSession {
 public:
  ServerSession(ProtocolRegistry& registry, ServerOptions options = {});
  ServerSession(ServerSession&&) = default;
  ServerSession& operator=(ServerSession&&) = default;

  struct Call {
    enum class Kind : uint8_t {
      events,  // append or appendBatch: `events` to store, then respond() or respond_error()
      reply,   // answered already (handshake NONE, a ping, an error): send reply()
    };
    Kind kind = Kind::reply;
    FlumeMessage message = FlumeMessage::append;
    std::span<const FlumeEvent> events;
    // reply only: why no events came (empty for a handshake NONE or a ping), for logs and
    // metrics. `malformed` is set when the request was not valid Avro IPC at all (the
    // connection may be closed after the reply).
    std::string_view problem;
    bool malformed = false;
    // reply only: the request broke a limit (of this server, or of the record format: a header
    // key past ringbuf::kHeaderKeyBytesMax); answered with an error, nothing of it stored.
    bool over_limit = false;
    // This request carried a handshake (answered in its response).
    bool handshake = false;
    // The body bytes of all events (for the source's byte counters).
    size_t body_bytes = 0;
  };

  // Decodes one request. Never fails: what cannot be served becomes a reply.
  const Call& on_request(std::string_view payload);

  // The response payload for the last Call of kind events: the handshake response if the
  // request carried one, then a normal response with `status`. Valid until the next call.
  std::string_view respond(FlumeStatus status);
  // The same, answered as an error: Java's Responder writes a system error as the union
  // {string} branch 0 with the exception's text, which Flume's client raises as an
  // AvroRemoteException with that message.
  std::string_view respond_error(std::string_view message);
  // The response payload for the last Call of kind reply.
  std::string_view reply() const { return out_; }

  // A handshake answered BOTH or CLIENT on this connection: calls no longer carry one.
  bool established() const { return established_; }
  const ServerOptions& options() const { return options_; }
  // The arenas' allocations (for tests: no growth when warm).
  size_t event_capacity() const { return events_.capacity(); }
  size_t header_capacity() const { return headers_.capacity(); }

 private:
  // Reads the handshake (if this connection has none yet) and writes its response to out_.
  // Returns false when no call follows (NONE, or an error already answered).
  bool handshake(Reader& in);
  bool decode_event(Reader& in);
  void link_events();
  const Call& reply_error(std::string_view problem, std::string_view message, bool malformed);
  void write_call_prefix();

  ProtocolRegistry* registry_;
  ServerOptions options_;
  Limits limits_;
  bool established_ = false;
  RemoteProtocol remote_;
  Md5 client_hash_{};  // of the handshake that established the connection
  Call call_;
  // Bytes of out_ that belong to the handshake response of the current call.
  size_t handshake_bytes_ = 0;
  std::string out_;
  std::string error_text_;
  // Arena: headers of all events of the call; events refer to them by index until linked.
  std::vector<ringbuf::Header> headers_;
  std::vector<FlumeEvent> events_;
  std::vector<uint32_t> event_header_counts_;
};

struct ClientOptions {
  // Bounds for decoding responses (a server's protocol text can be a few KiB).
  Limits limits{.length_bytes_max = 1 << 20, .items_max = 4096, .total_items_max = 65536};
};

// The client side of one connection, for a sink that forwards to a Flume Avro source: encodes
// append/appendBatch requests (with a handshake while the connection has none) and decodes the
// responses. One request at a time: send the next only after the response to the previous one
// was decoded (Java's Requestor serialises the handshake the same way).
class ClientSession {
 public:
  explicit ClientSession(ClientOptions options = {});

  // Appends the request payload (frame it with encode_frame()).
  void encode_append_batch(std::span<const FlumeEvent> events, std::string& out);
  void encode_append_batch(std::span<const ringbuf::EventView> events, std::string& out);
  void encode_append(const FlumeEvent& event, std::string& out);

  struct Response {
    enum class Kind : uint8_t {
      status,  // the call's Status
      resend,  // the server did not know our protocol (NONE): encode and send the request again
      error,   // the server answered an error (`error` has its text), or the response was bad
    };
    Kind kind = Kind::error;
    FlumeStatus status = FlumeStatus::unknown;
    std::string_view error;  // views into the response payload or a static reason
    bool malformed = false;  // the response was not valid Avro IPC: drop the connection
  };
  Response decode_response(std::string_view payload);

  // A new connection: the next request carries a handshake again. What was learnt about the
  // server (its hash, whether it needs our protocol text) is kept, as Java keeps it per
  // remote address.
  void reset_connection() { established_ = false; }
  bool established() const { return established_; }

 private:
  void write_prefix(FlumeMessage message, std::string& out);
  void write_handshake(Writer& w);

  ClientOptions options_;
  bool established_ = false;
  // The server answered NONE: send our protocol text until a handshake succeeds.
  bool send_protocol_ = false;
  Md5 server_hash_ = kFlumeProtocolMd5;
};

template <typename Fn>
bool for_each_meta(std::string_view encoded, const Limits& limits, Fn&& fn) {
  Reader in(encoded, limits);
  return in.read_map(1, [&](std::string_view key) {
    std::string_view value;
    if (!in.read_bytes(value)) return false;
    fn(key, value);
    return true;
  });
}

}  // namespace sluice::avro
