#include "bench/cli/report.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

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

}  // namespace
}  // namespace sluice::bench
