// What the Avro IPC tests share: hand-built requests, parsed responses, the protocol text
// python3-avro sends. Test code only; one test binary's thread.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/avro/avro_binary.h"
#include "protocols/avro/flume_protocol.h"
#include "protocols/avro/ipc_handshake.h"
#include "protocols/avro/ipc_server_session.h"
#include "tests/support/md5.h"

namespace sluice::avro::testing_ipc {

using namespace std::string_literals;

inline Md5 hash_of(std::string_view text) { return sluice::testing::md5(text); }

// python3-avro's rendering of the same protocol (different text, so a different hash).
inline const std::string kPythonProtocol =
    R"({"protocol": "AvroSourceProtocol", "namespace": "org.apache.flume.source.avro", "types": [{"type": "enum", )"
    R"("name": "Status", "symbols": ["OK", "FAILED", "UNKNOWN"]}, {"type": "record", "name": "AvroFlumeEvent", )"
    R"("fields": [{"type": {"type": "map", "values": "string"}, "name": "headers"}, {"type": "bytes", "name": )"
    R"("body"}]}], "messages": {"append": {"request": [{"type": "AvroFlumeEvent", "name": "event"}], "response": )"
    R"("Status", "errors": []}, "appendBatch": {"request": [{"type": {"type": "array", "items": "AvroFlumeEvent"}, )"
    R"("name": "events"}], "response": "Status", "errors": []}}})";

// Builds requests by hand, with any hashes.
struct RequestBuilder {
  std::string out;
  RequestBuilder& handshake(const Md5& client, const Md5& server, std::optional<std::string_view> protocol = {}) {
    HandshakeRequest h;
    h.client_hash = client;
    h.server_hash = server;
    h.client_protocol = protocol;
    Writer w(out);
    encode_handshake_request(h, w);
    return *this;
  }
  RequestBuilder& call(std::string_view name) {
    Writer w(out);
    w.write_block_count(0);
    w.write_string(name);
    return *this;
  }
  RequestBuilder& event(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) {
    Writer w(out);
    if (!headers.empty()) {
      w.write_block_count(headers.size());
      for (auto& [k, v] : headers) {
        w.write_string(k);
        w.write_string(v);
      }
    }
    w.write_end_of_blocks();
    w.write_bytes(body);
    return *this;
  }
  RequestBuilder& count(int64_t n) {
    Writer(out).write_long(n);
    return *this;
  }
};

struct Response {
  std::optional<HandshakeResponse> handshake;
  bool error = false;
  uint32_t status = 99;
  std::string error_text;
  std::string server_protocol;
};

inline Response parse_response(std::string_view bytes, bool with_handshake) {
  Response r;
  Reader in(bytes, Limits{});
  if (with_handshake) {
    HandshakeResponse h;
    EXPECT_TRUE(decode_handshake_response(in, h));
    if (h.server_protocol) r.server_protocol = std::string(*h.server_protocol);
    h.server_protocol.reset();
    r.handshake = h;
    if (h.match == HandshakeMatch::none) {
      EXPECT_TRUE(in.expect_end());
      return r;
    }
  }
  std::string_view meta;
  EXPECT_TRUE(read_meta(in, meta));
  EXPECT_EQ(meta, "\x00"s);
  EXPECT_TRUE(in.read_boolean(r.error));
  if (r.error) {
    uint32_t branch = 9;
    std::string_view text;
    EXPECT_TRUE(in.read_union_index(1, branch));
    EXPECT_TRUE(in.read_string(text));
    r.error_text = std::string(text);
  } else {
    EXPECT_TRUE(in.read_enum(3, r.status));
  }
  EXPECT_TRUE(in.expect_end());
  return r;
}

inline std::vector<std::pair<std::string, std::string>> headers_of(const FlumeEvent& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : e.headers) out.emplace_back(h.key, h.value);
  return out;
}

}  // namespace sluice::avro::testing_ipc
