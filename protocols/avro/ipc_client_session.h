// The client side of an Avro IPC connection (what Flume's NettyAvroRpcClient does with Java's
// Requestor), for the avro sink and the load generator. The wire format is described in
// ipc_handshake.h.
//
// Threads: a ClientSession belongs to one connection and is used by the thread that owns it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "protocols/avro/avro_binary.h"
#include "protocols/avro/flume_protocol.h"
#include "protocols/avro/ipc_handshake.h"
#include "ringbuf/record.h"

namespace sluice::avro {

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

}  // namespace sluice::avro
