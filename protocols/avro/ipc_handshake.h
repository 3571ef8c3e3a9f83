// Avro IPC (the spec's "Protocol Wire Format") for Flume's AvroSourceProtocol: the handshake
// records and call metadata shared by the server (ipc_server_session.h) and client
// (ipc_client_session.h) sides of a connection.
//
// One frame's payload (netty_frame.h) is one call:
//   request:  [HandshakeRequest]  map<bytes> meta, string message name, parameters
//   response: [HandshakeResponse] map<bytes> meta, boolean error flag, response or error
// The handshake is there only until a connection has established one: Java's transceivers are
// stateful (NettyTransceiver::isConnected() is "has a remote protocol"), so after a handshake
// answered BOTH or CLIENT later calls on that connection carry none, and after NONE the next
// call carries a handshake again, now with the client's protocol text.
//
// Threads: pure functions and value types; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "protocols/avro/avro_binary.h"
#include "protocols/avro/flume_protocol.h"
#include "ringbuf/record.h"

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
