// The Avro RPC source on a real reactor over loopback (tests/server/sources/source_harness.h),
// driven by the project's own Avro IPC client session, as Flume's Avro sink would drive it.
#include "server/sources/avro_source.h"

#include <gtest/gtest.h>

#include "protocols/avro/ipc_client_session.h"
#include "protocols/avro/netty_frame.h"
#include "tests/server/sources/source_harness.h"

namespace sluice::sources {
namespace {

using testing::Client;
using testing::SourceHarness;

// Sends one appendBatch (with the handshake the first call carries) and returns the status the
// source answered, or nullopt when no answer came (closed, timed out).
std::optional<avro::FlumeStatus> append_batch(Client& c, avro::ClientSession& session,
                                              std::span<const avro::FlumeEvent> events, int32_t serial) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string request, framed;
    session.encode_append_batch(events, request);
    avro::encode_frame(serial, request, framed);
    if (!c.send(framed)) return std::nullopt;
    std::optional<std::string> payload;
    c.receive_until([&](const std::string& got) {
      if (payload) return true;
      avro::FrameDecoder d;
      auto r = d.decode(got);
      if (r.status != avro::FrameDecoder::Status::frame) return false;
      payload = std::string(d.frame().payload);
      return true;
    });
    if (!payload) return std::nullopt;
    auto response = session.decode_response(*payload);
    if (response.kind == avro::ClientSession::Response::Kind::resend) continue;
    if (response.kind != avro::ClientSession::Response::Kind::status) return std::nullopt;
    return response.status;
  }
  return std::nullopt;
}

TEST(AvroSource, AnAppendBatchIsStoredAndAnsweredOk) {
  SourceHarness h;
  AvroSourceOptions o;
  o.name = "r1";
  h.start(std::make_unique<AvroSource>(o, h.listen_fd(), h.logs(), h.probe()));
  Client c(h.port());
  ASSERT_TRUE(c.connected());
  avro::ClientSession session;
  const ringbuf::Header headers[] = {{"k", "v"}};
  const avro::FlumeEvent events[] = {{headers, "first"}, {{}, "second"}};
  EXPECT_EQ(append_batch(c, session, events, 1), avro::FlumeStatus::ok);
  const avro::FlumeEvent more[] = {{{}, "third"}};
  EXPECT_EQ(append_batch(c, session, more, 2), avro::FlumeStatus::ok) << "a second call on the same connection";
  h.stop();
  auto stored = h.events();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].body, "first");
  EXPECT_EQ(stored[0].header("k"), "v");
  EXPECT_EQ(stored[2].body, "third");
}

TEST(AvroSource, AFullChannelAnswersFailedAndStoresNothingOfTheCall) {
  SourceHarness h(/*durable_on_demand=*/false, /*capacity_bytes=*/64 << 10);
  AvroSourceOptions o;
  o.name = "r1";
  h.start(std::make_unique<AvroSource>(o, h.listen_fd(), h.logs(), h.probe()));
  Client c(h.port());
  avro::ClientSession session;
  const std::string body(40 << 10, 'x');
  const avro::FlumeEvent events[] = {{{}, body}, {{}, body}};  // 80 KiB: more than the channel
  EXPECT_EQ(append_batch(c, session, events, 1), avro::FlumeStatus::failed);
  h.stop();
  EXPECT_TRUE(h.events().empty());
}

TEST(AvroSource, AFrameOverTheLimitClosesTheConnection) {
  SourceHarness h;
  AvroSourceOptions o;
  o.name = "r1";
  o.frame_bytes_max = 1024;
  h.start(std::make_unique<AvroSource>(o, h.listen_fd(), h.logs(), h.probe()));
  Client c(h.port());
  avro::ClientSession session;
  const std::string body(4096, 'x');
  const avro::FlumeEvent events[] = {{{}, body}};
  EXPECT_EQ(append_batch(c, session, events, 1), std::nullopt);
  EXPECT_TRUE(c.closed_by_peer());
  h.stop();
  base::MetricsWriter out;
  h.probe().collect(out);
  EXPECT_EQ(out.sum("sluice_source_limit_rejections_total"), 1);
  EXPECT_TRUE(h.events().empty());
}

}  // namespace
}  // namespace sluice::sources
