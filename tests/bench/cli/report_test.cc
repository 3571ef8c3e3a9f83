#include "bench/cli/report.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <limits>

namespace sluice::bench {
namespace {

RunSummary sample() {
  RunSummary s;
  s.subcommand = "syslog";
  s.transport = "tcp";
  s.target = "127.0.0.1:5514";
  s.framing = "octet";
  s.connections = 4;
  s.size = 200;
  s.rate_target = 0;
  s.duration_target_s = 10;
  s.events_sent = 50'000'000;
  s.bytes_sent = 10'200'000'000;
  s.elapsed_s = 10;
  s.stop_reason = "duration";
  return s;
}

TEST(GroupThousands, PutsCommasEveryThreeDigits) {
  EXPECT_EQ(group_thousands(0), "0");
  EXPECT_EQ(group_thousands(999), "999");
  EXPECT_EQ(group_thousands(1000), "1,000");
  EXPECT_EQ(group_thousands(1234567), "1,234,567");
  EXPECT_EQ(group_thousands(UINT64_MAX), "18,446,744,073,709,551,615");
}

TEST(JsonQuote, EscapesWhatJsonRequires) {
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
}

TEST(SummaryJson, HasEveryFieldWithNullsForMissingServerNumbers) {
  RunSummary s = sample();
  s.server_note = "not measured: cannot connect to http://127.0.0.1:9595/metrics: Connection refused";
  s.errors = {"connection 2: the server closed the connection after 5 events (Broken pipe)"};
  std::string text = format_summary_json(s);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);  // one line
  boost::json::object o = boost::json::parse(text).as_object();
  EXPECT_EQ(o.at("subcommand").as_string(), "syslog");
  EXPECT_EQ(o.at("transport").as_string(), "tcp");
  EXPECT_EQ(o.at("connections").as_int64(), 4);
  EXPECT_EQ(o.at("size").as_int64(), 200);
  EXPECT_EQ(o.at("rate_target").as_int64(), 0);
  EXPECT_EQ(o.at("events_sent").as_int64(), 50'000'000);
  EXPECT_EQ(o.at("bytes_sent").as_int64(), 10'200'000'000);
  EXPECT_DOUBLE_EQ(o.at("elapsed_s").as_double(), 10.0);
  EXPECT_DOUBLE_EQ(o.at("events_per_s").as_double(), 5'000'000.0);
  EXPECT_DOUBLE_EQ(o.at("mb_per_s").as_double(), 1020.0);
  EXPECT_TRUE(o.at("server_events_accepted").is_null());
  EXPECT_TRUE(o.at("server_events_per_s").is_null());
  EXPECT_TRUE(o.at("count_target").is_null());
  EXPECT_EQ(o.at("server_note").as_string(), s.server_note);
  EXPECT_EQ(o.at("errors").as_array().size(), 1u);
}

TEST(SummaryJson, CarriesTheServerNumbers) {
  RunSummary s = sample();
  s.framing = "";
  s.transport = "udp";
  s.count_target = 1000;
  s.server_events_accepted = 49'000'000;
  s.server_events_per_s = 4'803'921.5686;
  s.server_window_s = 10.2;
  boost::json::object o = boost::json::parse(format_summary_json(s)).as_object();
  EXPECT_TRUE(o.at("framing").is_null());
  EXPECT_EQ(o.at("count_target").as_int64(), 1000);
  EXPECT_EQ(o.at("server_events_accepted").as_int64(), 49'000'000);
  EXPECT_NEAR(o.at("server_events_per_s").as_double(), 4'803'921.569, 0.001);
  EXPECT_TRUE(o.at("server_note").is_null());
}

TEST(SummaryJson, AnEmptyRunHasNoInfinities) {
  RunSummary s = sample();
  s.events_sent = 0;
  s.bytes_sent = 0;
  s.elapsed_s = 0;
  boost::json::object o = boost::json::parse(format_summary_json(s)).as_object();
  EXPECT_EQ(o.at("events_per_s").as_double(), 0.0);
}

TEST(SummaryText, ShowsClientAndServerLines) {
  RunSummary s = sample();
  std::string text = format_summary_text(s);
  EXPECT_NE(text.find("syslog over tcp to 127.0.0.1:5514: 4 connections, 200-byte messages, octet framing, "
                      "unlimited rate"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("50,000,000 events"), std::string::npos) << text;
  EXPECT_NE(text.find("5,000,000 events/s"), std::string::npos) << text;
  EXPECT_EQ(text.find("server"), std::string::npos) << text;

  s.server_events_accepted = 25'000'000;
  s.server_events_per_s = 2'500'000;
  s.server_window_s = 10;
  s.warnings = {"connection 1: something odd"};
  text = format_summary_text(s);
  EXPECT_NE(text.find("25,000,000 events accepted (50.00% of sent), 2,500,000 events/s over 10.00 s"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("warning: connection 1: something odd"), std::string::npos) << text;
}

RunSummary http_sample() {
  RunSummary s = sample();
  s.subcommand = "http";
  s.target = "http://127.0.0.1:8080/";
  s.framing = "";
  RequestSummary r;
  r.batch = 100;
  r.pipeline = 4;
  r.format = "json";
  r.compression = "gzip";
  r.requests_sent = 500'000;
  r.requests_acked = 490'000;
  r.events_acked = 49'000'000;
  r.retries = 12;
  r.requests_failed = 3;
  r.events_failed = 300;
  r.requests_abandoned = 2;
  r.events_abandoned = 200;
  r.latency_samples = 490'000;
  r.latency_p50_ms = 0.231;
  r.latency_p99_ms = 0.912;
  r.latency_p999_ms = 1.5034;
  r.latency_max_ms = 4.1;
  r.latency_mean_ms = 0.25;
  s.requests = r;
  return s;
}

TEST(SummaryJson, SyslogHasNoRequestFields) {
  boost::json::object o = boost::json::parse(format_summary_json(sample())).as_object();
  EXPECT_FALSE(o.contains("batch"));
  EXPECT_FALSE(o.contains("latency_p50_ms"));
  EXPECT_EQ(o.size(), 22u + 9u);  // + the delivery fields
  EXPECT_TRUE(o.at("size_dist").is_null());
}

TEST(SummaryJson, DeliveryLatencyIsNullUntilMeasured) {
  RunSummary s = sample();
  s.delivery_note = "not measured: the server has no sluice_sink_event_age_seconds";
  boost::json::object o = boost::json::parse(format_summary_json(s)).as_object();
  EXPECT_EQ(o.at("delivery_from").as_string(), "send");
  for (const char* key : {"delivery_events", "delivery_p50_ms", "delivery_p90_ms", "delivery_p99_ms",
                          "delivery_p999_ms", "delivery_mean_ms", "delivery_resolution_ms"})
    EXPECT_TRUE(o.at(key).is_null()) << key;
  EXPECT_EQ(o.at("delivery_note").as_string(), s.delivery_note);
  EXPECT_NE(format_summary_text(s).find("delivery not measured: the server has no"), std::string::npos);
}

TEST(SummaryJson, DeliveryLatencyOutsideTheBucketsIsABoundInText) {
  RunSummary s = sample();
  s.delivery = DeliveryLatency{.events = 1000,
                               .p50_ms = 0.5,
                               .p90_ms = 4,
                               .p99_ms = 12.5,
                               .p999_ms = std::numeric_limits<double>::infinity(),
                               .mean_ms = 2.5,
                               .largest_bound_ms = 600'000,
                               .resolution_ms = 1};
  boost::json::object o = boost::json::parse(format_summary_json(s)).as_object();
  EXPECT_EQ(o.at("delivery_events").as_int64(), 1000);
  EXPECT_DOUBLE_EQ(o.at("delivery_p50_ms").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(o.at("delivery_resolution_ms").as_double(), 1);
  EXPECT_DOUBLE_EQ(o.at("delivery_p99_ms").as_double(), 12.5);
  EXPECT_TRUE(o.at("delivery_p999_ms").is_null());
  EXPECT_TRUE(o.at("delivery_note").is_null());
  // Within the first bucket the histogram says only "below its bound".
  EXPECT_NE(format_summary_text(s).find("delivery p50 < 1 ms  p90 4.0 ms  p99 12.5 ms  p99.9 > 600 s  mean 2.50 ms  "
                                        "(1,000 events, send to sink)"),
            std::string::npos)
      << format_summary_text(s);
}

TEST(SummaryJson, SizeDistributionIsNamedWithTheMeanAsSize) {
  RunSummary s = sample();
  s.size = 1050;
  s.size_dist = "uniform:100-2000";
  boost::json::object o = boost::json::parse(format_summary_json(s)).as_object();
  EXPECT_EQ(o.at("size_dist").as_string(), "uniform:100-2000");
  EXPECT_EQ(o.at("size").as_int64(), 1050);
  EXPECT_NE(format_summary_text(s).find("uniform:100-2000 (mean 1050 bytes) messages"), std::string::npos)
      << format_summary_text(s);
}

TEST(SummaryJson, RequestSubcommandsAddAcknowledgementsAndLatency) {
  RunSummary s = http_sample();
  boost::json::object o = boost::json::parse(format_summary_json(s)).as_object();
  EXPECT_EQ(o.at("subcommand").as_string(), "http");
  EXPECT_TRUE(o.at("framing").is_null());
  EXPECT_EQ(o.at("batch").as_int64(), 100);
  EXPECT_EQ(o.at("pipeline").as_int64(), 4);
  EXPECT_EQ(o.at("format").as_string(), "json");
  EXPECT_EQ(o.at("compression").as_string(), "gzip");
  EXPECT_EQ(o.at("requests_sent").as_int64(), 500'000);
  EXPECT_EQ(o.at("requests_acked").as_int64(), 490'000);
  EXPECT_EQ(o.at("events_acked").as_int64(), 49'000'000);
  EXPECT_DOUBLE_EQ(o.at("acked_events_per_s").as_double(), 4'900'000.0);
  EXPECT_DOUBLE_EQ(o.at("requests_per_s").as_double(), 49'000.0);
  EXPECT_EQ(o.at("retries").as_int64(), 12);
  EXPECT_EQ(o.at("requests_failed").as_int64(), 3);
  EXPECT_EQ(o.at("events_failed").as_int64(), 300);
  EXPECT_EQ(o.at("requests_abandoned").as_int64(), 2);
  EXPECT_EQ(o.at("events_abandoned").as_int64(), 200);
  EXPECT_EQ(o.at("reconnects").as_int64(), 0);
  EXPECT_EQ(o.at("latency_samples").as_int64(), 490'000);
  EXPECT_DOUBLE_EQ(o.at("latency_p50_ms").as_double(), 0.231);
  EXPECT_DOUBLE_EQ(o.at("latency_p999_ms").as_double(), 1.503);
  EXPECT_DOUBLE_EQ(o.at("latency_max_ms").as_double(), 4.1);
  EXPECT_EQ(o.size(), 22u + 9u + 21u);

  s.requests->latency_samples = 0;
  s.requests->format = "";
  o = boost::json::parse(format_summary_json(s)).as_object();
  EXPECT_TRUE(o.at("latency_p50_ms").is_null());
  EXPECT_TRUE(o.at("latency_mean_ms").is_null());
  EXPECT_TRUE(o.at("format").is_null());
}

TEST(SummaryText, RequestSubcommandsShowAcknowledgementsAndLatency) {
  RunSummary s = http_sample();
  s.server_events_accepted = 49'000'000;
  s.server_events_per_s = 4'800'000;
  s.server_window_s = 10.2;
  std::string text = format_summary_text(s);
  EXPECT_NE(text.find("http to http://127.0.0.1:8080/: 4 connections, requests of 100 200-byte events, json, gzip, "
                      "4 in flight, unlimited rate\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(stopped by duration), 500,000 requests\n"), std::string::npos) << text;
  EXPECT_NE(text.find("acked        49,000,000 events     4,900,000 events/s  49,000 requests/s\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("latency p50 0.231 ms  p99 0.912 ms  p99.9 1.503 ms  max 4.100 ms  mean 0.250 ms\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("retried              12 requests\n"), std::string::npos) << text;
  EXPECT_NE(text.find("failed              300 events  in 3 requests answered with an error\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("unacked             200 events  in 2 requests with no final answer\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("49,000,000 events accepted (100.00% of acknowledged)"), std::string::npos) << text;

  s.requests->unit = "batches";
  s.requests->requests_failed = 1;
  s.requests->requests_abandoned = 1;
  text = format_summary_text(s);
  EXPECT_NE(text.find("in 1 batch answered with an error"), std::string::npos) << text;
  EXPECT_NE(text.find("in 1 batch with no final answer"), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice::bench
