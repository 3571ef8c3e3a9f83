#include "protocols/avro/ipc_client_session.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "protocols/avro/ipc_server_session.h"
#include "tests/protocols/avro/ipc_test_helpers.h"
#include "tests/support/event_builder.h"
#include "tests/support/md5.h"

namespace sluice::avro {
namespace {

using namespace std::string_literals;
using namespace testing_ipc;
using Kind = ServerSession::Call::Kind;

TEST(ClientSession, TalksToTheServerSession) {
  ProtocolRegistry registry;
  ServerSession server(registry);
  ClientSession client;
  std::vector<ringbuf::Header> h{{"host", "web1"}, {"", "1700000000000", ringbuf::WellKnownKey::timestamp}};
  const std::vector<FlumeEvent> events{{h, "first"}, {{}, "second"}};
  std::string req;
  client.encode_append_batch(events, req);
  const auto& call = server.on_request(req);
  ASSERT_EQ(call.kind, Kind::events);
  EXPECT_TRUE(call.handshake);
  ASSERT_EQ(call.events.size(), 2u);
  EXPECT_EQ(headers_of(call.events[0]),
            (std::vector<std::pair<std::string, std::string>>{{"host", "web1"}, {"timestamp", "1700000000000"}}));
  auto r = client.decode_response(server.respond(FlumeStatus::ok));
  EXPECT_EQ(r.kind, ClientSession::Response::Kind::status);
  EXPECT_EQ(r.status, FlumeStatus::ok);
  EXPECT_TRUE(client.established());

  req.clear();
  client.encode_append(events[1], req);
  const auto& call2 = server.on_request(req);
  ASSERT_EQ(call2.kind, Kind::events);
  EXPECT_FALSE(call2.handshake);
  r = client.decode_response(server.respond_error("channel full"));
  EXPECT_EQ(r.kind, ClientSession::Response::Kind::error);
  EXPECT_EQ(r.error, "channel full");
  EXPECT_FALSE(r.malformed);

  // A new connection: the handshake again.
  client.reset_connection();
  ServerSession server2(registry);
  req.clear();
  client.encode_append_batch(std::span<const FlumeEvent>{}, req);
  const auto& call3 = server2.on_request(req);
  ASSERT_EQ(call3.kind, Kind::events);
  EXPECT_TRUE(call3.handshake);
  EXPECT_TRUE(call3.events.empty());
}

TEST(ClientSession, EncodesEventViews) {
  testing::EventBuffer buffer;
  buffer.add({{"timestamp", "1700000000000"}, {"host", "h"}, {"custom", "c"}}, "body!", 1700000000000);
  buffer.add({}, "", 5);
  ProtocolRegistry registry;
  ServerSession server(registry);
  ClientSession client;
  std::string req;
  client.encode_append_batch(std::span<const ringbuf::EventView>(buffer.views()), req);
  const auto& call = server.on_request(req);
  ASSERT_EQ(call.kind, Kind::events) << call.problem;
  ASSERT_EQ(call.events.size(), 2u);
  EXPECT_EQ(headers_of(call.events[0]), (std::vector<std::pair<std::string, std::string>>{
                                            {"timestamp", "1700000000000"}, {"host", "h"}, {"custom", "c"}}));
  EXPECT_EQ(call.events[0].body, "body!");
  EXPECT_TRUE(call.events[1].headers.empty());
}

TEST(ClientSession, NoneMeansResendWithTheProtocolText) {
  ClientSession client;
  std::string req;
  client.encode_append(FlumeEvent{{}, "x"}, req);
  Reader in(req, Limits{});
  HandshakeRequest h;
  ASSERT_TRUE(decode_handshake_request(in, h));
  EXPECT_EQ(h.client_hash, kFlumeProtocolMd5);
  EXPECT_EQ(h.server_hash, kFlumeProtocolMd5);
  EXPECT_FALSE(h.client_protocol);

  // A server with another hash (python3-avro's) does not know ours.
  const Md5 server_hash = hash_of(kPythonProtocol);
  HandshakeResponse none;
  none.match = HandshakeMatch::none;
  none.server_protocol = kPythonProtocol;
  none.server_hash = server_hash;
  std::string resp;
  Writer w(resp);
  encode_handshake_response(none, w);
  auto r = client.decode_response(resp);
  EXPECT_EQ(r.kind, ClientSession::Response::Kind::resend);
  EXPECT_FALSE(client.established());

  req.clear();
  client.encode_append(FlumeEvent{{}, "x"}, req);
  Reader in2(req, Limits{});
  ASSERT_TRUE(decode_handshake_request(in2, h));
  EXPECT_EQ(h.server_hash, server_hash);
  ASSERT_TRUE(h.client_protocol);
  EXPECT_EQ(*h.client_protocol, kFlumeProtocolJson);

  // NONE again although we sent the text: an error, not a loop.
  r = client.decode_response(resp);
  EXPECT_EQ(r.kind, ClientSession::Response::Kind::error);

  // BOTH + OK establishes; the protocol text is not sent on later connections.
  std::string both = "\x00\x00\x00\x00"s + "\x00\x00\x00"s;
  r = client.decode_response(both);
  EXPECT_EQ(r.kind, ClientSession::Response::Kind::status);
  EXPECT_TRUE(client.established());
  client.reset_connection();
  req.clear();
  client.encode_append(FlumeEvent{{}, "x"}, req);
  Reader in3(req, Limits{});
  ASSERT_TRUE(decode_handshake_request(in3, h));
  EXPECT_FALSE(h.client_protocol);
  EXPECT_EQ(h.server_hash, server_hash);
}

TEST(ClientSession, MalformedResponses) {
  for (const std::string& bad : {""s, "\x00"s, "\x00\x00\x00\x00\x00\x00\x06"s, "\x00\x00\x00\x00\x00\x02"s,
                                 "\x00\x00\x00\x00\x00\x00\x00\x00"s, "\x08"s}) {
    ClientSession client;
    const auto r = client.decode_response(bad);
    EXPECT_EQ(r.kind, ClientSession::Response::Kind::error);
    EXPECT_TRUE(r.malformed);
  }
}

}  // namespace
}  // namespace sluice::avro
