// The server side of an Avro IPC connection (what Flume's AvroSource does with Java's
// Responder): decodes each call and encodes its response, keeping the connection's handshake
// state. The wire format is described in ipc_handshake.h.
//
// Threads: a ServerSession belongs to one connection and is used by the thread that owns it;
// the ProtocolRegistry it refers to belongs to that thread too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/avro/avro_binary.h"
#include "protocols/avro/flume_protocol.h"
#include "protocols/avro/ipc_handshake.h"
#include "ringbuf/record.h"

namespace sluice::avro {

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

}  // namespace sluice::avro
