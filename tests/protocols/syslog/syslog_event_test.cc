#include "protocols/syslog/syslog_event.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "ringbuf/segment_store.h"

namespace sluice::syslog {
namespace {

using namespace std::string_view_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kReceiveMs = 1'795'238'400'000;  // 2026-11-21T05:20:00Z

Headers headers_of(const ringbuf::PreparedEvent& event) {
  Headers out;
  for (const auto& h : event.headers) {
    // Callers pass the well-known id with its own key name.
    if (h.id != ringbuf::WellKnownKey::none) {
      EXPECT_EQ(ringbuf::well_known_key_name(h.id), h.key);
    }
    out.emplace_back(std::string(h.key), std::string(h.value));
  }
  return out;
}

class SyslogEventTest : public ::testing::Test {
 protected:
  SyslogEventTest() {
    setenv("TZ", "UTC0", 1);
    tzset();
    parser_.set_now(kReceiveMs);
  }

  ringbuf::PreparedEvent build(std::string_view raw, EventOptions options = {}, bool incomplete = false,
                               std::string_view client_ip = "") {
    parser_.parse(raw, msg_);
    builder_ = std::make_unique<SyslogEventBuilder>(std::move(options));
    return builder_->build(msg_, incomplete, kReceiveMs, client_ip);
  }

  static EventOptions keep(std::string_view fields) {
    EventOptions options;
    auto parsed = parse_keep_fields(fields);
    EXPECT_TRUE(parsed.ok()) << fields;
    options.keep_fields = parsed.value();
    return options;
  }

  SyslogParser parser_;
  SyslogMessage msg_;
  std::unique_ptr<SyslogEventBuilder> builder_;
};

// ---- headers ----

TEST_F(SyslogEventTest, Rfc5424HeadersInOrder) {
  const auto event = build(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 42 ID47 [exampleSDID@32473 iut=\"3\"] "
      "\xEF\xBB\xBF"
      "An entry");
  EXPECT_EQ(event.timestamp_ms, 1065910455003);
  EXPECT_EQ(headers_of(event), (Headers{
                                   {"Facility", "20"},
                                   {"Severity", "5"},
                                   {"timestamp", "1065910455003"},
                                   {"host", "mymachine.example.com"},
                                   {"syslog.appname", "evntslog"},
                                   {"syslog.procid", "42"},
                                   {"syslog.msgid", "ID47"},
                                   {"syslog.sd", "[exampleSDID@32473 iut=\"3\"]"},
                               }));
  EXPECT_EQ(event.body,
            "evntslog 42 ID47 [exampleSDID@32473 iut=\"3\"] \xEF\xBB\xBF"
            "An entry");
  EXPECT_EQ(event.body.data(), msg_.flume_body.data()) << "the default body is not copied";
}

TEST_F(SyslogEventTest, Rfc3164Headers) {
  const auto event = build("<131>Nov 21 05:19:33 vm app[5419]: hello world");
  EXPECT_EQ(event.timestamp_ms, 1795238373000);
  EXPECT_EQ(headers_of(event), (Headers{
                                   {"Facility", "16"},
                                   {"Severity", "3"},
                                   {"timestamp", "1795238373000"},
                                   {"host", "vm"},
                                   {"syslog.appname", "app"},
                                   {"syslog.procid", "5419"},
                               }));
  EXPECT_EQ(event.body, "app[5419]: hello world");
}

TEST_F(SyslogEventTest, NilFieldsGiveNoHeaders) {
  const auto event = build("<13>1 - - - - - - hello");
  EXPECT_EQ(event.timestamp_ms, kReceiveMs) << "no timestamp: the receive time";
  EXPECT_EQ(headers_of(event), (Headers{{"Facility", "1"}, {"Severity", "5"}}));
  EXPECT_EQ(event.body, "- - - - hello");
}

TEST_F(SyslogEventTest, InvalidMessage) {
  const auto event = build("hi guys! <10> bad bad data");
  EXPECT_EQ(event.timestamp_ms, kReceiveMs);
  EXPECT_EQ(headers_of(event), (Headers{{"Facility", "0"}, {"Severity", "0"}, {"flume.syslog.status", "Invalid"}}));
  EXPECT_EQ(event.body, "hi guys! <10> bad bad data");
}

TEST_F(SyslogEventTest, InvalidWinsOverIncomplete) {
  const auto event = build("<1000> cut", {}, true);
  EXPECT_EQ(headers_of(event), (Headers{{"Facility", "0"}, {"Severity", "0"}, {"flume.syslog.status", "Invalid"}}));
}

TEST_F(SyslogEventTest, IncompleteMessage) {
  const auto event = build("<10> bad b", {}, true);  // Flume's testExtractBadEventLarge
  EXPECT_EQ(headers_of(event), (Headers{{"Facility", "1"}, {"Severity", "2"}, {"flume.syslog.status", "Incomplete"}}));
  EXPECT_EQ(event.body, "<10> bad b");
}

TEST_F(SyslogEventTest, SyslogHeadersOff) {
  EventOptions options;
  options.syslog_headers = false;
  const auto event = build("<131>Nov 21 05:19:33 vm app[5419]: hello world", options);
  EXPECT_EQ(headers_of(event), (Headers{
                                   {"Facility", "16"},
                                   {"Severity", "3"},
                                   {"timestamp", "1795238373000"},
                                   {"host", "vm"},
                               }));
}

TEST_F(SyslogEventTest, PriorityAndVersionHeaders) {
  EventOptions options;
  options.priority_version_headers = true;
  options.syslog_headers = false;
  EXPECT_EQ(headers_of(build("<13>1 - h a p i - m", options)),
            (Headers{{"Facility", "1"}, {"Severity", "5"}, {"priority", "13"}, {"version", "1"}, {"host", "h"}}));
  EXPECT_EQ(headers_of(build("<13>x", options)), (Headers{{"Facility", "1"}, {"Severity", "5"}, {"priority", "13"}}));
  EXPECT_EQ(headers_of(build("<1>", options)), (Headers{{"Facility", "0"}, {"Severity", "1"}, {"priority", "1"}}));
  EXPECT_EQ(headers_of(build("x", options)),
            (Headers{{"Facility", "0"}, {"Severity", "0"}, {"flume.syslog.status", "Invalid"}}));
}

TEST_F(SyslogEventTest, ClientIpHeader) {
  EventOptions options;
  options.client_ip_header = "clientIp";
  const auto event = build("<13>1 - h a - - - m", options, false, "192.0.2.7");
  EXPECT_EQ(
      headers_of(event),
      (Headers{
          {"Facility", "1"}, {"Severity", "5"}, {"host", "h"}, {"syslog.appname", "a"}, {"clientIp", "192.0.2.7"}}));
  EXPECT_EQ(event.headers.back().id, ringbuf::WellKnownKey::none);
}

TEST_F(SyslogEventTest, EveryHeaderAtOnce) {
  EventOptions options;
  options.priority_version_headers = true;
  options.client_ip_header = "ip";
  const auto event = build("<191>1 2003-10-11T22:14:15.003Z h a p i [x] m", options, true, "::1");
  EXPECT_EQ(event.headers.size(), SyslogEventBuilder::kHeadersMax);
}

TEST_F(SyslogEventTest, NegativeTimestamp) {
  const auto event = build("<13>1 1969-12-31T23:59:59.5Z h a p i - m");
  EXPECT_EQ(event.timestamp_ms, -500);
  EXPECT_EQ(headers_of(event)[2], (std::pair<std::string, std::string>{"timestamp", "-500"}));
}

TEST(SyslogEventBuilderDeathTest, ZeroBodyLimitIsAProgrammerError) {
  EventOptions options;
  options.body_bytes_max = 0;
  EXPECT_DEATH(SyslogEventBuilder builder(options), "body_bytes_max must be positive");
}

TEST(EventOptions, Validate) {
  EventOptions options;
  EXPECT_TRUE(options.validate().ok());
  options.body_bytes_max = 0;
  EXPECT_EQ(options.validate().message(), "syslog: eventSize must be at least 1 byte");
  options.body_bytes_max = 1;
  options.client_ip_header = std::string(ringbuf::kHeaderKeyBytesMax, 'k');
  EXPECT_TRUE(options.validate().ok());
  options.client_ip_header += "k";
  EXPECT_EQ(options.validate().message(), "syslog: clientIPHeader is longer than 32767 bytes");
}

TEST_F(SyslogEventTest, BuilderMoves) {
  SyslogEventBuilder first(keep("priority"));
  SyslogEventBuilder moved(std::move(first));
  parser_.parse("<13>1 - h a p i - m", msg_);
  EXPECT_EQ(moved.build(msg_, false, 1, "").body, "<13>a p i - m");
}

TEST(SmallDecimal, Table) {
  EXPECT_EQ(small_decimal(0), "0");
  EXPECT_EQ(small_decimal(7), "7");
  EXPECT_EQ(small_decimal(10), "10");
  EXPECT_EQ(small_decimal(23), "23");
  EXPECT_EQ(small_decimal(99), "99");
  EXPECT_EQ(small_decimal(100), "100");
  EXPECT_EQ(small_decimal(191), "191");
}

// ---- keepFields ----

TEST(ParseKeepFields, Values) {
  auto none = parse_keep_fields("none");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->none());
  for (std::string_view text : {"false"sv, "FALSE"sv, ""sv, "  "sv, " None "sv}) {
    auto r = parse_keep_fields(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_TRUE(r->none()) << text;
  }
  for (std::string_view text : {"all"sv, "true"sv, "True"sv, " ALL "sv}) {
    auto r = parse_keep_fields(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_TRUE(r->all) << text;
    EXPECT_FALSE(r->priority) << text;
  }
  auto list = parse_keep_fields("priority, Hostname\ttimestamp");
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(list->all);
  EXPECT_TRUE(list->priority);
  EXPECT_FALSE(list->version);
  EXPECT_TRUE(list->timestamp);
  EXPECT_TRUE(list->hostname);
  EXPECT_FALSE(list->none());
  auto version = parse_keep_fields("version");
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE(version->version);
}

TEST(ParseKeepFields, Errors) {
  auto unknown = parse_keep_fields("priority hostnames");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message,
            "keepFields: unknown field 'hostnames' (expected none, all, or a list of priority, version, timestamp, "
            "hostname)");
  auto mixed = parse_keep_fields("all priority");
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().message, "keepFields: 'all' must stand alone, not in a list of fields");
  auto many = parse_keep_fields("priority priority priority priority priority priority priority priority priority");
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().message.substr(0, 31), "keepFields: too many words in '");
}

// Flume's testKeepFields, value for value.
TEST_F(SyslogEventTest, FlumeKeepFields) {
  const std::string_view raw = "<10>1 2012-04-13T11:11:11+08:00 ubuntu-11.cloudera.com some msg";
  EXPECT_EQ(build(raw, keep("none")).body, "some msg");
  EXPECT_EQ(build(raw, keep("false")).body, "some msg");
  EXPECT_EQ(build(raw, keep("hostname")).body, "ubuntu-11.cloudera.com some msg");
  EXPECT_EQ(build(raw, keep("timestamp hostname")).body, "2012-04-13T11:11:11+08:00 ubuntu-11.cloudera.com some msg");
  EXPECT_EQ(build(raw, keep("priority timestamp hostname")).body,
            "<10>2012-04-13T11:11:11+08:00 ubuntu-11.cloudera.com some msg");
  EXPECT_EQ(build(raw, keep("priority version timestamp hostname")).body, raw);
  EXPECT_EQ(build(raw, keep("all")).body, raw);
  EXPECT_EQ(build(raw, keep("true")).body, raw);
  EXPECT_EQ(build(raw, keep("version")).body, "1 some msg");
  EXPECT_EQ(build(raw, keep("priority")).body, "<10>some msg");
}

TEST_F(SyslogEventTest, KeepAllIsTheRawMessageWithoutCopy) {
  const std::string raw = "<13>Nov 21 05:10:00 host app: msg";
  const auto event = build(raw, keep("all"));
  EXPECT_EQ(event.body.data(), raw.data());
  EXPECT_EQ(event.body.size(), raw.size());
}

TEST_F(SyslogEventTest, KeepFieldsRestoresNilAsDash) {
  const std::string_view raw = "<13>1 - - app - - - hello";
  EXPECT_EQ(build(raw, keep("priority version timestamp hostname")).body, raw);
  EXPECT_EQ(build(raw, keep("timestamp")).body, "- app - - - hello");
}

TEST_F(SyslogEventTest, KeepFieldsRfc3164) {
  EXPECT_EQ(build("<13>Nov  1 05:10:00 host app: msg", keep("priority version timestamp hostname")).body,
            "<13>Nov  1 05:10:00 host app: msg");
  // No host: nothing to put back.
  EXPECT_EQ(build("<13>Nov 21 05:10:00 sshd[12]: msg", keep("priority timestamp hostname")).body,
            "<13>Nov 21 05:10:00 sshd[12]: msg");
  EXPECT_EQ(build("<13>Nov 21 05:10:00 sshd[12]: msg", keep("hostname")).body, "sshd[12]: msg");
}

TEST_F(SyslogEventTest, KeepFieldsLeavesUnparsedMessagesRaw) {
  EXPECT_EQ(build("<10>Good good good data", keep("priority hostname")).body, "<10>Good good good data");
  EXPECT_EQ(build("no pri", keep("priority hostname")).body, "no pri");
}

TEST_F(SyslogEventTest, KeepFieldsBodyIsBoundedByItsBuffer) {
  EventOptions options = keep("priority timestamp hostname");
  options.body_bytes_max = 10;  // the source promised shorter messages than it passes in
  const auto event = build("<13>1 - host app - - - a long message body", options);
  EXPECT_EQ(event.body, "<13>- host app - -");  // 10 + 8 bytes of slack
}

TEST_F(SyslogEventTest, StampOnlyMessageGrowsByItsSpace) {
  EventOptions options = keep("priority timestamp");
  options.body_bytes_max = 19;  // exactly the raw message
  EXPECT_EQ(build("<13>Nov 21 05:10:00", options).body, "<13>Nov 21 05:10:00 ");
}

TEST_F(SyslogEventTest, BuilderReusesItsBuffers) {
  builder_ = std::make_unique<SyslogEventBuilder>(keep("priority"));
  SyslogMessage a, b;
  parser_.parse("<13>1 - h a p i - first", a);
  parser_.parse("<14>1 2026-11-21T05:10:00Z h a p i - second", b);
  const auto e1 = builder_->build(a, false, 1, "");
  const std::string body1(e1.body);
  const auto e2 = builder_->build(b, false, 1, "");
  EXPECT_EQ(body1, "<13>a p i - first");
  EXPECT_EQ(e2.body, "<14>a p i - second");
  EXPECT_EQ(e1.body.data(), e2.body.data()) << "one scratch buffer";
  EXPECT_EQ(e1.headers.data(), e2.headers.data()) << "one header array";
  EXPECT_EQ(e2.timestamp_ms, 1795237800000);
}

// ---- into a channel log ----

TEST_F(SyslogEventTest, AppendsToALogAndReadsBack) {
  ringbuf::Doorbell bell;
  ringbuf::LogOptions log_options;
  log_options.capacity_bytes = 1 << 20;
  ringbuf::Log log(log_options, std::make_unique<ringbuf::MemorySegmentStore>(64 * 1024), &bell);
  ringbuf::Log* logs[] = {&log};

  EventOptions options;
  options.client_ip_header = "clientIp";
  const std::string raw = "<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [ex@1 a=\"b\"] hi";
  const auto event = build(raw, options, false, "10.0.0.1");
  ASSERT_TRUE(ringbuf::append_event(logs, event));
  const auto invalid = build("garbage", options, false, "10.0.0.2");
  ASSERT_TRUE(ringbuf::append_event(logs, invalid));
  log.publish();

  std::vector<ringbuf::EventView> views;
  ASSERT_EQ(log.reader(0).read(views, 10, SIZE_MAX), 2u);
  auto all_headers = [](const ringbuf::EventView& v) {
    Headers out;
    v.for_each_header(
        [&](std::string_view k, std::string_view val) { out.emplace_back(std::string(k), std::string(val)); });
    return out;
  };
  EXPECT_EQ(views[0].timestamp_ms(), 1065910455003);
  EXPECT_TRUE(views[0].has_timestamp_header()) << "the timestamp header folds into the record";
  EXPECT_EQ(all_headers(views[0]), (Headers{
                                       {"timestamp", "1065910455003"},
                                       {"Facility", "20"},
                                       {"Severity", "5"},
                                       {"host", "mymachine"},
                                       {"syslog.appname", "evntslog"},
                                       {"syslog.msgid", "ID47"},
                                       {"syslog.sd", "[ex@1 a=\"b\"]"},
                                       {"clientIp", "10.0.0.1"},
                                   }));
  EXPECT_EQ(views[0].body(), "evntslog - ID47 [ex@1 a=\"b\"] hi");
  EXPECT_EQ(views[1].timestamp_ms(), kReceiveMs);
  EXPECT_FALSE(views[1].has_timestamp_header());
  EXPECT_EQ(
      all_headers(views[1]),
      (Headers{{"Facility", "0"}, {"Severity", "0"}, {"flume.syslog.status", "Invalid"}, {"clientIp", "10.0.0.2"}}));
  EXPECT_EQ(views[1].body(), "garbage");
}

}  // namespace
}  // namespace sluice::syslog
