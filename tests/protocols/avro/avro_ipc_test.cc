#include "protocols/avro/ipc_client_session.h"
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

#include "tests/support/event_builder.h"
#include "tests/support/md5.h"

namespace sluice::avro {
namespace {

using namespace std::string_literals;
using Kind = ServerSession::Call::Kind;

Md5 hash_of(std::string_view text) { return testing::md5(text); }

// python3-avro's rendering of the same protocol (different text, so a different hash).
const std::string kPythonProtocol =
    R"({"protocol": "AvroSourceProtocol", "namespace": "org.apache.flume.source.avro", "types": [{"type": "enum", )"
    R"("name": "Status", "symbols": ["OK", "FAILED", "UNKNOWN"]}, {"type": "record", "name": "AvroFlumeEvent", )"
    R"("fields": [{"type": {"type": "map", "values": "string"}, "name": "headers"}, {"type": "bytes", "name": )"
    R"("body"}]}], "messages": {"append": {"request": [{"type": "AvroFlumeEvent", "name": "event"}], "response": )"
    R"("Status", "errors": []}, "appendBatch": {"request": [{"type": {"type": "array", "items": "AvroFlumeEvent"}, )"
    R"("name": "events"}], "response": "Status", "errors": []}}})";

TEST(FlumeProtocol, Md5IsTheMd5OfTheProtocolText) {
  EXPECT_EQ(testing::hex(testing::md5("")), "d41d8cd98f00b204e9800998ecf8427e");  // the MD5 itself
  EXPECT_EQ(testing::hex(testing::md5("The quick brown fox jumps over the lazy dog")),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(hash_of(kFlumeProtocolJson), kFlumeProtocolMd5);
  EXPECT_EQ(testing::hex(kFlumeProtocolMd5), "86aadae2c45474c0fe93ffd0f2350a65");
  EXPECT_EQ(kFlumeProtocolJson.size(), 1334u);
}

TEST(FlumeProtocol, Avro1111VariantIsTheSameTextWithoutCommentStars) {
  // Avro >= 1.11.1's IDL strips "^\s*\* ?" from every line of a doc comment.
  const std::string json(kFlumeProtocolJson);
  const size_t doc = json.find(R"("doc":")") + 7;
  const size_t doc_end = json.find(R"(","types")");
  ASSERT_LT(doc, doc_end);
  std::string stripped;
  std::string_view rest = std::string_view(json).substr(doc, doc_end - doc);
  bool line_start = true;
  while (!rest.empty()) {
    if (line_start) {
      size_t i = 0;
      while (i < rest.size() && rest[i] == ' ') ++i;
      if (i < rest.size() && rest[i] == '*') {
        rest.remove_prefix(i + 1);
        if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      }
      line_start = false;
      continue;
    }
    if (rest.starts_with("\\n")) {  // JSON's escaped newline
      stripped += "\\n";
      rest.remove_prefix(2);
      line_start = true;
      continue;
    }
    stripped += rest[0];
    rest.remove_prefix(1);
  }
  const std::string variant = json.substr(0, doc) + stripped + json.substr(doc_end);
  EXPECT_TRUE(variant.find(R"("doc":"Licensed to the Apache)") != std::string::npos);
  EXPECT_EQ(hash_of(variant), kFlumeProtocolMd5Avro1111);
}

// Java's Avro itself (Debian's libavro-java) parses the constant, prints it back unchanged and
// hashes it to the constant MD5: the text is in Java's canonical form.
TEST(FlumeProtocol, JavaAvroAgrees) {
  const std::string jars =
      "/usr/share/java/avro.jar:/usr/share/java/jackson-core-asl.jar:"
      "/usr/share/java/jackson-mapper-asl.jar:/usr/share/java/slf4j-api.jar";
  if (std::system("command -v java >/dev/null 2>&1 && test -r /usr/share/java/avro.jar") != 0)
    GTEST_SKIP() << "java or libavro-java is not installed (scripts/setup installs them)";
  const auto dir = std::filesystem::temp_directory_path() / ("avro_java_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto json = dir / "protocol.json";
  std::ofstream(json, std::ios::binary) << kFlumeProtocolJson;
  const std::string cmd =
      "java -cp " + jars + " " + SLUICE_AVRO_JAVA_TOOL + " --json " + json.string() + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << out;
  std::filesystem::remove_all(dir);
  EXPECT_EQ(out, testing::hex(kFlumeProtocolMd5) + "\nroundtrip-identical\n" + std::string(kFlumeProtocolJson) + "\n");
}

TEST(FlumeProtocol, ClientProtocolCheck) {
  RemoteProtocol p;
  std::string_view error;
  ASSERT_TRUE(check_client_protocol(kFlumeProtocolJson, p, error));
  EXPECT_TRUE(p.append && p.append_batch && p.declares_append && p.declares_append_batch);
  ASSERT_TRUE(check_client_protocol(kPythonProtocol, p, error));
  EXPECT_TRUE(p.append && p.append_batch);
  // Fully qualified names, inline record, a property on the string type.
  const std::string inline_types =
      R"({"protocol":"P","messages":{"appendBatch":{"request":[{"name":"e","type":{"type":"array","items":)"
      R"({"type":"record","name":"x.AvroFlumeEvent","fields":[{"name":"headers","type":{"type":"map","values":)"
      R"({"type":"string","avro.java.string":"String"}}},{"name":"body","type":"bytes"}]}}}],"response":"null"},)"
      R"("append":{"request":[{"name":"e","type":"x.AvroFlumeEvent"}],"response":"null"}}})";
  ASSERT_TRUE(check_client_protocol(inline_types, p, error));
  EXPECT_TRUE(p.append_batch);
  EXPECT_FALSE(p.append);  // inline definitions elsewhere are not looked up by name
  EXPECT_TRUE(p.declares_append);
  // A body that is a string: declared, not wire-compatible.
  std::string other(kPythonProtocol);
  other.replace(other.find(R"("type": "bytes")"), 15, R"("type": "string")");
  ASSERT_TRUE(check_client_protocol(other, p, error));
  EXPECT_FALSE(p.append || p.append_batch);
  EXPECT_TRUE(p.declares_append && p.declares_append_batch);
  // Not a protocol.
  EXPECT_FALSE(check_client_protocol("{nope", p, error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(check_client_protocol("[1]", p, error));
  EXPECT_FALSE(check_client_protocol(R"({"messages":{}})", p, error));
  std::string deep(10000, '[');
  EXPECT_FALSE(check_client_protocol(deep, p, error));
}

TEST(FlumeProtocol, RegistryIsBounded) {
  ProtocolRegistry registry(3);
  EXPECT_NE(registry.find(kFlumeProtocolMd5), nullptr);
  EXPECT_NE(registry.find(kFlumeProtocolMd5Avro1111), nullptr);
  Md5 a{1}, b{2};
  EXPECT_EQ(registry.find(a), nullptr);
  EXPECT_NE(registry.remember(a, RemoteProtocol{}), nullptr);
  EXPECT_NE(registry.find(a), nullptr);
  EXPECT_EQ(registry.remember(b, RemoteProtocol{}), nullptr);
  EXPECT_EQ(registry.size(), 3u);
}

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

Response parse_response(std::string_view bytes, bool with_handshake) {
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

std::vector<std::pair<std::string, std::string>> headers_of(const FlumeEvent& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : e.headers) out.emplace_back(h.key, h.value);
  return out;
}

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
