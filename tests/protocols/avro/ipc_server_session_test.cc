#include "protocols/avro/ipc_server_session.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "protocols/avro/ipc_client_session.h"
#include "tests/protocols/avro/ipc_test_helpers.h"
#include "tests/support/event_builder.h"
#include "tests/support/md5.h"

namespace sluice::avro {
namespace {

using namespace std::string_literals;
using namespace testing_ipc;
using Kind = ServerSession::Call::Kind;

TEST(ServerSession, FlumeClientGetsBothAndLaterCallsCarryNoHandshake) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  EXPECT_FALSE(session.established());
  RequestBuilder first;
  first.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("appendBatch").count(2);
  first.event({{"host", "a"}, {"seq", "1"}}, "body one").event({}, "");
  first.count(0);
  const auto& call = session.on_request(first.out);
  ASSERT_EQ(call.kind, Kind::events) << call.problem;
  EXPECT_TRUE(call.handshake);
  EXPECT_EQ(call.message, FlumeMessage::append_batch);
  ASSERT_EQ(call.events.size(), 2u);
  EXPECT_EQ(headers_of(call.events[0]),
            (std::vector<std::pair<std::string, std::string>>{{"host", "a"}, {"seq", "1"}}));
  EXPECT_EQ(call.events[0].body, "body one");
  EXPECT_TRUE(call.events[1].headers.empty());
  EXPECT_EQ(call.events[1].body, "");
  EXPECT_EQ(call.body_bytes, 8u);
  // Views into the payload, not copies.
  EXPECT_GE(call.events[0].body.data(), first.out.data());
  EXPECT_LT(call.events[0].body.data(), first.out.data() + first.out.size());
  const auto response = session.respond(FlumeStatus::ok);
  // BOTH, no protocol, no hash, no meta; empty metadata, no error, OK.
  EXPECT_EQ(response, "\x00\x00\x00\x00"s + "\x00\x00\x00"s);
  EXPECT_TRUE(session.established());

  RequestBuilder second;
  second.call("append").event({{"k", "v"}}, "two");
  const auto& call2 = session.on_request(second.out);
  ASSERT_EQ(call2.kind, Kind::events) << call2.problem;
  EXPECT_FALSE(call2.handshake);
  EXPECT_EQ(call2.message, FlumeMessage::append);
  ASSERT_EQ(call2.events.size(), 1u);
  EXPECT_EQ(call2.events[0].body, "two");
  const auto r2 = parse_response(session.respond(FlumeStatus::failed), false);
  EXPECT_FALSE(r2.error);
  EXPECT_EQ(r2.status, 1u);
}

TEST(ServerSession, StatelessClientMayRepeatTheHandshake) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  for (int i = 0; i < 3; ++i) {
    RequestBuilder req;
    req.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("append").event({}, "x");
    const auto& call = session.on_request(req.out);
    ASSERT_EQ(call.kind, Kind::events) << i << " " << call.problem;
    EXPECT_TRUE(call.handshake);
    const auto r = parse_response(session.respond(FlumeStatus::ok), true);
    EXPECT_EQ(r.handshake->match, HandshakeMatch::both);
  }
  // A Java client on the same kind of connection: no handshake, none answered.
  RequestBuilder plain;
  plain.call("append").event({}, "y");
  const auto& call = session.on_request(plain.out);
  ASSERT_EQ(call.kind, Kind::events);
  EXPECT_FALSE(call.handshake);
  EXPECT_EQ(parse_response(session.respond(FlumeStatus::ok), false).status, 0u);
}

TEST(ServerSession, Avro1111FlumeClientIsKnownButGuessedItsOwnHash) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  RequestBuilder req;
  req.handshake(kFlumeProtocolMd5Avro1111, kFlumeProtocolMd5Avro1111).call("append").event({}, "x");
  const auto& call = session.on_request(req.out);
  ASSERT_EQ(call.kind, Kind::events);
  const auto r = parse_response(session.respond(FlumeStatus::ok), true);
  ASSERT_TRUE(r.handshake);
  EXPECT_EQ(r.handshake->match, HandshakeMatch::client);
  EXPECT_EQ(r.handshake->server_hash, kFlumeProtocolMd5);
  EXPECT_EQ(r.server_protocol, kFlumeProtocolJson);
  EXPECT_EQ(r.status, 0u);
  EXPECT_TRUE(session.established());
}

TEST(ServerSession, UnknownClientGetsNoneThenBothWithItsProtocol) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  const Md5 python = hash_of(kPythonProtocol);
  RequestBuilder first;
  first.handshake(python, python).call("appendBatch").count(1).event({}, "lost?").count(0);
  const auto& call = session.on_request(first.out);
  EXPECT_EQ(call.kind, Kind::reply);
  EXPECT_TRUE(call.handshake);
  EXPECT_FALSE(call.malformed);
  const auto r = parse_response(session.reply(), true);
  ASSERT_TRUE(r.handshake);
  EXPECT_EQ(r.handshake->match, HandshakeMatch::none);
  EXPECT_EQ(r.handshake->server_hash, kFlumeProtocolMd5);
  EXPECT_EQ(r.server_protocol, kFlumeProtocolJson);
  EXPECT_FALSE(session.established());

  // The client resends with its protocol text and our hash: BOTH.
  RequestBuilder again;
  again.handshake(python, kFlumeProtocolMd5, kPythonProtocol).call("appendBatch").count(1).event({}, "b").count(0);
  const auto& call2 = session.on_request(again.out);
  ASSERT_EQ(call2.kind, Kind::events) << call2.problem;
  const auto r2 = parse_response(session.respond(FlumeStatus::ok), true);
  EXPECT_EQ(r2.handshake->match, HandshakeMatch::both);
  EXPECT_TRUE(r2.server_protocol.empty());
  EXPECT_TRUE(session.established());

  // Another connection from the same client: its hash is remembered by the shard's registry.
  ServerSession other(registry);
  RequestBuilder third;
  third.handshake(python, kFlumeProtocolMd5).call("append").event({}, "c");
  ASSERT_EQ(other.on_request(third.out).kind, Kind::events);
  EXPECT_EQ(parse_response(other.respond(FlumeStatus::ok), true).handshake->match, HandshakeMatch::both);
}

TEST(ServerSession, ClientMatchWhenTheClientGuessedAnotherServerHash) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  const Md5 python = hash_of(kPythonProtocol);
  RequestBuilder req;
  req.handshake(python, python, kPythonProtocol).call("append").event({}, "x");
  ASSERT_EQ(session.on_request(req.out).kind, Kind::events);
  const auto r = parse_response(session.respond(FlumeStatus::ok), true);
  EXPECT_EQ(r.handshake->match, HandshakeMatch::client);
  EXPECT_EQ(r.server_protocol, kFlumeProtocolJson);
  EXPECT_EQ(r.handshake->server_hash, kFlumeProtocolMd5);
  EXPECT_TRUE(session.established());
}

TEST(ServerSession, IncompatibleClientProtocolIsAnsweredWithAnError) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  std::string other(kPythonProtocol);
  other.replace(other.find(R"("type": "bytes")"), 15, R"("type": "string")");
  RequestBuilder req;
  req.handshake(hash_of(other), kFlumeProtocolMd5, other).call("append").event({}, "x");
  const auto& call = session.on_request(req.out);
  EXPECT_EQ(call.kind, Kind::reply);
  EXPECT_FALSE(call.malformed);
  const auto r = parse_response(session.reply(), true);
  EXPECT_EQ(r.handshake->match, HandshakeMatch::both);
  EXPECT_TRUE(r.error);
  EXPECT_NE(r.error_text.find("not Flume's AvroFlumeEvent layout"), std::string::npos) << r.error_text;
}

TEST(ServerSession, PingUnknownMessageAndMalformedRequests) {
  ProtocolRegistry registry;
  {  // a handshake ping: the handshake response alone
    ServerSession s(registry);
    RequestBuilder req;
    req.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("");
    const auto& call = s.on_request(req.out);
    EXPECT_EQ(call.kind, Kind::reply);
    EXPECT_EQ(s.reply(), "\x00\x00\x00\x00"s);
    // Established: a ping now is answered with nothing.
    RequestBuilder ping;
    ping.call("");
    EXPECT_EQ(s.on_request(ping.out).kind, Kind::reply);
    EXPECT_EQ(s.reply(), "");
  }
  {  // an unknown message, answered as Java's Responder does
    ServerSession s(registry);
    RequestBuilder req;
    req.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("frobnicate");
    const auto& call = s.on_request(req.out);
    EXPECT_EQ(call.kind, Kind::reply);
    EXPECT_FALSE(call.malformed);
    const auto r = parse_response(s.reply(), true);
    EXPECT_EQ(r.handshake->match, HandshakeMatch::both);
    EXPECT_TRUE(r.error);
    EXPECT_EQ(r.error_text, "org.apache.avro.AvroRuntimeException: No such remote message: frobnicate");
    EXPECT_TRUE(s.established());
  }
  {  // garbage instead of a handshake: a system error without a handshake response
    ServerSession s(registry);
    const auto& call = s.on_request("\x01\x02\x03"s);
    EXPECT_EQ(call.kind, Kind::reply);
    EXPECT_TRUE(call.malformed);
    EXPECT_FALSE(s.established());
    const auto r = parse_response(s.reply(), false);
    EXPECT_TRUE(r.error);
    EXPECT_NE(r.error_text.find("malformed handshake"), std::string::npos);
  }
  {  // a truncated event, trailing bytes, a client protocol that is not JSON
    for (const std::string& tail : {"\x02\x06"s + "ab", "\x00\x02x!"s}) {
      ServerSession s(registry);
      RequestBuilder req;
      req.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("append");
      req.out += tail;
      const auto& call = s.on_request(req.out);
      EXPECT_EQ(call.kind, Kind::reply);
      EXPECT_TRUE(call.malformed);
      EXPECT_TRUE(parse_response(s.reply(), true).error);
    }
    ServerSession s(registry);
    RequestBuilder req;
    req.handshake(hash_of("x"), kFlumeProtocolMd5, "not json").call("append").event({}, "");
    const auto& call = s.on_request(req.out);
    EXPECT_TRUE(call.malformed);
    EXPECT_EQ(call.problem, "client protocol is not JSON");
  }
}

TEST(ServerSession, LimitsAreErrorsNotCrashes) {
  ProtocolRegistry registry;
  ServerOptions options;
  options.events_max = 3;
  options.headers_per_event_max = 2;
  options.headers_per_request_max = 4;
  options.value_bytes_max = 10;
  auto run = [&](RequestBuilder& req) {
    ServerSession s(registry, options);
    const auto& call = s.on_request(req.out);
    EXPECT_EQ(call.kind, Kind::reply);
    EXPECT_FALSE(call.malformed) << call.problem;
    const auto r = parse_response(s.reply(), true);
    EXPECT_TRUE(r.error);
    return r.error_text;
  };
  RequestBuilder too_many_events;
  too_many_events.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("appendBatch").count(4);
  for (int i = 0; i < 4; ++i) too_many_events.event({}, "x");
  too_many_events.count(0);
  EXPECT_NE(run(too_many_events).find("limit"), std::string::npos);

  RequestBuilder split_blocks;  // 2 + 2 events in two blocks: still 4
  split_blocks.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5)
      .call("appendBatch")
      .count(2)
      .event({}, "a")
      .event({}, "b");
  split_blocks.count(2).event({}, "c").event({}, "d").count(0);
  run(split_blocks);

  RequestBuilder too_many_headers;
  too_many_headers.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5)
      .call("append")
      .event({{"a", "1"}, {"b", "2"}, {"c", "3"}}, "x");
  run(too_many_headers);

  RequestBuilder headers_per_request;
  headers_per_request.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("appendBatch").count(3);
  for (int i = 0; i < 3; ++i) headers_per_request.event({{"a", "1"}, {"b", "2"}}, "x");
  headers_per_request.count(0);
  run(headers_per_request);

  RequestBuilder long_body;
  long_body.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("append").event({}, "01234567890");
  run(long_body);

  RequestBuilder long_value;
  long_value.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("append").event({{"k", "01234567890"}}, "");
  run(long_value);

  RequestBuilder huge_count;  // an array count far beyond the input
  huge_count.handshake(kFlumeProtocolMd5, kFlumeProtocolMd5).call("appendBatch").count(int64_t{1} << 40);
  EXPECT_FALSE(run(huge_count).empty());
}

TEST(ServerSession, ArenaDoesNotGrowWhenWarm) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  ClientSession client;
  std::vector<ringbuf::Header> headers{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}};
  const std::string body(200, 'b');
  std::vector<FlumeEvent> events(100, FlumeEvent{headers, body});
  std::string req;
  client.encode_append_batch(events, req);
  ASSERT_EQ(session.on_request(req).kind, Kind::events);
  ASSERT_EQ(client.decode_response(session.respond(FlumeStatus::ok)).kind, ClientSession::Response::Kind::status);
  const size_t event_capacity = session.event_capacity();
  const size_t header_capacity = session.header_capacity();
  for (int i = 0; i < 10; ++i) {
    req.clear();
    client.encode_append_batch(events, req);
    const auto& call = session.on_request(req);
    ASSERT_EQ(call.kind, Kind::events);
    ASSERT_EQ(call.events.size(), 100u);
    EXPECT_EQ(call.events[99].headers.size(), 4u);
    EXPECT_EQ(call.events[99].headers[3].value, "4");
    session.respond(FlumeStatus::ok);
  }
  EXPECT_EQ(session.event_capacity(), event_capacity);
  EXPECT_EQ(session.header_capacity(), header_capacity);
}

namespace limits {

// One appendBatch of `events` through a fresh client (so it carries a handshake) to `session`.
const ServerSession::Call& send(ServerSession& session, std::span<const FlumeEvent> events, std::string& req) {
  ClientSession client;
  req.clear();
  client.encode_append_batch(events, req);
  return session.on_request(req);
}

void expect_refused(ServerSession& session, const ServerSession::Call& call, std::string_view why) {
  ASSERT_EQ(call.kind, Kind::reply);
  EXPECT_TRUE(call.over_limit);
  EXPECT_FALSE(call.malformed);  // the connection stays open: only this call is refused
  EXPECT_TRUE(call.events.empty());
  const auto r = parse_response(session.reply(), true);
  EXPECT_TRUE(r.error);
  EXPECT_NE(r.error_text.find(why), std::string::npos) << r.error_text;
}

TEST(ServerSessionLimits, HeaderKeyAtTheRecordFormatsLimitPassesOneMoreIsAnErrorAnswer) {
  ProtocolRegistry registry;
  ServerSession session(registry);
  std::string req;
  const std::string at_max(ringbuf::kHeaderKeyBytesMax, 'k');
  const std::string over(ringbuf::kHeaderKeyBytesMax + 1, 'k');
  const ringbuf::Header ok_header{at_max, "v"};
  const FlumeEvent ok_event{std::span<const ringbuf::Header>(&ok_header, 1), "body"};
  const auto& call = send(session, std::span<const FlumeEvent>(&ok_event, 1), req);
  ASSERT_EQ(call.kind, Kind::events) << call.problem;
  ASSERT_EQ(call.events.size(), 1u);
  EXPECT_EQ(call.events[0].headers[0].key.size(), ringbuf::kHeaderKeyBytesMax);

  const ringbuf::Header bad_header{over, "v"};
  const FlumeEvent events[2] = {ok_event, {std::span<const ringbuf::Header>(&bad_header, 1), "body"}};
  expect_refused(session, send(session, events, req), "header key longer than 32767 bytes");
  // The session serves the next call.
  EXPECT_EQ(send(session, std::span<const FlumeEvent>(&ok_event, 1), req).kind, Kind::events);
}

TEST(ServerSessionLimits, HeaderCountValueBodyAndEventCountAtMaxPassOneMoreIsRefused) {
  ProtocolRegistry registry;
  const ServerOptions o{.events_max = 8, .headers_per_event_max = 16, .value_bytes_max = 4096};
  ServerSession session(registry, o);
  std::string req;
  const std::string value(o.value_bytes_max, 'v');
  const std::string too_long(o.value_bytes_max + 1, 'v');
  std::vector<std::string> keys;
  for (size_t i = 0; i <= o.headers_per_event_max; ++i) keys.push_back("k" + std::to_string(i));
  std::vector<ringbuf::Header> headers;
  for (const auto& k : keys) headers.push_back({k, "v"});
  auto one = [&](std::span<const ringbuf::Header> h, std::string_view body) { return FlumeEvent{h, body}; };

  struct Case {
    const char* name;
    FlumeEvent at_max;
    FlumeEvent over;
    const char* why;
  };
  const ringbuf::Header long_value{"k", value};
  const ringbuf::Header longer_value{"k", too_long};
  const Case cases[] = {
      {"headers", one(std::span(headers).first(o.headers_per_event_max), "b"),
       one(std::span(headers).first(o.headers_per_event_max + 1), "b"), "more items than the limit"},
      {"value", one(std::span(&long_value, 1), "b"), one(std::span(&longer_value, 1), "b"), "longer than the limit"},
      {"body", one({}, value), one({}, too_long), "longer than the limit"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto& ok = send(session, std::span<const FlumeEvent>(&c.at_max, 1), req);
    EXPECT_EQ(ok.kind, Kind::events) << ok.problem;
    expect_refused(session, send(session, std::span<const FlumeEvent>(&c.over, 1), req), c.why);
  }
  std::vector<FlumeEvent> batch(o.events_max, one({}, "b"));
  EXPECT_EQ(send(session, batch, req).kind, Kind::events);
  batch.push_back(one({}, "b"));
  expect_refused(session, send(session, batch, req), "more items than the limit");
}

TEST(ServerSessionLimits, DefaultsStayWithinTheRecordFormat) {
  const ServerOptions o;
  EXPECT_LE(o.headers_per_event_max, 0xFFFFu);
  EXPECT_LE(o.value_bytes_max, 0xFFFFFFFFu);
}

}  // namespace limits

}  // namespace
}  // namespace sluice::avro
