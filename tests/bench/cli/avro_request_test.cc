#include "bench/cli/avro_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/avro/avro_binary.h"
#include "protocols/avro/ipc_server_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"

namespace sluice::bench {
namespace {

using avro::ClientSession;
using avro::FlumeStatus;
using avro::ServerSession;
using Kind = ServerSession::Call::Kind;

AvroBatchOptions options(uint32_t events = 5, uint64_t first_seq = 0) {
  AvroBatchOptions o;
  o.conn = 7;
  o.body_bytes = 60;
  o.events = events;
  o.first_seq = first_seq;
  return o;
}

std::string header(const avro::FlumeEvent& e, std::string_view key) {
  for (const auto& h : e.headers) {
    std::string_view k = h.key.empty() ? ringbuf::well_known_key_name(h.id) : h.key;
    if (k == key) return std::string(h.value);
  }
  return "<missing>";
}

// The frames of `stream` (inflated first with deflate), each as (serial, payload).
std::vector<std::pair<int32_t, std::string>> frames_of(std::string_view stream, bool deflate) {
  std::string plain;
  if (deflate) {
    avro::Inflater inflater;
    char out[4096];
    while (true) {
      auto r = inflater.inflate(stream, out);
      EXPECT_NE(r.status, avro::Inflater::Status::error) << r.error;
      plain.append(out, r.produced);
      stream.remove_prefix(r.consumed);
      if (r.status != avro::Inflater::Status::ok || (stream.empty() && r.produced < sizeof out)) break;
    }
  } else {
    plain = stream;
  }
  std::vector<std::pair<int32_t, std::string>> out;
  avro::FrameDecoder decoder;
  std::string_view rest = plain;
  while (!rest.empty()) {
    auto r = decoder.decode(rest);
    EXPECT_EQ(r.status, avro::FrameDecoder::Status::frame) << r.error;
    if (r.status != avro::FrameDecoder::Status::frame) break;
    out.emplace_back(decoder.frame().serial, std::string(decoder.frame().payload));
    rest.remove_prefix(r.consumed);
  }
  return out;
}

// A Flume Avro source's view of a request: its events' seq headers, checked against `first`.
void expect_events(ServerSession& server, std::string_view payload, uint64_t first, uint32_t events,
                   size_t body_bytes = 60, std::string_view timestamp = "1000000000000") {
  const auto& call = server.on_request(payload);
  ASSERT_EQ(call.kind, Kind::events) << call.problem;
  EXPECT_EQ(call.message, avro::FlumeMessage::append_batch);
  ASSERT_EQ(call.events.size(), events);
  for (uint32_t i = 0; i < events; ++i) {
    const auto& e = call.events[i];
    EXPECT_EQ(header(e, "seq"), format_seq(first + i));
    EXPECT_EQ(header(e, "conn"), "007");
    EXPECT_EQ(header(e, "timestamp"), timestamp);
    ASSERT_EQ(e.body.size(), body_bytes);
    EXPECT_EQ(e.body.substr(0, 23), "conn=007 seq=" + format_seq(first + i));
  }
}

TEST(AvroRequest, TheTemplateIsWhatClientSessionEncodesOnceTheHandshakeIsDone) {
  auto request = AvroBatchRequest::build(options());
  ASSERT_TRUE(request.ok()) << request.error().message;
  avro::ProtocolRegistry registry;
  ServerSession server(registry);
  ClientSession client;

  // First call: the session encodes it with the handshake, from the template's events.
  std::string payload;
  client.encode_append_batch(request->events(), payload);
  expect_events(server, payload, 0, 5);
  ASSERT_EQ(client.decode_response(server.respond(FlumeStatus::ok)).status, FlumeStatus::ok);
  ASSERT_TRUE(client.established());

  // Later calls: byte for byte the template.
  payload.clear();
  client.encode_append_batch(request->events(), payload);
  std::string framed;
  avro::encode_frame(42, payload, framed);
  EXPECT_EQ(request->frame(42), framed);
  EXPECT_EQ(request->plain_frame(), framed);

  ASSERT_TRUE(request->move_to(9'999'999'990));
  payload.clear();
  client.encode_append_batch(request->events(), payload);
  framed.clear();
  avro::encode_frame(-7, payload, framed);
  EXPECT_EQ(request->frame(-7), framed);
  auto frames = frames_of(request->frame(43), false);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].first, 43);
  expect_events(server, frames[0].second, 9'999'999'990, 5);
}

TEST(AvroRequest, StampWritesTheSendTimeIntoEveryEventsTimestampHeader) {
  auto request = AvroBatchRequest::build(options(20));
  ASSERT_TRUE(request.ok());
  request->stamp(1'795'237'800'123);
  avro::ProtocolRegistry registry;
  ServerSession server(registry);
  ClientSession client;
  std::string payload;
  client.encode_append_batch(request->events(), payload);  // the handshake call, from the views
  std::string framed;
  avro::encode_frame(1, payload, framed);
  auto frames = frames_of(framed, false);
  ASSERT_EQ(frames.size(), 1u);
  expect_events(server, frames[0].second, 0, 20, 60, "1795237800123");
  // Exactly what a request built with that time holds.
  AvroBatchOptions o = options(20);
  o.timestamp_ms = 1'795'237'800'123;
  EXPECT_EQ(AvroBatchRequest::build(o)->frame(3), request->frame(3));
}

TEST(AvroRequest, BodySizesComeFromTheTableFromTheRequestsPlaceInIt) {
  const std::vector<size_t> sizes = {23, 100, 250};
  AvroBatchOptions o = options(4);
  o.body_sizes = sizes;
  o.size_index = 1;
  auto request = AvroBatchRequest::build(o);
  ASSERT_TRUE(request.ok()) << request.error().message;
  const auto events = request->events();
  ASSERT_EQ(events.size(), 4u);
  const size_t expected[] = {100, 250, 23, 100};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(events[i].body.size(), expected[i]) << i;
    EXPECT_TRUE(events[i].body.starts_with("conn=007 seq=" + format_seq(i))) << events[i].body;
  }
  // What ClientSession would encode from those events is the template, byte for byte.
  avro::ProtocolRegistry registry;
  ServerSession server(registry);
  ClientSession client;
  std::string payload;
  client.encode_append_batch(request->events(), payload);  // the first call: with the handshake
  ASSERT_EQ(server.on_request(payload).kind, Kind::events);
  ASSERT_EQ(client.decode_response(server.respond(FlumeStatus::ok)).status, FlumeStatus::ok);
  payload.clear();
  client.encode_append_batch(request->events(), payload);
  std::string framed;
  avro::encode_frame(9, payload, framed);
  EXPECT_EQ(request->frame(9), framed);
}

TEST(AvroRequest, MovingOnPatchesOnlyTheSequenceNumbers) {
  auto request = AvroBatchRequest::build(options(100));
  ASSERT_TRUE(request.ok());
  ASSERT_TRUE(request->move_to(100));
  ASSERT_TRUE(request->move_to(1'000'000'000));
  EXPECT_EQ(request->first_seq(), 1'000'000'000u);
  const std::string frame(request->frame(1));
  auto built = AvroBatchRequest::build(options(100, 1'000'000'000));
  EXPECT_EQ(built->frame(1), frame);
  EXPECT_FALSE(request->move_to(999'999'999));
  EXPECT_FALSE(request->move_to(9'999'999'901));
  EXPECT_EQ(request->frame(1), frame);
}

TEST(AvroRequest, DeflateFramesFollowEachOtherInOneStream) {
  AvroBatchOptions o = options(50);
  o.deflate = true;
  o.body_bytes = 300;
  auto request = AvroBatchRequest::build(o);
  ASSERT_TRUE(request.ok());
  avro::ProtocolRegistry registry;
  ServerSession server(registry);
  ClientSession client;

  // The connection's stream: the zlib header, the handshake call, then template frames.
  std::string stream(kZlibStreamHeader);
  std::string payload;
  client.encode_append_batch(request->events(), payload);
  std::string framed;
  avro::encode_frame(1, payload, framed);
  ASSERT_TRUE(deflate_frame(framed, 6, stream).ok());
  for (int32_t serial = 2; serial <= 4; ++serial) {
    ASSERT_TRUE(request->move_to(static_cast<uint64_t>(serial - 1) * 50));
    request->stamp(1'795'237'800'000 + serial);  // each frame its own send time
    stream += request->frame(serial);
  }
  EXPECT_LT(request->frame(5).size(), request->plain_frame().size() / 2) << "the padding is compressed";

  auto frames = frames_of(stream, true);
  ASSERT_EQ(frames.size(), 4u);
  expect_events(server, frames[0].second, 0, 50, 300);
  ASSERT_EQ(client.decode_response(server.respond(FlumeStatus::ok)).status, FlumeStatus::ok);
  for (int32_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(frames[static_cast<size_t>(i)].first, i + 1);
    expect_events(server, frames[static_cast<size_t>(i)].second, static_cast<uint64_t>(i) * 50, 50, 300,
                  format_timestamp_ms(1'795'237'800'000 + i + 1));
  }
}

TEST(AvroRequest, BuildErrors) {
  AvroBatchOptions o = options();
  o.events = 0;
  EXPECT_FALSE(AvroBatchRequest::build(o).ok());
  o = options();
  o.body_bytes = 10;
  EXPECT_NE(AvroBatchRequest::build(o).error().message.find("10 bytes"), std::string::npos);
  o = options(5, 9'999'999'996);
  EXPECT_FALSE(AvroBatchRequest::build(o).ok());
}

}  // namespace
}  // namespace sluice::bench
