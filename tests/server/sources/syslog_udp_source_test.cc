// The syslog UDP source on a real reactor over loopback (tests/server/sources/source_harness.h).
#include "server/sources/syslog_udp_source.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "tests/server/sources/source_harness.h"

namespace sluice::sources {
namespace {

using testing::SourceHarness;

TEST(SyslogUdpSource, OneDatagramIsOneEventWithTheSendersAddress) {
  SourceHarness h(/*durable_on_demand=*/false, 4 << 20, base::Transport::udp);
  SyslogSourceOptions o;
  o.name = "r1";
  o.type = "syslogudp";
  o.event.client_ip_header = "clientIp";
  h.start(std::make_unique<SyslogUdpSource>(o, h.listen_fd(), h.logs(), h.probe()));
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(h.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (std::string_view m : {"<14>Dec  7 10:00:01 host app: first", "<14>Dec  7 10:00:02 host app: second\n"})
    ASSERT_EQ(::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(m.size()));
  ::close(fd);
  // Datagrams are not acknowledged: wait until both were counted.
  const int64_t until = base::monotonic_ms() + 10'000;
  for (;;) {
    base::MetricsWriter out;
    h.probe().collect(out);
    if (out.sum("sluice_source_accepted_events_total") >= 2 || base::monotonic_ms() > until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  h.stop();
  auto events = h.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].body, "app: first");
  EXPECT_EQ(events[1].body, "app: second");
  EXPECT_EQ(events[0].header("clientIp"), "127.0.0.1");
}

}  // namespace
}  // namespace sluice::sources
