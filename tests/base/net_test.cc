#include "base/net.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <unistd.h>

namespace sluice::base {
namespace {

uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

TEST(OpenListener, SharesAPortBetweenShardsWithReusePort) {
  auto first = open_listener(Transport::tcp, "127.0.0.1", 0, PortSharing::shared);
  ASSERT_TRUE(first.ok()) << first.error().message;
  uint16_t port = bound_port(first.value());
  auto second = open_listener(Transport::tcp, "127.0.0.1", port, PortSharing::shared);
  ASSERT_TRUE(second.ok()) << second.error().message;
  // But a group in use is caught before a second server joins it.
  Status free = check_address_free(Transport::tcp, "127.0.0.1", port);
  ASSERT_FALSE(free.ok());
  EXPECT_NE(free.message().find("Address already in use"), std::string::npos) << free.message();
  close(first.value());
  close(second.value());
  EXPECT_TRUE(check_address_free(Transport::tcp, "127.0.0.1", port).ok());
}

TEST(OpenListener, ExclusiveSocketsDoNotShare) {
  auto first = open_listener(Transport::udp, "127.0.0.1", 0);
  ASSERT_TRUE(first.ok());
  auto second = open_listener(Transport::udp, "127.0.0.1", bound_port(first.value()));
  EXPECT_FALSE(second.ok());
  close(first.value());
}

TEST(OpenListener, NamesTheAddressWhenItCannotBind) {
  auto r = open_listener(Transport::udp, "192.0.2.1", 5514);  // TEST-NET-1: not local
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot bind UDP 192.0.2.1:5514"), std::string::npos) << r.error().message;
  auto bad = open_listener(Transport::tcp, "not a host name", 5514);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("cannot resolve 'not a host name'"), std::string::npos) << bad.error().message;
}

TEST(FormatIp, PrintsV4V6AndMappedV4) {
  char out[64];
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_addr.s_addr = htonl(0x7F000001);
  ASSERT_EQ(format_ip(reinterpret_cast<sockaddr*>(&v4), out, sizeof out), 9u);
  EXPECT_STREQ(out, "127.0.0.1");
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_addr = in6addr_loopback;
  format_ip(reinterpret_cast<sockaddr*>(&v6), out, sizeof out);
  EXPECT_STREQ(out, "::1");
  v6.sin6_addr = {};
  v6.sin6_addr.s6_addr[10] = v6.sin6_addr.s6_addr[11] = 0xFF;
  v6.sin6_addr.s6_addr[12] = 10;
  v6.sin6_addr.s6_addr[15] = 7;
  format_ip(reinterpret_cast<sockaddr*>(&v6), out, sizeof out);
  EXPECT_STREQ(out, "10.0.0.7");
}

}  // namespace
}  // namespace sluice::base
