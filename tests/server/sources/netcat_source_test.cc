// The netcat source on a real reactor, over loopback, with behaviours from Flume's
// TestNetcatSource (one event per line, "OK" per line with acks, a line over max-line-length
// answered FAILED with Flume's message and the connection closed, many connections) and what
// sluice adds: a full channel stops reading instead of losing lines, a last line without LF is
// kept, an answer waits for durability.
#include "server/sources/netcat_source.h"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/time.h"
#include "tests/server/sources/source_harness.h"

namespace sluice::sources {
namespace {

using testing::Client;
using testing::SourceHarness;
using testing::StoredEvent;

std::unique_ptr<NetcatSource> make(SourceHarness& harness, const NetcatSourceOptions& options) {
  return std::make_unique<NetcatSource>(options, harness.listen_fd(), EventWriter(harness.logs()), harness.probe());
}

size_t count_of(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST(NetcatSource, EachLineIsAnEventAnsweredOk) {
  SourceHarness harness;
  NetcatSourceOptions options{.name = "n1"};
  harness.start(make(harness, options));
  Client client(harness.port());
  ASSERT_TRUE(client.connected());
  std::string sent;
  for (int i = 0; i < 40; ++i) sent += "Maître Corbeau, sur un arbre perché " + std::to_string(i) + "\n";
  ASSERT_TRUE(client.send(sent));
  const std::string answers = client.receive_until([](const std::string& got) { return count_of(got, "OK\n") == 40; });
  EXPECT_EQ(answers.size(), 40u * 3);
  harness.stop();
  auto events = harness.events();
  ASSERT_EQ(events.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(events[i].body, "Maître Corbeau, sur un arbre perché " + std::to_string(i));
    EXPECT_TRUE(events[i].headers.empty());
  }
}

TEST(NetcatSource, ACarriageReturnStaysInTheBodyAndLinesMaySpanReads) {
  SourceHarness harness;
  NetcatSourceOptions options{.name = "n1", .ack_every_event = false};
  harness.start(make(harness, options));
  Client client(harness.port());
  ASSERT_TRUE(client.send("first\r\nsec"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(client.send("ond\n\nlast without newline"));
  client.shut_write();
  EXPECT_TRUE(client.closed_by_peer());
  auto events = harness.read_until(4);
  harness.stop();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].body, "first\r");
  EXPECT_EQ(events[1].body, "second");
  EXPECT_EQ(events[2].body, "");
  EXPECT_EQ(events[3].body, "last without newline");
}

TEST(NetcatSource, ALineOverMaxLineLengthIsAnsweredFailedAndCloses) {
  SourceHarness harness;
  NetcatSourceOptions options{.name = "n1", .max_line_bytes = 10};
  harness.start(make(harness, options));
  Client client(harness.port());
  ASSERT_TRUE(client.send("123456789\n"));  // 9 chars and the LF: fits
  ASSERT_TRUE(client.send("The quick brown fox jumps over the lazy dog\nnot read\n"));
  const std::string got = client.receive_until([](const std::string& g) { return g.find("newline)\n") != g.npos; });
  EXPECT_EQ(got, "OK\nFAILED: Event exceeds the maximum length (10 chars, including newline)\n");
  EXPECT_TRUE(client.closed_by_peer());
  harness.stop();
  auto events = harness.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].body, "123456789");
}

TEST(NetcatSource, ALongLineWithoutNewlineIsRefusedAsSoonAsItCannotFit) {
  SourceHarness harness;
  NetcatSourceOptions options{.name = "n1", .max_line_bytes = 512, .ack_every_event = false};
  harness.start(make(harness, options));
  Client client(harness.port());
  ASSERT_TRUE(client.send(std::string(100'000, 'x')));  // never an LF: memory must not grow with it
  const std::string got = client.receive_until([](const std::string& g) { return g.find("newline)\n") != g.npos; });
  EXPECT_EQ(got, "FAILED: Event exceeds the maximum length (512 chars, including newline)\n");
  EXPECT_TRUE(client.closed_by_peer());
  harness.stop();
  EXPECT_TRUE(harness.events().empty());
}

TEST(NetcatSource, OkWaitsUntilTheLineIsDurable) {
  SourceHarness harness(/*durable_on_demand=*/true);
  NetcatSourceOptions options{.name = "n1"};
  harness.start(make(harness, options));
  Client client(harness.port(), 300);
  ASSERT_TRUE(client.send("hello\n"));
  EXPECT_EQ(client.receive_until([](const std::string& g) { return !g.empty(); }), "") << "OK before durable";
  harness.make_durable();
  EXPECT_EQ(client.receive_until([](const std::string& g) { return g == "OK\n"; }), "OK\n");
  harness.stop();
}

TEST(NetcatSource, AFullChannelStopsReadingAndLosesNothing) {
  SourceHarness harness(false, 64 << 10);  // a few thousand short lines
  NetcatSourceOptions options{.name = "n1", .ack_every_event = false};
  harness.start(make(harness, options));
  constexpr int kLines = 20'000;
  std::thread writer([&] {
    Client client(harness.port());
    std::string text;
    for (int i = 0; i < kLines; ++i) text += "line " + std::to_string(i) + "\n";
    client.send(text);
    client.shut_write();
    client.closed_by_peer();
  });
  auto events = harness.read_until(kLines);
  writer.join();
  harness.stop();
  ASSERT_EQ(events.size(), size_t{kLines});
  for (int i = 0; i < kLines; ++i) ASSERT_EQ(events[i].body, "line " + std::to_string(i));
  EXPECT_GT(harness.probe().backpressure_pauses(), 0u);
}

TEST(NetcatSource, AStalledClientIsClosedAfterIdleTimeoutAndItsLineBegunIsKept) {
  SourceHarness harness;
  NetcatSourceOptions options{.name = "n1", .ack_every_event = false, .idle_timeout_ms = 200};
  harness.start(make(harness, options));
  Client client(harness.port());
  ASSERT_TRUE(client.send("begun but never ended"));
  EXPECT_TRUE(client.closed_by_peer());  // the timeout check runs about once a second
  auto events = harness.read_until(1);
  harness.stop();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].body, "begun but never ended");
}

TEST(NetcatSource, ManyConnections) {
  SourceHarness harness;
  NetcatSourceOptions options{.name = "n1"};
  harness.start(make(harness, options));
  for (int i = 0; i < 100; ++i) {
    Client client(harness.port());
    ASSERT_TRUE(client.send("Test message\n"));
    EXPECT_EQ(client.receive_until([](const std::string& g) { return g == "OK\n"; }), "OK\n");
  }
  harness.stop();
  auto events = harness.events();
  ASSERT_EQ(events.size(), 100u);
  for (const auto& e : events) EXPECT_EQ(e.body, "Test message");
}

}  // namespace
}  // namespace sluice::sources
