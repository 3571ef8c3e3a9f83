#include "protocols/avro/ipc_handshake.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/protocols/avro/ipc_test_helpers.h"
#include "tests/support/event_builder.h"
#include "tests/support/md5.h"

namespace sluice::avro {
namespace {

using namespace std::string_literals;
using namespace testing_ipc;
using Kind = ServerSession::Call::Kind;

TEST(Handshake, RecordsRoundTrip) {
  HandshakeRequest req;
  req.client_hash = hash_of("client");
  req.client_protocol = "{\"protocol\":\"x\"}";
  req.server_hash = hash_of("server");
  std::string meta;
  Writer mw(meta);
  mw.write_block_count(1);
  mw.write_string("k");
  mw.write_bytes("v\0"s);
  mw.write_end_of_blocks();
  req.meta = meta;
  std::string bytes;
  Writer w(bytes);
  encode_handshake_request(req, w);
  const Limits limits;
  Reader in(bytes, limits);
  HandshakeRequest got;
  ASSERT_TRUE(decode_handshake_request(in, got));
  EXPECT_TRUE(in.expect_end());
  EXPECT_EQ(got.client_hash, req.client_hash);
  EXPECT_EQ(got.server_hash, req.server_hash);
  EXPECT_EQ(got.client_protocol, req.client_protocol);
  ASSERT_TRUE(got.meta);
  std::map<std::string, std::string> entries;
  EXPECT_TRUE(for_each_meta(*got.meta, limits, [&](std::string_view k, std::string_view v) { entries.emplace(k, v); }));
  EXPECT_EQ(entries, (std::map<std::string, std::string>{{"k", "v\0"s}}));

  // The layout, byte by byte: fixed 16, union index 0 (null), fixed 16, union index 0.
  HandshakeRequest plain;
  plain.client_hash = kFlumeProtocolMd5;
  plain.server_hash = kFlumeProtocolMd5;
  std::string p;
  Writer pw(p);
  encode_handshake_request(plain, pw);
  const std::string md5(reinterpret_cast<const char*>(kFlumeProtocolMd5.data()), 16);
  EXPECT_EQ(p, md5 + "\x00"s + md5 + "\x00"s);

  for (auto match : {HandshakeMatch::both, HandshakeMatch::client, HandshakeMatch::none}) {
    HandshakeResponse resp;
    resp.match = match;
    if (match != HandshakeMatch::both) {
      resp.server_protocol = kFlumeProtocolJson;
      resp.server_hash = kFlumeProtocolMd5;
    }
    std::string rb;
    Writer rw(rb);
    encode_handshake_response(resp, rw);
    if (match == HandshakeMatch::both) {
      EXPECT_EQ(rb, "\x00\x00\x00\x00"s);
    }
    Reader rin(rb, Limits{});
    HandshakeResponse back;
    ASSERT_TRUE(decode_handshake_response(rin, back));
    EXPECT_TRUE(rin.expect_end());
    EXPECT_EQ(back.match, match);
    EXPECT_EQ(back.server_protocol, resp.server_protocol);
    EXPECT_EQ(back.server_hash, resp.server_hash);
  }
  const std::string bad_bytes = "\x06"s;
  Reader bad(bad_bytes, Limits{});  // match index 3
  HandshakeResponse back;
  EXPECT_FALSE(decode_handshake_response(bad, back));
  EXPECT_EQ(bad.error(), errc::bad_enum);
}

}  // namespace
}  // namespace sluice::avro
