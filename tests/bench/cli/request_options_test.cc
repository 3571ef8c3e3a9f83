// Options of the request/response subcommands: `sluice-bench http` and `sluice-bench avro`.
#include <gtest/gtest.h>

#include <set>

#include <string>
#include <vector>

#include "bench/cli/avro_options.h"
#include "bench/cli/http_options.h"

namespace sluice::bench {
namespace {

template <typename Parse>
void expect_error(Parse parse, std::vector<std::string_view> args, std::string_view needle) {
  auto r = parse(args);
  ASSERT_FALSE(r.ok()) << "accepted: " << testing::PrintToString(args);
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

auto http = [](std::vector<std::string_view> args) { return parse_http_options(args); };
auto avro = [](std::vector<std::string_view> args) { return parse_avro_options(args); };

TEST(HttpOptions, Defaults) {
  auto r = http({"http://127.0.0.1:8080/ingest"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const HttpOptions& o = r->options;
  EXPECT_EQ(o.url.host, "127.0.0.1");
  EXPECT_EQ(o.url.port, 8080);
  EXPECT_EQ(o.url.path, "/ingest");
  EXPECT_EQ(o.request.batch, 100u);
  EXPECT_EQ(o.request.body_bytes, 200u);
  EXPECT_EQ(o.request.retries, 100u);
  EXPECT_EQ(o.format, HttpFormat::json);
  EXPECT_FALSE(o.gzip);
  EXPECT_EQ(o.pipeline, 1u);
  EXPECT_EQ(o.load.connections, 4u);
  EXPECT_DOUBLE_EQ(o.load.duration_s, 10.0);
  ASSERT_TRUE(o.load.metrics.has_value());
}

TEST(HttpOptions, EveryOptionAndTheUrlAnywhere) {
  auto r = http({"--connections",
                 "8",
                 "--batch=1k",
                 "http://[::1]:9000",
                 "--size",
                 "512",
                 "--format",
                 "ndjson",
                 "--gzip",
                 "--pipeline",
                 "16",
                 "--retries",
                 "0",
                 "--rate",
                 "1M",
                 "--duration",
                 "3",
                 "--count",
                 "5M",
                 "--no-metrics",
                 "--json",
                 "--quiet"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const HttpOptions& o = r->options;
  EXPECT_EQ(o.url.host, "::1");
  EXPECT_EQ(o.url.path, "/");
  EXPECT_EQ(o.request.batch, 1000u);
  EXPECT_EQ(o.request.body_bytes, 512u);
  EXPECT_EQ(o.request.retries, 0u);
  EXPECT_EQ(o.format, HttpFormat::ndjson);
  EXPECT_TRUE(o.gzip);
  EXPECT_EQ(o.pipeline, 16u);
  EXPECT_EQ(o.load.connections, 8u);
  EXPECT_EQ(o.load.rate_per_s, 1'000'000u);
  EXPECT_EQ(o.load.count, 5'000'000u);
  EXPECT_FALSE(o.load.metrics.has_value());
  EXPECT_TRUE(o.load.json && o.load.quiet);
  EXPECT_EQ(http({"http://h/", "--format=text"})->options.format, HttpFormat::text);
}

TEST(HttpOptions, ErrorsNameTheProblem) {
  expect_error(http, {}, "give the server's URL");
  expect_error(http, {"--gzip"}, "give the server's URL");
  expect_error(http, {"127.0.0.1:8080"}, "is not an http:// URL");
  expect_error(http, {"https://h/"}, "https is not supported");
  expect_error(http, {"http://h/", "http://g/"}, "unexpected argument 'http://g/'");
  expect_error(http, {"http://h/", "--batch", "0"}, "--batch: 0 is outside 1-100000");
  expect_error(http, {"http://h/", "--batch", "100001"}, "outside 1-100000");
  expect_error(http, {"http://h/", "--size", "22"}, "--size 22 is too small");
  expect_error(http, {"http://h/", "--size", "2M"}, "above the maximum");
  expect_error(http, {"http://h/", "--format", "xml"}, "'xml' is not json, ndjson or text");
  expect_error(http, {"http://h/", "--pipeline", "0"}, "outside 1-64");
  expect_error(http, {"http://h/", "--pipeline", "65"}, "outside 1-64");
  expect_error(http, {"http://h/", "--retries", "-1"}, "not a whole number");
  expect_error(http, {"http://h/", "--retries", "2M"}, "above the maximum");
  expect_error(http, {"http://h/", "--gzip=yes"}, "--gzip takes no value");
  expect_error(http, {"http://h/", "--compression", "deflate"}, "unknown option --compression");
  expect_error(http, {"http://h/", "--metrics", "http://m/", "--no-metrics"}, "contradict");
  expect_error(http, {"http://h/", "--connections", "300"}, "outside 1-256");
  expect_error(http, {"http://h/", "--size", "300", "--size-dist", "uniform:100-200"}, "either --size or --size-dist");
  expect_error(http, {"http://h/", "--size-dist", "uniform:10-200"}, "--size-dist uniform:10-200 is too small");
  expect_error(http, {"http://h/", "--size-dist", "list:100,2M"}, "above the maximum");
  expect_error(http, {"http://h/", "--size-dist", "normal:5"}, "--size-dist");
}

TEST(RequestOptions, SizeDistributionDrawsTheBodySizes) {
  auto r = http({"http://h/", "--size-dist", "list:23,500"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->options.request.size_dist.has_value());
  const std::vector<size_t> sizes = r->options.request.body_sizes();
  EXPECT_EQ(sizes.size(), kSizeTableLength);
  EXPECT_EQ(std::set<size_t>(sizes.begin(), sizes.end()), (std::set<size_t>{23, 500}));
  EXPECT_EQ(sizes, r->options.request.body_sizes()) << "the same sizes every time";
  auto fixed = avro({"h:1", "--size", "300"});
  EXPECT_EQ(fixed->options.request.body_sizes(), std::vector<size_t>{300});
  EXPECT_FALSE(fixed->options.request.size_dist.has_value());
}

TEST(HttpOptions, HelpAndUsage) {
  EXPECT_TRUE(http({"--help"})->help);
  EXPECT_FALSE(http({"http://h/", "--bogus", "-h"}).ok());  // an error before the help wins
  EXPECT_TRUE(http({"-h", "--bogus"})->help);
  std::string usage = http_usage();
  EXPECT_TRUE(usage.starts_with("usage: sluice-bench http URL [options]"));
  for (std::string_view name :
       {"--batch", "--size", "--size-dist", "--retries", "--format", "--gzip", "--pipeline", "--connections", "--rate",
        "--duration", "--count", "--metrics", "--no-metrics", "--json", "--quiet"})
    EXPECT_NE(usage.find(std::string(name) + " "), std::string::npos) << name;
}

TEST(AvroOptions, DefaultsAndEveryOption) {
  auto r = avro({"127.0.0.1:4141"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->options.target.text(), "127.0.0.1:4141");
  EXPECT_FALSE(r->options.deflate);
  EXPECT_EQ(r->options.request.batch, 100u);
  r = avro({"--compression", "deflate", "[::1]:4141", "--batch", "10", "--size", "23", "--retries", "5",
            "--connections", "2", "--count", "1k", "--no-metrics"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->options.deflate);
  EXPECT_EQ(r->options.target.host, "::1");
  EXPECT_EQ(r->options.request.batch, 10u);
  EXPECT_EQ(r->options.request.body_bytes, 23u);
  EXPECT_EQ(r->options.request.retries, 5u);
  EXPECT_EQ(r->options.load.count, 1000u);
  EXPECT_FALSE(avro({"h:1", "--compression=none"})->options.deflate);
}

TEST(AvroOptions, ErrorsNameTheProblem) {
  expect_error(avro, {}, "give the server as HOST:PORT");
  expect_error(avro, {"localhost"}, "'localhost' is not HOST:PORT");
  expect_error(avro, {"h:1", "h:2"}, "unexpected argument 'h:2'");
  expect_error(avro, {"h:1", "--compression", "gzip"}, "'gzip' is neither none nor deflate");
  expect_error(avro, {"h:1", "--size", "5"}, "--size 5 is too small");
  expect_error(avro, {"h:1", "--gzip"}, "unknown option --gzip");
  expect_error(avro, {"h:1", "--batch"}, "--batch needs a value (K)");
  std::string usage = avro_usage();
  EXPECT_TRUE(usage.starts_with("usage: sluice-bench avro HOST:PORT [options]"));
  EXPECT_NE(usage.find("--compression none|deflate"), std::string::npos);
}

}  // namespace
}  // namespace sluice::bench
