#include "protocols/syslog/syslog_parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "base/civil_time.h"

namespace sluice::syslog {
namespace {

using namespace std::string_view_literals;

// Independent of the code under test: the C library's own conversion.
int64_t utc_ms(int y, int mo, int d, int h, int mi, int s, int ms = 0) {
  tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = s;
  return static_cast<int64_t>(timegm(&t)) * 1000 + ms;
}

// Sets TZ for one test and restores it afterwards. Parsers read the zone at their first local
// conversion, so each test creates its parser after this.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (old_) setenv("TZ", old_->c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }

 private:
  std::optional<std::string> old_;
};

// Most tests run in UTC, "now" being 2026-11-21 05:20:00Z.
class SyslogParserTest : public ::testing::Test {
 protected:
  SyslogParserTest() : tz_("UTC0") { parser_.set_now(utc_ms(2026, 11, 21, 5, 20, 0)); }

  const SyslogMessage& parse(std::string_view raw) {
    parser_.parse(raw, msg_);
    return msg_;
  }

  ScopedTz tz_;
  SyslogParser parser_;
  SyslogMessage msg_;
};

void expect_invalid(const SyslogMessage& m, std::string_view raw) {
  EXPECT_EQ(m.format, SyslogFormat::invalid) << raw;
  EXPECT_EQ(m.facility, 0) << raw;
  EXPECT_EQ(m.severity, 0) << raw;
  EXPECT_FALSE(m.has_timestamp) << raw;
  EXPECT_EQ(m.priority, "") << raw;
  EXPECT_EQ(m.host, "") << raw;
  EXPECT_EQ(m.message, "") << raw;
  EXPECT_EQ(m.flume_body, raw);
  EXPECT_EQ(m.raw, raw);
}

// ---- civil time ----

TEST(CivilTime, MatchesTheCLibrary) {
  for (int y : {1, 1600, 1899, 1969, 1970, 2000, 2024, 2026, 2100, 2400, 9999}) {
    for (int m = 1; m <= 12; ++m) {
      for (int d : {1, 15, 28}) {
        const int64_t days = days_from_civil(y, m, d);
        ASSERT_EQ(days * 86400 * 1000, utc_ms(y, m, d, 0, 0, 0)) << y << "-" << m << "-" << d;
        const CivilDate back = civil_from_days(days);
        ASSERT_EQ(back.year, y);
        ASSERT_EQ(back.month, m);
        ASSERT_EQ(back.day, d);
      }
    }
  }
}

TEST(CivilTime, LeapRulesAndRollover) {
  EXPECT_EQ(days_in_month(2024, 2), 29);
  EXPECT_EQ(days_in_month(2026, 2), 28);
  EXPECT_EQ(days_in_month(1900, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
  EXPECT_EQ(days_in_month(2026, 4), 30);
  EXPECT_EQ(days_from_civil(2026, 2, 29), days_from_civil(2026, 3, 1)) << "lenient like java.util.Calendar";
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(floor_div(-1, 3600), -1);
  EXPECT_EQ(floor_div(-3600, 3600), -1);
  EXPECT_EQ(floor_div(3599, 3600), 0);
}

TEST(SyslogFormatName, AllValues) {
  EXPECT_EQ(syslog_format_name(SyslogFormat::rfc5424), "rfc5424");
  EXPECT_EQ(syslog_format_name(SyslogFormat::rfc3164), "rfc3164");
  EXPECT_EQ(syslog_format_name(SyslogFormat::invalid), "invalid");
  EXPECT_EQ(syslog_format_name(static_cast<SyslogFormat>(9)), "unknown");
}

// ---- RFC 5424, section 6.5 examples ----

TEST_F(SyslogParserTest, Rfc5424Example1WithBom) {
  const std::string_view raw =
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for "
      "lonvick on /dev/pts/8";
  const auto& m = parse(raw);
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.facility, 4);
  EXPECT_EQ(m.severity, 2);
  EXPECT_EQ(m.priority, "34");
  EXPECT_EQ(m.version, "1");
  EXPECT_TRUE(m.has_timestamp);
  EXPECT_EQ(m.timestamp_ms, 1065910455003);
  EXPECT_EQ(m.timestamp_text, "2003-10-11T22:14:15.003Z");
  EXPECT_EQ(m.host, "mymachine.example.com");
  EXPECT_EQ(m.app_name, "su");
  EXPECT_EQ(m.proc_id, "");
  EXPECT_EQ(m.msg_id, "ID47");
  EXPECT_EQ(m.structured_data, "");
  EXPECT_EQ(m.message, "'su root' failed for lonvick on /dev/pts/8");
  EXPECT_EQ(m.flume_body, "su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8");
  EXPECT_EQ(m.raw, raw);
}

TEST_F(SyslogParserTest, Rfc5424Example2MicrosecondsAndNegativeOffset) {
  const auto& m =
      parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.facility, 20);
  EXPECT_EQ(m.severity, 5);
  EXPECT_EQ(m.timestamp_ms, 1061727255000);
  EXPECT_EQ(m.host, "192.0.2.1");
  EXPECT_EQ(m.app_name, "myproc");
  EXPECT_EQ(m.proc_id, "8710");
  EXPECT_EQ(m.msg_id, "");
  EXPECT_EQ(m.structured_data, "");
  EXPECT_EQ(m.message, "%% It's time to make the do-nuts.");
  EXPECT_EQ(m.flume_body, "myproc 8710 - - %% It's time to make the do-nuts.");
}

TEST_F(SyslogParserTest, Rfc5424Example3StructuredDataAndMessage) {
  const auto& m = parse(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
      "eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF"
      "An application event log entry...");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.timestamp_ms, 1065910455003);
  EXPECT_EQ(m.app_name, "evntslog");
  EXPECT_EQ(m.proc_id, "");
  EXPECT_EQ(m.msg_id, "ID47");
  EXPECT_EQ(m.structured_data, "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]");
  EXPECT_EQ(m.message, "An application event log entry...");
}

TEST_F(SyslogParserTest, Rfc5424Example4TwoElementsNoMessage) {
  const auto& m = parse(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
      "eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.structured_data,
            "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
            "class=\"high\"]");
  EXPECT_EQ(m.message, "");
}

// ---- real senders ----

TEST_F(SyslogParserTest, LoggerRfc5424) {
  // util-linux logger --rfc5424 -t app hello
  const auto& m =
      parse("<13>1 2026-11-21T05:19:33.398728+00:00 vm app - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] hello");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.facility, 1);
  EXPECT_EQ(m.severity, 5);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 5, 19, 33, 398));
  EXPECT_EQ(m.host, "vm");
  EXPECT_EQ(m.app_name, "app");
  EXPECT_EQ(m.proc_id, "");
  EXPECT_EQ(m.msg_id, "");
  EXPECT_EQ(m.structured_data, "[timeQuality tzKnown=\"1\" isSynced=\"0\"]");
  EXPECT_EQ(m.message, "hello");
  EXPECT_EQ(m.flume_body, "app - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] hello");
}

TEST_F(SyslogParserTest, LoggerRfc5424WithEscapedStructuredData) {
  // logger --rfc5424 -i --msgid ID47 --sd-id x@1 --sd-param 'k="v\\\"x"' hello sd
  const auto& m = parse(
      "<13>1 2026-11-21T05:19:33.400320+00:00 vm app 5417 ID47 [timeQuality tzKnown=\"1\" "
      "isSynced=\"0\"][x@1 k=\"v\\\\\\\"x\"] hello sd");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.proc_id, "5417");
  EXPECT_EQ(m.msg_id, "ID47");
  EXPECT_EQ(m.structured_data, "[timeQuality tzKnown=\"1\" isSynced=\"0\"][x@1 k=\"v\\\\\\\"x\"]");
  EXPECT_EQ(m.message, "hello sd");
}

TEST_F(SyslogParserTest, LoggerRfc5424AllNil) {
  // logger --rfc5424=notq,notime,nohost -t app hello
  const auto& m = parse("<13>1 - - app - - - hello");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_FALSE(m.has_timestamp);
  EXPECT_EQ(m.timestamp_ms, 0);
  EXPECT_EQ(m.timestamp_text, "");
  EXPECT_EQ(m.host, "");
  EXPECT_EQ(m.app_name, "app");
  EXPECT_EQ(m.proc_id, "");
  EXPECT_EQ(m.msg_id, "");
  EXPECT_EQ(m.structured_data, "");
  EXPECT_EQ(m.message, "hello");
  EXPECT_EQ(m.flume_body, "app - - - hello");
}

TEST_F(SyslogParserTest, LoggenSyslogProto) {
  // loggen -P: RFC 5424 with a BOM before MSG.
  const auto& m = parse(
      "<38>1 2026-11-21T05:19:38+00:00 localhost prg00000 1234 - - \xEF\xBB\xBFseq: 0000000000, thread: 0000, "
      "runid: 1795238378, stamp: 2026-11-21T05:19:38 PADDPADD");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.facility, 4);
  EXPECT_EQ(m.severity, 6);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 5, 19, 38));
  EXPECT_EQ(m.host, "localhost");
  EXPECT_EQ(m.app_name, "prg00000");
  EXPECT_EQ(m.proc_id, "1234");
  EXPECT_EQ(m.message, "seq: 0000000000, thread: 0000, runid: 1795238378, stamp: 2026-11-21T05:19:38 PADDPADD");
  EXPECT_EQ(m.flume_body.substr(0, 22),
            "prg00000 1234 - - \xEF\xBB\xBF"
            "s");
}

TEST_F(SyslogParserTest, LoggenBsdWithRfc3339Stamp) {
  // loggen without -P: an RFC 3339 stamp without offset and no version: RFC 3164 in local time.
  const auto& m =
      parse("<38>2026-11-21T05:19:39 localhost prg00000[1234]: seq: 0000000000, thread: 0000, runid: 1795238379");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.version, "");
  EXPECT_TRUE(m.has_timestamp);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 5, 19, 39));
  EXPECT_EQ(m.timestamp_text, "2026-11-21T05:19:39");
  EXPECT_EQ(m.host, "localhost");
  EXPECT_EQ(m.app_name, "prg00000");
  EXPECT_EQ(m.proc_id, "1234");
  EXPECT_EQ(m.message, "seq: 0000000000, thread: 0000, runid: 1795238379");
  EXPECT_EQ(m.flume_body, "prg00000[1234]: seq: 0000000000, thread: 0000, runid: 1795238379");
}

TEST_F(SyslogParserTest, RsyslogForwardingFormat) {
  const auto& m = parse("<86>2026-11-21T05:10:00.123456+01:00 web1 sshd[812]: Accepted publickey for root");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.facility, 10);
  EXPECT_EQ(m.severity, 6);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 4, 10, 0, 123));
  EXPECT_EQ(m.host, "web1");
  EXPECT_EQ(m.app_name, "sshd");
  EXPECT_EQ(m.proc_id, "812");
  EXPECT_EQ(m.message, "Accepted publickey for root");
  EXPECT_EQ(m.flume_body, "sshd[812]: Accepted publickey for root");
}

TEST_F(SyslogParserTest, LoggerRfc3164) {
  const auto& m = parse("<13>Nov 21 05:19:33 vm app: hello");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.facility, 1);
  EXPECT_EQ(m.severity, 5);
  EXPECT_EQ(m.priority, "13");
  EXPECT_EQ(m.version, "");
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 5, 19, 33));
  EXPECT_EQ(m.timestamp_text, "Nov 21 05:19:33");
  EXPECT_EQ(m.host, "vm");
  EXPECT_EQ(m.app_name, "app");
  EXPECT_EQ(m.proc_id, "");
  EXPECT_EQ(m.msg_id, "");
  EXPECT_EQ(m.structured_data, "");
  EXPECT_EQ(m.message, "hello");
  EXPECT_EQ(m.flume_body, "app: hello");
}

TEST_F(SyslogParserTest, LoggerRfc3164WithPid) {
  const auto& m = parse("<131>Nov 21 05:19:33 vm app[5419]: hello world");
  EXPECT_EQ(m.facility, 16);
  EXPECT_EQ(m.severity, 3);
  EXPECT_EQ(m.host, "vm");
  EXPECT_EQ(m.app_name, "app");
  EXPECT_EQ(m.proc_id, "5419");
  EXPECT_EQ(m.message, "hello world");
  EXPECT_EQ(m.flume_body, "app[5419]: hello world");
}

TEST_F(SyslogParserTest, LoggerLocalSocketHasNoHost) {
  // logger to /dev/log leaves the host out.
  const auto& m = parse("<13>Nov 21 05:19:33 app: default");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_TRUE(m.has_timestamp);
  EXPECT_EQ(m.host, "");
  EXPECT_EQ(m.app_name, "app");
  EXPECT_EQ(m.message, "default");
  EXPECT_EQ(m.flume_body, "app: default");
}

TEST_F(SyslogParserTest, MissingHostWithPid) {
  const auto& m = parse("<13>Nov 21 05:10:00 sshd[12]: msg");
  EXPECT_EQ(m.host, "");
  EXPECT_EQ(m.app_name, "sshd");
  EXPECT_EQ(m.proc_id, "12");
  EXPECT_EQ(m.message, "msg");
  EXPECT_EQ(m.flume_body, "sshd[12]: msg");
}

// ---- RFC 3164 examples (section 5.4) ----

TEST_F(SyslogParserTest, Rfc3164Example1) {
  const auto& m = parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.facility, 4);
  EXPECT_EQ(m.severity, 2);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 10, 11, 22, 14, 15));
  EXPECT_EQ(m.host, "mymachine");
  EXPECT_EQ(m.app_name, "su");
  EXPECT_EQ(m.message, "'su root' failed for lonvick on /dev/pts/8");
}

TEST_F(SyslogParserTest, Rfc3164Example2PaddedDayNoTag) {
  const auto& m = parse("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 2, 5, 17, 32, 18));
  EXPECT_EQ(m.timestamp_text, "Feb  5 17:32:18");
  EXPECT_EQ(m.host, "10.0.0.99");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.message, "Use the BFG!");
  EXPECT_EQ(m.flume_body, "Use the BFG!");
}

TEST_F(SyslogParserTest, Rfc3164Example3ZoneAfterStampIsTakenAsHost) {
  // The RFC's relay example puts "CST 1987" after the stamp; like Flume, the parser takes the
  // next token as the host.
  const auto& m = parse("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.");
  EXPECT_EQ(m.facility, 20);
  EXPECT_EQ(m.severity, 5);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 8, 24, 5, 34, 0));
  EXPECT_EQ(m.host, "CST");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.message, "1987 mymachine myproc[10]: %% It's time to make the do-nuts.");
}

TEST_F(SyslogParserTest, Rfc3164Example4NoStampKeepsRawBody) {
  const std::string_view raw =
      "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's Mr. Scapegoat to you.";
  const auto& m = parse(raw);
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.facility, 0);
  EXPECT_EQ(m.severity, 0);
  EXPECT_EQ(m.priority, "0");
  EXPECT_FALSE(m.has_timestamp);
  EXPECT_EQ(m.host, "");
  EXPECT_EQ(m.message, raw.substr(3));
  EXPECT_EQ(m.flume_body, raw);
}

TEST_F(SyslogParserTest, Rfc3164Example5) {
  const auto& m = parse(
      "<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's "
      "Mr. Scapegoat to you.");
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 10, 22, 10, 52, 12));
  EXPECT_EQ(m.host, "scapegoat");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.message.substr(0, 9), "1990 Oct ");
}

// ---- Flume's TestSyslogUtils cases ----

TEST_F(SyslogParserTest, FlumeHeader0OffsetWithoutVersion) {
  const auto& m = parse("<10>2012-04-13T11:11:11+08:00 ubuntu-11.cloudera.com some msg");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.timestamp_ms, 1334286671000);
  EXPECT_EQ(m.host, "ubuntu-11.cloudera.com");
  EXPECT_EQ(m.flume_body, "some msg");
  EXPECT_EQ(m.message, "some msg");
}

TEST_F(SyslogParserTest, FlumeHeader1LocalTimeAndIncompleteHeader) {
  const auto& m = parse("<10>1 2012-04-13T11:11:11 ubuntu-11.cloudera.com some msg");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2012, 4, 13, 11, 11, 11));
  EXPECT_EQ(m.host, "ubuntu-11.cloudera.com");
  EXPECT_EQ(m.flume_body, "some msg");
  // Not APP PROCID MSGID SD: none of them, and all of it is the message.
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.proc_id, "");
  EXPECT_EQ(m.message, "some msg");
}

TEST_F(SyslogParserTest, FlumeHeader2And3) {
  EXPECT_EQ(parse("<10>1 2012-04-13T11:11:11Z ubuntu-11.cloudera.com some msg").timestamp_ms, 1334315471000);
  EXPECT_EQ(parse("<10>1 2012-04-13T11:11:11+08:00 ubuntu-11.cloudera.com some msg").timestamp_ms, 1334286671000);
}

TEST_F(SyslogParserTest, FlumeHeader4NilTimestamp) {
  const auto& m = parse("<10>1 - ubuntu-11.cloudera.com some msg");
  EXPECT_EQ(m.format, SyslogFormat::rfc5424);
  EXPECT_FALSE(m.has_timestamp);
  EXPECT_EQ(m.host, "ubuntu-11.cloudera.com");
  EXPECT_EQ(m.flume_body, "some msg");
}

TEST_F(SyslogParserTest, FlumeHeader5To7NilHost) {
  for (std::string_view raw : {"<10>1 2012-04-13T11:11:11 - some msg"sv, "<10>1 2012-04-13T11:11:11Z - some msg"sv,
                               "<10>1 2012-04-13T11:11:11+08:00 - some msg"sv}) {
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc5424) << raw;
    EXPECT_TRUE(m.has_timestamp) << raw;
    EXPECT_EQ(m.host, "") << raw;
    EXPECT_EQ(m.flume_body, "some msg") << raw;
  }
}

TEST_F(SyslogParserTest, FlumeHeader8And11Fractions) {
  EXPECT_EQ(parse("<10>1 2012-04-13T11:11:11.999 ubuntu-11.cloudera.com some msg").timestamp_ms, 1334315471999);
  // Microseconds truncate to milliseconds (FLUME-2497).
  EXPECT_EQ(parse("<10>2014-10-03T17:20:01.123456-07:00 ubuntu-11.cloudera.com some msg").timestamp_ms, 1412382001123);
}

TEST_F(SyslogParserTest, FlumeApacheLogWithNulls) {
  const auto& m = parse(
      "<10>Nov 21 05:19:33 ubuntu-11.cloudera.com - hyphen_null_breaks_5424_pattern [07/Jun/2012:14:46:44 -0600]");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.host, "ubuntu-11.cloudera.com");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.flume_body, "- hyphen_null_breaks_5424_pattern [07/Jun/2012:14:46:44 -0600]");
  EXPECT_EQ(m.message, m.flume_body);
}

TEST_F(SyslogParserTest, FlumeBadEvents) {
  for (std::string_view raw : {"<10F> bad bad data"sv, "hi guys! <10> bad bad data"sv, "<> bad bad data"sv,
                               "<123123123123123123123123123123> bad bad data"sv}) {
    expect_invalid(parse(raw), raw);
  }
}

TEST_F(SyslogParserTest, FlumeGoodEventWithoutHeader) {
  const std::string_view raw = "<10>Good good good data";
  const auto& m = parse(raw);
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_EQ(m.facility, 1);
  EXPECT_EQ(m.severity, 2);
  EXPECT_FALSE(m.has_timestamp);
  EXPECT_EQ(m.host, "");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.message, "Good good good data");
  EXPECT_EQ(m.flume_body, raw);
}

// ---- PRI ----

TEST_F(SyslogParserTest, PriorityEdges) {
  {
    const auto& m = parse("<0>Nov 21 05:10:00 h a: m");
    EXPECT_EQ(m.format, SyslogFormat::rfc3164);
    EXPECT_EQ(m.facility, 0);
    EXPECT_EQ(m.severity, 0);
    EXPECT_EQ(m.priority, "0");
  }
  {
    const auto& m = parse("<191>1 - h a p i - m");
    EXPECT_EQ(m.format, SyslogFormat::rfc5424);
    EXPECT_EQ(m.facility, 23);
    EXPECT_EQ(m.severity, 7);
    EXPECT_EQ(m.priority, "191");
  }
  {
    const auto& m = parse("<010>x");  // leading zeros: PRI 10
    EXPECT_EQ(m.format, SyslogFormat::rfc3164);
    EXPECT_EQ(m.facility, 1);
    EXPECT_EQ(m.severity, 2);
  }
  {
    const auto& m = parse("<7>");
    EXPECT_EQ(m.format, SyslogFormat::rfc3164);
    EXPECT_EQ(m.severity, 7);
    EXPECT_EQ(m.message, "");
    EXPECT_EQ(m.flume_body, "<7>");
  }
  for (std::string_view raw : {"<192>1 - h a p i - m"sv, "<1000>x"sv, "<>"sv, "<a>x"sv, "<1a>x"sv, "<13"sv, "<1"sv,
                               "<"sv, ""sv, "13>x"sv, " <13>x"sv, "<-1>x"sv, "<999>x"sv}) {
    expect_invalid(parse(raw), raw);
  }
}

TEST_F(SyslogParserTest, ReusedMessageIsReset) {
  parse("<165>1 2003-10-11T22:14:15.003Z h app 1 ID [a] m");
  const auto& m = parse("<13>x");
  EXPECT_EQ(m.version, "");
  EXPECT_FALSE(m.has_timestamp);
  EXPECT_EQ(m.timestamp_ms, 0);
  EXPECT_EQ(m.host, "");
  EXPECT_EQ(m.app_name, "");
  EXPECT_EQ(m.proc_id, "");
  EXPECT_EQ(m.msg_id, "");
  EXPECT_EQ(m.structured_data, "");
  expect_invalid(parse("nope"), "nope");
}

// ---- RFC 5424 details ----

TEST_F(SyslogParserTest, StructuredDataEscapes) {
  struct Case {
    std::string_view raw, sd, message;
  };
  const Case cases[] = {
      {R"(<13>1 - h a p i [x k="a\]b"] msg)", R"([x k="a\]b"])", "msg"},
      {R"(<13>1 - h a p i [x k="a]b"] msg)", R"([x k="a]b"])", "msg"},  // unescaped ']' inside quotes
      {R"(<13>1 - h a p i [x k="a\\"] msg)", R"([x k="a\\"])", "msg"},  // escaped backslash ends the value
      {R"(<13>1 - h a p i [x k="a\"]"] msg)", R"([x k="a\"]"])", "msg"},
      {R"(<13>1 - h a p i [x k="1" j="2"][y][z@1 q=""] m s g)", R"([x k="1" j="2"][y][z@1 q=""])", "m s g"},
      {R"(<13>1 - h a p i [x])", R"([x])", ""},
      {R"(<13>1 - h a p i [x] )", R"([x])", ""},
  };
  for (const auto& c : cases) {
    const auto& m = parse(c.raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc5424) << c.raw;
    EXPECT_EQ(m.app_name, "a") << c.raw;
    EXPECT_EQ(m.proc_id, "p") << c.raw;
    EXPECT_EQ(m.msg_id, "i") << c.raw;
    EXPECT_EQ(m.structured_data, c.sd) << c.raw;
    EXPECT_EQ(m.message, c.message) << c.raw;
  }
}

TEST_F(SyslogParserTest, MalformedStructuredDataBecomesMessage) {
  struct Case {
    std::string_view raw, message;
  };
  const Case cases[] = {
      {R"(<13>1 - h a p i [x k="v" msg)", R"([x k="v" msg)"},  // never closes
      {R"(<13>1 - h a p i [x k="v\)", R"([x k="v\)"},          // ends inside an escape
      {R"(<13>1 - h a p i [x][y]z msg)", R"([x][y]z msg)"},    // no SP after the last element
      {R"(<13>1 - h a p i hello world)", R"(hello world)"},    // no SD at all
      {R"(<13>1 - h a p i -x msg)", R"(-x msg)"},              // "-" glued to text
      {R"(<13>1 - h a p i )", R"()"},                          // SD missing at the end
  };
  for (const auto& c : cases) {
    const auto& m = parse(c.raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc5424) << c.raw;
    EXPECT_EQ(m.app_name, "a") << c.raw;
    EXPECT_EQ(m.msg_id, "i") << c.raw;
    EXPECT_EQ(m.structured_data, "") << c.raw;
    EXPECT_EQ(m.message, c.message) << c.raw;
    EXPECT_EQ(m.flume_body, c.raw.substr(std::string_view("<13>1 - h ").size())) << c.raw;
  }
}

TEST_F(SyslogParserTest, MissingHeaderFields) {
  {
    const auto& m = parse("<13>1 - h app pid");  // MSGID and SD missing
    EXPECT_EQ(m.format, SyslogFormat::rfc5424);
    EXPECT_EQ(m.host, "h");
    EXPECT_EQ(m.app_name, "");
    EXPECT_EQ(m.proc_id, "");
    EXPECT_EQ(m.message, "app pid");
  }
  {
    const auto& m = parse("<13>1 - h app  pid mid - x");  // an empty field
    EXPECT_EQ(m.app_name, "");
    EXPECT_EQ(m.message, "app  pid mid - x");
  }
  {
    const auto& m = parse("<13>1 - h ");  // nothing after the host
    EXPECT_EQ(m.format, SyslogFormat::rfc5424);
    EXPECT_EQ(m.host, "h");
    EXPECT_EQ(m.message, "");
    EXPECT_EQ(m.flume_body, "");
  }
  // Without SP after HOST, or with an empty HOST, the header is not RFC 5424.
  for (std::string_view raw :
       {"<13>1 - h"sv, "<13>1 -  h x"sv, "<13>1 2026-11-21T05:10:00Z"sv, "<13>1 -"sv, "<13>1 "sv}) {
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc3164) << raw;
    EXPECT_FALSE(m.has_timestamp) << raw;
    EXPECT_EQ(m.host, "") << raw;
    EXPECT_EQ(m.flume_body, raw) << raw;
  }
}

TEST_F(SyslogParserTest, Versions) {
  EXPECT_EQ(parse("<13>2 - h a p i - m").version, "2");
  EXPECT_EQ(parse("<13>12 - h a p i - m").version, "12");
  EXPECT_EQ(parse("<13>123 - h a p i - m").version, "123");
  // Not a version: a leading zero, four digits, no SP.
  for (std::string_view raw :
       {"<13>0 - h a p i - m"sv, "<13>1234 - h a p i - m"sv, "<13>1- h a p i - m"sv, "<13>1"sv, "<13>12"sv}) {
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc3164) << raw;
    EXPECT_EQ(m.version, "") << raw;
    EXPECT_EQ(m.flume_body, raw) << raw;
  }
}

TEST_F(SyslogParserTest, Bom) {
  {
    const auto& m = parse("<13>1 - h a p i - \xEF\xBB\xBF");
    EXPECT_EQ(m.message, "");
    EXPECT_EQ(m.flume_body, "a p i - \xEF\xBB\xBF");
  }
  {
    const auto& m = parse("<13>1 - h a p i - \xEF\xBBx");  // not a whole BOM
    EXPECT_EQ(m.message, "\xEF\xBBx");
  }
  {
    const auto& m = parse("<13>1 - h a p i - \xEF\xBB");
    EXPECT_EQ(m.message, "\xEF\xBB");
  }
}

TEST_F(SyslogParserTest, Rfc3339Timestamps) {
  struct Case {
    std::string_view stamp;
    int64_t ms;
  };
  const Case cases[] = {
      {"2026-11-21T05:10:00Z", utc_ms(2026, 11, 21, 5, 10, 0)},
      {"2026-11-21t05:10:00z", utc_ms(2026, 11, 21, 5, 10, 0)},
      {"2026-11-21T05:10:00.1Z", utc_ms(2026, 11, 21, 5, 10, 0, 100)},
      {"2026-11-21T05:10:00.12Z", utc_ms(2026, 11, 21, 5, 10, 0, 120)},
      {"2026-11-21T05:10:00.123Z", utc_ms(2026, 11, 21, 5, 10, 0, 123)},
      {"2026-11-21T05:10:00.1239Z", utc_ms(2026, 11, 21, 5, 10, 0, 123)},
      {"2026-11-21T05:10:00.999999Z", utc_ms(2026, 11, 21, 5, 10, 0, 999)},
      {"2026-11-21T05:10:00.123456789Z", utc_ms(2026, 11, 21, 5, 10, 0, 123)},
      {"2026-11-21T05:10:00+05:30", utc_ms(2026, 11, 20, 23, 40, 0)},
      {"2026-11-21T05:10:00-00:00", utc_ms(2026, 11, 21, 5, 10, 0)},
      {"2026-11-21T23:10:00-03:00", utc_ms(2026, 11, 22, 2, 10, 0)},
      {"2026-11-21T05:10:00.5-03:00", utc_ms(2026, 11, 21, 8, 10, 0, 500)},
      {"2026-11-21T05:10:00", utc_ms(2026, 11, 21, 5, 10, 0)},  // local (UTC here)
      {"2024-02-29T12:00:00Z", utc_ms(2024, 2, 29, 12, 0, 0)},
      {"2016-12-31T23:59:60Z", utc_ms(2017, 1, 1, 0, 0, 0)},  // a leap second rolls over
      {"1969-12-31T23:59:59Z", -1000},
  };
  for (const auto& c : cases) {
    const std::string raw = "<13>1 " + std::string(c.stamp) + " h a p i - m";
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc5424) << raw;
    EXPECT_TRUE(m.has_timestamp) << raw;
    EXPECT_EQ(m.timestamp_ms, c.ms) << raw;
    EXPECT_EQ(m.timestamp_text, c.stamp) << raw;
  }
}

TEST_F(SyslogParserTest, BadRfc3339Timestamps) {
  for (std::string_view stamp :
       {"2026-13-21T05:10:00Z"sv, "2026-00-21T05:10:00Z"sv, "2026-11-32T05:10:00Z"sv, "2026-11-00T05:10:00Z"sv,
        "2026-11-21T24:10:00Z"sv, "2026-11-21T05:60:00Z"sv, "2026-11-21T05:10:61Z"sv, "2026-11-21 05:10:00Z"sv,
        "2026/11/21T05:10:00Z"sv, "2026-11-21T05:10:00.Z"sv, "2026-11-21T05:10:00.1234567890Z"sv,
        "2026-11-21T05:10:00+0530"sv, "2026-11-21T05:10:00+24:00"sv, "2026-11-21T05:10:00+05:60"sv,
        "2026-11-21T05:10:00+05"sv, "2026-11-21T05:10:00ZZ"sv, "2026-1a-21T05:10:00Z"sv, "20x6-11-21T05:10:00Z"sv,
        "2026-11-21T05:10"sv}) {
    const std::string raw = "<13>1 " + std::string(stamp) + " h a p i - m";
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc3164) << raw;
    EXPECT_FALSE(m.has_timestamp) << raw;
    EXPECT_EQ(m.flume_body, raw) << raw;
  }
}

// ---- RFC 3164 details ----

TEST_F(SyslogParserTest, BsdDayForms) {
  for (std::string_view raw :
       {"<13>Nov  1 05:10:00 h a: m"sv, "<13>Nov 1 05:10:00 h a: m"sv, "<13>Nov 01 05:10:00 h a: m"sv}) {
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc3164) << raw;
    EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 1, 5, 10, 0)) << raw;
    EXPECT_EQ(m.host, "h") << raw;
    EXPECT_EQ(m.message, "m") << raw;
  }
  EXPECT_EQ(parse("<13>Nov  1 05:10:00 h a: m").timestamp_text, "Nov  1 05:10:00");
}

TEST_F(SyslogParserTest, BsdMonthsAndCase) {
  const char* names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int month = 1; month <= 12; ++month) {
    // now is 2026-11-21: Dec 10 is less than a month ahead, Jan 10 less than 11 months behind.
    const int year = 2026;
    const std::string raw = std::string("<13>") + names[month - 1] + " 10 01:02:03 h t: m";
    EXPECT_EQ(parse(raw).timestamp_ms, utc_ms(year, month, 10, 1, 2, 3)) << raw;
  }
  EXPECT_EQ(parse("<13>NOV 10 01:02:03 h t: m").timestamp_ms, utc_ms(2026, 11, 10, 1, 2, 3));
  EXPECT_EQ(parse("<13>nov 10 01:02:03 h t: m").timestamp_ms, utc_ms(2026, 11, 10, 1, 2, 3));
}

TEST_F(SyslogParserTest, BsdFraction) {
  const auto& m = parse("<13>Nov 21 05:10:00.123 h a: m");
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 5, 10, 0, 123));
  EXPECT_EQ(m.timestamp_text, "Nov 21 05:10:00.123");
  EXPECT_EQ(m.host, "h");
}

TEST_F(SyslogParserTest, BadBsdTimestamps) {
  for (std::string_view raw :
       {"<13>Nov 21 05:10:00x h a: m"sv, "<13>Nov 32 05:10:00 h a: m"sv, "<13>Nov 0 05:10:00 h a: m"sv,
        "<13>Nov 21 24:10:00 h a: m"sv, "<13>Nov 21 05:60:00 h a: m"sv, "<13>Nov 21 05:10:61 h a: m"sv,
        "<13>Nov 21 5:10:00 h a: m"sv, "<13>Xyz 21 05:10:00 h a: m"sv, "<13>Nov-21 05:10:00 h a: m"sv,
        "<13>Nov x1 05:10:00 h a: m"sv, "<13>Nov 21 05:10"sv, "<13>Nov 21 05-10-00 h a: m"sv,
        "<13>Nov 21 05:10:00. h"sv, "<13>Nov 211 05:10:00 h"sv, "<13>N{v 21 05:10:00 h a: m"sv}) {
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc3164) << raw;
    EXPECT_FALSE(m.has_timestamp) << raw;
    EXPECT_EQ(m.host, "") << raw;
    EXPECT_EQ(m.flume_body, raw) << raw;
  }
}

TEST_F(SyslogParserTest, TagForms) {
  struct Case {
    std::string_view rest, host, app, pid, message;
  };
  const Case cases[] = {
      {"host app: msg", "host", "app", "", "msg"},
      {"host app:msg", "host", "app", "", "msg"},
      {"host app:", "host", "app", "", ""},
      {"host app[42]: msg", "host", "app", "42", "msg"},
      {"host app[42] msg", "host", "app", "42", "msg"},
      {"host app[42]", "host", "app", "42", ""},
      {"host app[42]x msg", "host", "", "", "app[42]x msg"},    // not a tag
      {"host app[4 2]: msg", "host", "", "", "app[4 2]: msg"},  // PID with a space
      {"host app[42 msg", "host", "", "", "app[42 msg"},
      {"host app[42", "host", "", "", "app[42"},
      {"host [42]: msg", "host", "", "", "[42]: msg"},  // empty tag
      {"host :msg", "host", "", "", ":msg"},
      {"host /usr/sbin/cron[77]: (root) CMD", "host", "/usr/sbin/cron", "77", "(root) CMD"},
      {"host some message", "host", "", "", "some message"},
      {"host", "", "", "", "host"},  // one token: no host
      {"app: m", "", "app", "", "m"},
      {"app[1]: m", "", "app", "1", "m"},
      {"app[1] m", "", "app", "1", "m"},
      {"", "", "", "", ""},
  };
  for (const auto& c : cases) {
    const std::string raw = "<13>Nov 21 05:10:00 " + std::string(c.rest);
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc3164) << raw;
    EXPECT_TRUE(m.has_timestamp) << raw;
    EXPECT_EQ(m.host, c.host) << raw;
    EXPECT_EQ(m.app_name, c.app) << raw;
    EXPECT_EQ(m.proc_id, c.pid) << raw;
    EXPECT_EQ(m.message, c.message) << raw;
    const std::string_view expected_body = c.host.empty() ? c.rest : c.rest.substr(c.host.size() + 1);
    EXPECT_EQ(m.flume_body, expected_body) << raw;
  }
}

TEST_F(SyslogParserTest, StampsThatEndTheMessage) {
  EXPECT_EQ(parse("<13>Nov 21 05:10:00.123").timestamp_ms, utc_ms(2026, 11, 21, 5, 10, 0, 123));
  EXPECT_EQ(parse("<13>2026-11-21T05:10:00").timestamp_ms, utc_ms(2026, 11, 21, 5, 10, 0));
  EXPECT_EQ(parse("<13>2026-11-21T05:10:00.5").timestamp_ms, utc_ms(2026, 11, 21, 5, 10, 0, 500));
  EXPECT_EQ(parse("<13>2026-11-21T05:10:00Z").timestamp_ms, utc_ms(2026, 11, 21, 5, 10, 0));
  EXPECT_EQ(parse("<13>2026-11-21T05:10:00+01:00").timestamp_ms, utc_ms(2026, 11, 21, 4, 10, 0));
  for (std::string_view raw : {"<13>2026-11-21T05:10:00+01:0"sv, "<13>2026-11-21T05:10:00+"sv, "<13>Nov 21 05:10:0"sv,
                               "<13>Nov  1 05:10:0"sv}) {
    const auto& m = parse(raw);
    EXPECT_EQ(m.format, SyslogFormat::rfc3164) << raw;
    EXPECT_FALSE(m.has_timestamp) << raw;
    EXPECT_EQ(m.flume_body, raw) << raw;
  }
}

TEST_F(SyslogParserTest, StampAtEndOfMessage) {
  const auto& m = parse("<13>Nov 21 05:10:00");
  EXPECT_EQ(m.format, SyslogFormat::rfc3164);
  EXPECT_TRUE(m.has_timestamp);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 5, 10, 0));
  EXPECT_EQ(m.host, "");
  EXPECT_EQ(m.message, "");
  EXPECT_EQ(m.flume_body, "");
}

// ---- year inference ----

TEST_F(SyslogParserTest, YearRolloverAtNewYear) {
  // Received just after midnight on Jan 1: a December stamp is last year's.
  parser_.set_now(utc_ms(2027, 1, 1, 0, 0, 30));
  EXPECT_EQ(parse("<13>Dec 31 23:59:59 h a: m").timestamp_ms, utc_ms(2026, 12, 31, 23, 59, 59));
  EXPECT_EQ(parse("<13>Jan  1 00:00:10 h a: m").timestamp_ms, utc_ms(2027, 1, 1, 0, 0, 10));
  // The receiver's clock still in December, the sender's already in January: next year.
  parser_.set_now(utc_ms(2026, 12, 31, 23, 59, 0));
  EXPECT_EQ(parse("<13>Jan  1 00:00:01 h a: m").timestamp_ms, utc_ms(2027, 1, 1, 0, 0, 1));
  EXPECT_EQ(parse("<13>Dec 31 23:58:00 h a: m").timestamp_ms, utc_ms(2026, 12, 31, 23, 58, 0));
}

TEST_F(SyslogParserTest, YearWindowIsElevenMonthsBackOneAhead) {
  parser_.set_now(utc_ms(2027, 1, 5, 12, 0, 0));
  EXPECT_EQ(parse("<13>Feb  3 12:00:00 h a: m").timestamp_ms, utc_ms(2027, 2, 3, 12, 0, 0))
      << "less than a month ahead";
  EXPECT_EQ(parse("<13>Feb 10 12:00:00 h a: m").timestamp_ms, utc_ms(2026, 2, 10, 12, 0, 0))
      << "more than a month ahead";
  EXPECT_EQ(parse("<13>Jan 20 12:00:00 h a: m").timestamp_ms, utc_ms(2027, 1, 20, 12, 0, 0)) << "later this January";
  parser_.set_now(utc_ms(2026, 11, 21, 5, 20, 0));
  EXPECT_EQ(parse("<13>Dec 20 12:00:00 h a: m").timestamp_ms, utc_ms(2026, 12, 20, 12, 0, 0));
  EXPECT_EQ(parse("<13>Dec 25 12:00:00 h a: m").timestamp_ms, utc_ms(2025, 12, 25, 12, 0, 0));
  parser_.set_now(utc_ms(2026, 12, 15, 12, 0, 0));
  EXPECT_EQ(parse("<13>Jan 10 12:00:00 h a: m").timestamp_ms, utc_ms(2027, 1, 10, 12, 0, 0))
      << "more than 11 months behind";
  EXPECT_EQ(parse("<13>Jan 20 12:00:00 h a: m").timestamp_ms, utc_ms(2026, 1, 20, 12, 0, 0));
  EXPECT_EQ(parse("<13>Dec 15 12:00:00 h a: m").timestamp_ms, utc_ms(2026, 12, 15, 12, 0, 0)) << "exactly now";
  // Month arithmetic clamps the day: Mar 31 minus one month is Feb 28.
  parser_.set_now(utc_ms(2026, 3, 1, 0, 0, 0));
  EXPECT_EQ(parse("<13>Mar 31 12:00:00 h a: m").timestamp_ms, utc_ms(2026, 3, 31, 12, 0, 0));
  parser_.set_now(utc_ms(2026, 2, 27, 0, 0, 0));
  EXPECT_EQ(parse("<13>Mar 31 12:00:00 h a: m").timestamp_ms, utc_ms(2025, 3, 31, 12, 0, 0));
}

TEST_F(SyslogParserTest, FlumeRfc3164DatesAcrossAYear) {
  // Flume's TestRfc3164Dates: for every "now" over 14 months, stamps from 10 months back to
  // (just under) one month ahead keep their own year.
  for (int now_offset = 0; now_offset <= 13; ++now_offset) {
    const int now_month0 = 10 + now_offset;  // from 2026-11
    const int now_year = 2026 + now_month0 / 12, now_month = now_month0 % 12 + 1;
    parser_.set_now(utc_ms(now_year, now_month, 15, 12, 0, 0));
    for (int i = -10; i <= 1; ++i) {
      const int m0 = now_month0 + i;
      const int year = 2026 + m0 / 12, month = m0 % 12 + 1;
      const int day = i == 1 ? 14 : 15;
      char raw[64];
      const char* names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
      std::snprintf(raw, sizeof raw, "<10>%s %2d 11:22:33 ubuntu-11.cloudera.com some msg", names[month - 1], day);
      EXPECT_EQ(parse(raw).timestamp_ms, utc_ms(year, month, day, 11, 22, 33)) << raw << " now offset " << now_offset;
    }
  }
}

TEST_F(SyslogParserTest, DefaultNowIsTheWallClock) {
  SyslogParser fresh;
  SyslogMessage m;
  const time_t now = time(nullptr);
  tm t{};
  gmtime_r(&now, &t);
  char raw[64];
  strftime(raw, sizeof raw, "<13>%b %d %H:%M:%S h a: m", &t);
  fresh.parse(raw, m);
  EXPECT_NEAR(static_cast<double>(m.timestamp_ms), static_cast<double>(now) * 1000, 2000.0);
}

// ---- time zones ----

TEST(SyslogParserTz, LocalTimeFollowsTz) {
  ScopedTz tz("EST5EDT,M3.2.0,M11.1.0");  // POSIX rule: no tzdata needed
  SyslogParser parser;
  SyslogMessage m;
  parser.set_now(utc_ms(2026, 7, 10, 12, 0, 0));
  parser.parse("<13>Jul  4 12:00:00 h a: m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 7, 4, 16, 0, 0)) << "EDT is UTC-4";
  parser.parse("<13>1 2026-07-04T12:00:00 h a p i - m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 7, 4, 16, 0, 0));
  parser.parse("<13>1 2026-07-04T12:00:00Z h a p i - m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 7, 4, 12, 0, 0)) << "an explicit offset ignores TZ";
  parser.parse("<13>2026-01-15T12:00:00 h a: m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 1, 15, 17, 0, 0)) << "EST is UTC-5";
  // Back to a cached hour.
  parser.parse("<13>Jul  4 12:30:00 h a: m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 7, 4, 16, 30, 0));
}

TEST(SyslogParserTz, YearInferenceUsesLocalNow) {
  ScopedTz tz("EST5EDT,M3.2.0,M11.1.0");
  SyslogParser parser;
  SyslogMessage m;
  // 03:00Z on Jan 1 is still Dec 31 in New York: a Dec 31 stamp is this (local) year's.
  parser.set_now(utc_ms(2027, 1, 1, 3, 0, 0));
  parser.parse("<13>Dec 31 21:59:00 h a: m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2027, 1, 1, 2, 59, 0));
}

TEST(SyslogParserTz, DaylightSavingTransitions) {
  ScopedTz tz("EST5EDT,M3.2.0,M11.1.0");
  SyslogParser parser;
  SyslogMessage m;
  // Clocks go forward on 2026-03-08 at 02:00 EST: 02:30 does not exist; read as EST.
  parser.parse("<13>1 2026-03-08T02:30:00 h a p i - m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 3, 8, 7, 30, 0));
  parser.parse("<13>1 2026-03-08T01:59:59 h a p i - m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 3, 8, 6, 59, 59));
  parser.parse("<13>1 2026-03-08T03:00:00 h a p i - m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 3, 8, 7, 0, 0));
  // Clocks go back on 2026-11-01 at 02:00 EDT: 01:30 happens twice; the first (EDT) is taken.
  parser.parse("<13>1 2026-11-01T01:30:00 h a p i - m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 1, 5, 30, 0));
  parser.parse("<13>1 2026-11-01T02:30:00 h a p i - m", m);
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 1, 7, 30, 0));
}

TEST(SyslogParserTz, HalfHourZoneFromTzdata) {
  ScopedTz tz("Asia/Kolkata");
  SyslogParser parser;
  SyslogMessage m;
  parser.parse("<13>1 2026-11-21T10:40:00 h a p i - m", m);
  if (m.timestamp_ms == utc_ms(2026, 11, 21, 10, 40, 0)) GTEST_SKIP() << "no tzdata for Asia/Kolkata here";
  EXPECT_EQ(m.timestamp_ms, utc_ms(2026, 11, 21, 5, 10, 0));
}

}  // namespace
}  // namespace sluice::syslog
