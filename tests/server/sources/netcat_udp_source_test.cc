// The netcatudp source on a real reactor over loopback, with behaviours from Flume's
// TestNetcatUdpSource (short, medium and large payloads, one event per datagram) and its code
// (the body stops at the first LF; the sender's address under the remoteAddress header).
#include "server/sources/netcat_udp_source.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/server/sources/source_harness.h"

namespace sluice::sources {
namespace {

using testing::SourceHarness;

// Sends each datagram from one socket; returns the local port it sent from.
uint16_t send_datagrams(uint16_t port, const std::vector<std::string>& datagrams) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (const std::string& d : datagrams)
    EXPECT_EQ(::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(d.size()));
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&from), &len);
  ::close(fd);
  return ntohs(from.sin_port);
}

TEST(NetcatUdpSource, EachDatagramIsOneEventUpToItsFirstNewline) {
  SourceHarness h(false, 8 << 20, base::Transport::udp);
  NetcatUdpSourceOptions o{.name = "u1", .remote_address_header = "remote"};
  h.start(std::make_unique<NetcatUdpSource>(o, h.listen_fd(), EventWriter(h.logs()), h.probe()));
  const std::string medium(120, 'm');
  const std::string large(1000, 'x');
  const std::string largest(kNetcatUdpPayloadMax, 'z');
  std::vector<std::string> sent;
  for (int i = 0; i < 10; ++i) sent.push_back("Lorem ipsum dolor sit amet.");
  sent.push_back(medium);
  sent.push_back(large);
  sent.push_back("first line\nsecond line is dropped\n");
  sent.push_back("");
  sent.push_back(largest);
  const uint16_t from = send_datagrams(h.port(), sent);
  auto events = h.read_until(sent.size());
  h.stop();
  ASSERT_EQ(events.size(), sent.size());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(events[i].body, "Lorem ipsum dolor sit amet.");
  EXPECT_EQ(events[10].body, medium);
  EXPECT_EQ(events[11].body, large);
  EXPECT_EQ(events[12].body, "first line");
  EXPECT_EQ(events[13].body, "");
  EXPECT_EQ(events[14].body, largest);
  EXPECT_EQ(events[0].header("remote"), "/127.0.0.1:" + std::to_string(from));
}

TEST(NetcatUdpSource, WithoutRemoteAddressThereIsNoHeader) {
  SourceHarness h(false, 4 << 20, base::Transport::udp);
  NetcatUdpSourceOptions o{.name = "u1"};
  h.start(std::make_unique<NetcatUdpSource>(o, h.listen_fd(), EventWriter(h.logs()), h.probe()));
  send_datagrams(h.port(), {"hello\n"});
  auto events = h.read_until(1);
  h.stop();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].body, "hello");
  EXPECT_TRUE(events[0].headers.empty());
}

}  // namespace
}  // namespace sluice::sources
