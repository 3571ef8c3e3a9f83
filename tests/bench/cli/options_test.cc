#include "bench/cli/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/cli/syslog_options.h"

namespace sluice::bench {
namespace {

Result<SyslogCommand> parse(std::vector<std::string_view> args) { return parse_syslog_options(args); }

// The parse fails and its message contains `needle`.
void expect_error(std::vector<std::string_view> args, std::string_view needle) {
  auto r = parse(args);
  ASSERT_FALSE(r.ok()) << "accepted: " << testing::PrintToString(args);
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST(ParseEndpoint, AcceptsHostPortAndBracketedIpv6) {
  auto e = parse_endpoint("127.0.0.1:5514");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 5514);
  EXPECT_EQ(e->text(), "127.0.0.1:5514");
  e = parse_endpoint("[::1]:514");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->text(), "[::1]:514");
  EXPECT_EQ(parse_endpoint("logs.example.com:65535")->port, 65535);
}

TEST(ParseEndpoint, RejectsMalformedOnes) {
  for (std::string_view bad : {"127.0.0.1", "127.0.0.1:", ":5514", "host:0", "host:65536", "host:55x", "::1:5514",
                               "[::1]5514", "[::1", "[]:5514"})
    EXPECT_FALSE(parse_endpoint(bad).ok()) << bad;
}

TEST(ParseHttpUrl, FillsDefaults) {
  auto u = parse_http_url("http://127.0.0.1:9595/metrics");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9595);
  EXPECT_EQ(u->path, "/metrics");
  u = parse_http_url("http://metrics.local");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/");
  u = parse_http_url("http://[::1]:9595/m?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->path, "/m?x=1");
  EXPECT_EQ(u->text(), "http://[::1]:9595/m?x=1");
  EXPECT_EQ(parse_http_url("http://[::1]/x")->host, "::1");
}

TEST(ParseHttpUrl, RejectsWhatItCannotFetch) {
  EXPECT_NE(parse_http_url("https://h/metrics").error().message.find("https is not supported"), std::string::npos);
  EXPECT_FALSE(parse_http_url("127.0.0.1:9595").ok());
  EXPECT_FALSE(parse_http_url("http://").ok());
  EXPECT_FALSE(parse_http_url("http://:80/").ok());
  EXPECT_FALSE(parse_http_url("http://user@h/").ok());
  EXPECT_FALSE(parse_http_url("http://h:99999/").ok());
}

TEST(ParseQuantity, TakesDecimalSuffixes) {
  EXPECT_EQ(parse_quantity("0").value(), 0u);
  EXPECT_EQ(parse_quantity("250000").value(), 250'000u);
  EXPECT_EQ(parse_quantity("250k").value(), 250'000u);
  EXPECT_EQ(parse_quantity("1.5M").value(), 1'500'000u);
  EXPECT_EQ(parse_quantity("2G").value(), 2'000'000'000u);
  for (std::string_view bad : {"", "k", "-1", "1.5", "1.0000005M", "10x", "1e6", " 5", "-2k", "99999999999999999999"})
    EXPECT_FALSE(parse_quantity(bad).ok()) << bad;
}

TEST(ParseSeconds, WantsAPositiveNumber) {
  EXPECT_DOUBLE_EQ(parse_seconds("10").value(), 10.0);
  EXPECT_DOUBLE_EQ(parse_seconds("0.25").value(), 0.25);
  for (std::string_view bad : {"", "0", "-1", "ten", "5s", "nan"}) EXPECT_FALSE(parse_seconds(bad).ok()) << bad;
}

TEST(SyslogOptions, Defaults) {
  auto r = parse({"--tcp", "127.0.0.1:5514"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const SyslogOptions& o = r->options;
  EXPECT_FALSE(r->help);
  EXPECT_EQ(o.transport, Transport::tcp);
  EXPECT_EQ(o.target.port, 5514);
  EXPECT_EQ(o.framing, SyslogFraming::octet_counting);
  EXPECT_EQ(o.message_bytes, 200u);
  EXPECT_EQ(o.load.connections, 4u);
  EXPECT_EQ(o.load.rate_per_s, 0u);
  EXPECT_DOUBLE_EQ(o.load.duration_s, 10.0);
  EXPECT_EQ(o.load.count, 0u);
  ASSERT_TRUE(o.load.metrics.has_value());
  EXPECT_EQ(o.load.metrics->text(), "http://127.0.0.1:9595/metrics");
  EXPECT_FALSE(o.load.json);
  EXPECT_FALSE(o.load.quiet);
}

TEST(SyslogOptions, EveryOptionInBothSpellings) {
  auto r = parse({"--udp=[::1]:514", "--connections", "16", "--rate=250k", "--size", "512", "--duration=2.5", "--count",
                  "1M", "--no-metrics", "--json", "--quiet"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const SyslogOptions& o = r->options;
  EXPECT_EQ(o.transport, Transport::udp);
  EXPECT_EQ(o.target.host, "::1");
  EXPECT_EQ(o.framing, SyslogFraming::none);
  EXPECT_EQ(o.load.connections, 16u);
  EXPECT_EQ(o.load.rate_per_s, 250'000u);
  EXPECT_EQ(o.message_bytes, 512u);
  EXPECT_DOUBLE_EQ(o.load.duration_s, 2.5);
  EXPECT_EQ(o.load.count, 1'000'000u);
  EXPECT_FALSE(o.load.metrics.has_value());
  EXPECT_TRUE(o.load.json);
  EXPECT_TRUE(o.load.quiet);

  r = parse({"--tcp", "h:1", "--framing", "lf", "--metrics", "http://10.0.0.1:8080/x"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->options.framing, SyslogFraming::lf);
  EXPECT_EQ(r->options.load.metrics->port, 8080);
}

TEST(SyslogOptions, HelpWinsAndStopsParsing) {
  EXPECT_TRUE(parse({"--help"})->help);
  EXPECT_TRUE(parse({"--tcp", "h:1", "-h", "--bogus"})->help);
}

TEST(SyslogOptions, ErrorsNameTheProblem) {
  expect_error({}, "--tcp HOST:PORT or --udp HOST:PORT");
  expect_error({"--tcp", "h:1", "--udp", "h:1"}, "one of --tcp and --udp");
  expect_error({"--udp", "h:1", "--framing", "lf"}, "--framing applies to TCP only");
  expect_error({"--tcp", "h:1", "--framing", "crlf"}, "neither octet nor lf");
  expect_error({"--tcp", "h:1", "--size", "83"}, "--size 83 is too small");
  expect_error({"--tcp", "h:1", "--size", "0"}, "at least 84 bytes");
  expect_error({"--udp", "h:1", "--size", "65508"}, "does not fit a UDP datagram");
  expect_error({"--tcp", "h:1", "--size", "2M"}, "above the maximum");
  expect_error({"--tcp", "h:1", "--connections", "0"}, "outside 1-256");
  expect_error({"--tcp", "h:1", "--connections", "257"}, "outside 1-256");
  expect_error({"--tcp", "h:1", "--rate", "2G"}, "above the maximum");
  expect_error({"--tcp", "h:1", "--rate", "fast"}, "--rate: 'fast' is not a whole number");
  expect_error({"--tcp", "h:1", "--count", "0"}, "--count: must be at least 1");
  expect_error({"--tcp", "h:1", "--duration", "0"}, "positive number of seconds");
  expect_error({"--tcp", "h:1", "--duration", "1e9"}, "above the maximum");
  expect_error({"--tcp", "h:1", "--metrics", "http://h/", "--no-metrics"}, "contradict");
  expect_error({"--tcp", "h:1", "--metrics", "https://h/"}, "https");
  expect_error({"--tcp", "h:1", "--bogus"}, "unknown option --bogus");
  expect_error({"--tcp", "h:1", "--rate"}, "--rate needs a value (EVENTS_PER_S)");
  expect_error({"--tcp", "h:1", "--rate", "1", "--rate=2"}, "--rate given more than once");
  expect_error({"--tcp", "h:1", "--json=yes"}, "--json takes no value");
  expect_error({"--tcp", "h:1", "extra"}, "unexpected argument 'extra'");
  expect_error({"--tcp", "localhost"}, "--tcp: 'localhost' is not HOST:PORT");
}

TEST(SyslogOptions, UsageListsEveryOption) {
  std::string usage = syslog_usage();
  for (std::string_view name : {"--tcp", "--udp", "--connections", "--rate", "--size", "--duration", "--count",
                                "--framing", "--metrics", "--no-metrics", "--json", "--quiet"})
    EXPECT_NE(usage.find(std::string(name) + " "), std::string::npos) << name;
}

TEST(OptionTable, FlagsAndValuesFromAGenericTable) {
  std::string seen;
  bool flag = false;
  std::vector<OptionSpec> specs = {
      {"--name", "X", "a value",
       [&](std::string_view v) -> Status {
         if (v == "bad") return make_error("no good");
         seen = v;
         return {};
       }},
      {"--flag", "", "a flag",
       [&](std::string_view) -> Status {
         flag = true;
         return {};
       }},
  };
  std::vector<std::string_view> args = {"--name", "=x", "--flag"};
  auto r = parse_options(args, specs);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value());
  EXPECT_EQ(seen, "=x");
  EXPECT_TRUE(flag);
  args = {"--name=bad"};
  EXPECT_EQ(parse_options(args, specs).error().message, "--name: no good");
  EXPECT_EQ(format_option_help(specs), "  --name X                 a value\n  --flag                   a flag\n");
}

}  // namespace
}  // namespace sluice::bench
