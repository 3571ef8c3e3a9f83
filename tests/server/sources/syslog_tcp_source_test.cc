// The syslog TCP source on a real reactor over loopback (tests/server/sources/source_harness.h).
#include "server/sources/syslog_tcp_source.h"

#include <gtest/gtest.h>

#include "tests/server/sources/source_harness.h"

namespace sluice::sources {
namespace {

using testing::Client;
using testing::SourceHarness;

SyslogSourceOptions syslog_options(int64_t idle_timeout_ms = 600'000) {
  SyslogSourceOptions o;
  o.name = "r1";
  o.type = "syslogtcp";
  o.idle_timeout_ms = idle_timeout_ms;
  return o;
}

TEST(SyslogTcpSource, StoresOctetCountedAndNewlineFramedMessages) {
  SourceHarness h;
  const SyslogSourceOptions o = syslog_options();
  h.start(std::make_unique<SyslogTcpSource>(o, h.listen_fd(), h.logs(), h.probe()));
  {
    Client c(h.port());
    ASSERT_TRUE(c.connected());
    const std::string framed = "<13>1 2026-12-07T10:00:00Z host app - - - counted";
    ASSERT_TRUE(c.send(std::to_string(framed.size()) + " " + framed));
    ASSERT_TRUE(c.send("<14>Dec  7 10:00:01 host app: lined\n"));
    // Split in the middle of a message: framing must not depend on how TCP cut the stream.
    ASSERT_TRUE(c.send("<14>Dec  7 10:00:02 host app: sp"));
    ASSERT_TRUE(c.send("lit\n"));
    c.shut_write();
    EXPECT_TRUE(c.closed_by_peer());
  }
  h.stop();
  auto events = h.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].body, "app - - - counted");  // Flume keeps RFC 5424's fields after the host
  EXPECT_EQ(events[0].header("host"), "host");
  EXPECT_EQ(events[1].body, "app: lined");
  EXPECT_EQ(events[2].body, "app: split");
}

TEST(SyslogTcpSource, AnIdleConnectionIsClosedAndCounted) {
  SourceHarness h;
  const SyslogSourceOptions o = syslog_options(/*idle_timeout_ms=*/200);
  h.start(std::make_unique<SyslogTcpSource>(o, h.listen_fd(), h.logs(), h.probe()));
  Client c(h.port());
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(c.closed_by_peer());
  h.stop();
  base::MetricsWriter out;
  h.probe().collect(out);
  EXPECT_EQ(out.sum("sluice_source_timed_out_connections_total", {{"reason", "idle"}}), 1);
}

}  // namespace
}  // namespace sluice::sources
