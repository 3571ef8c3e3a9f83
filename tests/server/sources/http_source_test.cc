// The HTTP source on a real reactor over loopback (tests/server/sources/source_harness.h):
// what a client is answered and what is stored.
#include "server/sources/http_source.h"

#include <gtest/gtest.h>

#include "tests/server/sources/source_harness.h"

namespace sluice::sources {
namespace {

using testing::Client;
using testing::SourceHarness;

std::string post(std::string_view body, std::string_view path = "/", std::string_view extra = "") {
  return fmt::format("POST {} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{}Content-Length: {}\r\n\r\n{}",
                     path, extra, body.size(), body);
}

// One whole response: its head and a body of Content-Length bytes.
bool has_response(const std::string& got) {
  size_t head_end = got.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  size_t cl = got.find("Content-Length: ");
  if (cl == std::string::npos || cl > head_end) return true;
  return got.size() >= head_end + 4 + std::stoul(got.substr(cl + 16));
}

struct HttpFixture {
  explicit HttpFixture(bool durable_on_demand = false) : harness(durable_on_demand) {
    options.name = "r1";
    options.request_headers = {"X-Id"};
    harness.start(std::make_unique<HttpSource>(options, harness.listen_fd(), harness.logs(), harness.probe(), http));
  }
  HttpSourceOptions options;
  HttpProbe http;
  SourceHarness harness;
};

TEST(HttpSource, StoresEveryEventOfAPostAndAnswers200) {
  HttpFixture f;
  Client c(f.harness.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(post(R"([{"headers":{"a":"1"},"body":"one"},{"body":"two"}])", "/", "X-Id: abc\r\n")));
  EXPECT_TRUE(c.receive_until(has_response).starts_with("HTTP/1.1 200"));
  f.harness.stop();
  auto events = f.harness.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].body, "one");
  EXPECT_EQ(events[0].header("a"), "1");
  EXPECT_EQ(events[0].header("X-Id"), "abc");
  EXPECT_EQ(events[1].body, "two");
}

TEST(HttpSource, A200WaitsUntilTheEventsAreDurable) {
  HttpFixture f(/*durable_on_demand=*/true);
  Client c(f.harness.port(), /*timeout_ms=*/300);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(post(R"([{"body":"held"}])")));
  EXPECT_EQ(c.receive_until(has_response), "") << "answered before the channel made the event durable";
  f.harness.make_durable();
  std::string got;
  for (int i = 0; i < 20 && got.empty(); ++i) got = c.receive_until(has_response);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
}

TEST(HttpSource, MalformedBodiesAndOtherPathsStoreNothing) {
  HttpFixture f;
  {
    Client c(f.harness.port());
    ASSERT_TRUE(c.send(post(R"([{"body":)")));
    EXPECT_TRUE(c.receive_until(has_response).starts_with("HTTP/1.1 400"));
  }
  {
    Client c(f.harness.port());
    ASSERT_TRUE(c.send(post(R"([{"body":"x"}])", "/elsewhere")));
    EXPECT_TRUE(c.receive_until(has_response).starts_with("HTTP/1.1 404"));
  }
  f.harness.stop();
  EXPECT_TRUE(f.harness.events().empty());
}

TEST(HttpSource, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  HttpFixture f;
  Client c(f.harness.port());
  ASSERT_TRUE(c.send(post(R"([{"body":"1"}])") + post("not json") + post(R"([{"body":"3"}])")));
  auto three = [](const std::string& got) {
    size_t n = 0;
    for (size_t at = got.find("HTTP/1.1 "); at != std::string::npos; at = got.find("HTTP/1.1 ", at + 1)) ++n;
    return n == 3 && has_response(got.substr(got.rfind("HTTP/1.1 ")));
  };
  std::string got = c.receive_until(three);
  const size_t first = got.find("HTTP/1.1 200"), second = got.find("HTTP/1.1 400"),
               third = got.find("HTTP/1.1 200", first + 1);
  ASSERT_NE(first, std::string::npos) << got;
  ASSERT_NE(second, std::string::npos) << got;
  ASSERT_NE(third, std::string::npos) << got;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  f.harness.stop();
  auto events = f.harness.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].body, "1");
  EXPECT_EQ(events[1].body, "3");
}

TEST(HttpSource, AnIdleKeepAliveConnectionIsClosed) {
  // idleTimeout is checked about once a second; the default is a minute, so shorten it.
  SourceHarness h;
  HttpSourceOptions o;
  o.name = "r1";
  o.idle_timeout_ms = 200;
  HttpProbe http;
  h.start(std::make_unique<HttpSource>(o, h.listen_fd(), h.logs(), h.probe(), http));
  Client c(h.port(), /*timeout_ms=*/5000);
  ASSERT_TRUE(c.send(post(R"([{"body":"x"}])")));
  EXPECT_TRUE(c.receive_until(has_response).starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(c.closed_by_peer());
}

}  // namespace
}  // namespace sluice::sources
