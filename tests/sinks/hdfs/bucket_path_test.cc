// BucketPath: every escape at known times (UTC, a DST zone around its changes, a half-hour
// zone), rounding, headers, local time stamps, errors, malformed templates; and ~11,000 vectors
// computed by Flume's own BucketPath (data/bucket_path_vectors.tsv.gz, see
// tests/support/bucket_path_java/BucketPathVectors.java) over 16 zones, 1960-2400.
#include "sinks/hdfs/bucket_path.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/support/allocation_counter.h"
#include "tests/support/event_builder.h"

namespace sluice::sinks::hdfs {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kT = 1700000000000;  // 2023-11-14T22:13:20Z, a Tuesday

BucketPathOptions utc_options() {
  BucketPathOptions o;
  o.time_zone = "UTC";
  return o;
}

BucketPath compile(std::string_view text, const BucketPathOptions& options = utc_options()) {
  auto path = BucketPath::compile(text, options);
  EXPECT_TRUE(path.ok()) << text << ": " << (path.ok() ? "" : path.error().message);
  if (!path.ok()) std::abort();
  return std::move(path).value();
}

struct Expanded {
  PathErrc error;
  std::string text;
};

Expanded expand(BucketPath& path, Headers headers, int64_t now_ms = 0) {
  testing::EventBuffer events;
  const auto event = events.add(std::move(headers), "body");
  std::string out;
  const PathErrc rc = path.format(event, now_ms, out);
  return {rc, out};
}

std::string expand_at(BucketPath& path, int64_t ts_ms) {
  const Expanded e = expand(path, {{"timestamp", std::to_string(ts_ms)}});
  EXPECT_EQ(e.error, PathErrc::ok) << path_errc_message(e.error);
  return e.text;
}

constexpr const char* kAll = "%a|%A|%b|%B|%c|%d|%e|%D|%H|%I|%j|%k|%l|%m|%n|%M|%p|%s|%S|%t|%y|%Y|%z";

TEST(BucketPath, EveryEscapeInUtc) {
  BucketPath path = compile(kAll);
  EXPECT_EQ(expand_at(path, kT),
            "Tue|Tuesday|Nov|November|Tue Nov 14 22:13:20 2023|14|14|11/14/23|22|10|318|22|10|11|11|13|PM|"
            "1700000000|20|1700000000000|23|2023|+0000");
  // Single digits, the morning, January 1st.
  EXPECT_EQ(expand_at(path, 1704070861000),  // 2024-01-01T01:01:01Z, a Monday
            "Mon|Monday|Jan|January|Mon Jan 1 01:01:01 2024|01|1|01/01/24|01|01|001|1|1|01|1|01|AM|1704070861|01|"
            "1704070861000|24|2024|+0000");
  // Midnight and noon on the 12-hour clock; the last day of a leap year.
  BucketPath clock = compile("%I %l %p|%k|%j");
  EXPECT_EQ(expand_at(clock, 1735603200000), "12 12 AM|0|366");   // 2024-12-31T00:00:00Z
  EXPECT_EQ(expand_at(clock, 1735646400000), "12 12 PM|12|366");  // 2024-12-31T12:00:00Z
}

TEST(BucketPath, FoldedAndInlineTimestampHeadersAgree) {
  // The channel stores a canonical timestamp header in the record's timestamp field; other
  // spellings ("+1", "007") stay ordinary headers. Both read the same.
  BucketPath path = compile("%t|%s|%Y-%m-%d %H:%M:%S");
  testing::EventBuffer events;
  const auto folded = events.add({{"timestamp", "1704070861000"}}, "b", 1704070861000);
  ASSERT_TRUE(folded.has_timestamp_header());
  const auto inline_header = events.add({{"timestamp", "1704070861000"}}, "b", 5);
  ASSERT_FALSE(inline_header.has_timestamp_header());
  std::string a, b;
  ASSERT_EQ(path.format(folded, 0, a), PathErrc::ok);
  ASSERT_EQ(path.format(inline_header, 0, b), PathErrc::ok);
  EXPECT_EQ(a, "1704070861000|1704070861|2024-01-01 01:01:01");
  EXPECT_EQ(a, b);
  // The record's own time is not the timestamp header: without the header there is no time.
  const auto no_header = events.add({{"host", "h"}}, "b", 1704070861000);
  EXPECT_EQ(path.format(no_header, 0, a), PathErrc::no_timestamp);
}

TEST(BucketPath, HalfHourZone) {
  BucketPathOptions o;
  o.time_zone = "Asia/Kolkata";
  BucketPath path = compile(kAll, o);
  EXPECT_EQ(expand_at(path, kT),
            "Wed|Wednesday|Nov|November|Wed Nov 15 03:43:20 2023|15|15|11/15/23|03|03|319|3|3|11|11|43|AM|"
            "1700000000|20|1700000000000|23|2023|+0530");
}

TEST(BucketPath, DaylightSavingChangesInNewYork) {
  BucketPathOptions o;
  o.time_zone = "America/New_York";
  BucketPath path = compile("%Y-%m-%d %H:%M:%S %z", o);
  EXPECT_EQ(expand_at(path, 1710053999000), "2024-03-10 01:59:59 -0500");
  EXPECT_EQ(expand_at(path, 1710054000000), "2024-03-10 03:00:00 -0400");  // 02:00 does not happen
  EXPECT_EQ(expand_at(path, 1730611800000), "2024-11-03 01:30:00 -0400");  // first 01:30
  EXPECT_EQ(expand_at(path, 1730615400000), "2024-11-03 01:30:00 -0500");  // second 01:30
  EXPECT_EQ(expand_at(path, 1730613599999), "2024-11-03 01:59:59 -0400");
  EXPECT_EQ(expand_at(path, 1730613600000), "2024-11-03 01:00:00 -0500");
  // After 2037 the zone file's POSIX rule takes over.
  EXPECT_EQ(expand_at(path, 2225000000000), "2040-07-04 03:33:20 -0400");
  EXPECT_EQ(expand_at(path, 2240000000000), "2040-12-24 17:13:20 -0500");
}

TEST(BucketPath, Rounding) {
  auto rounded = [](RoundUnit unit, int value, const char* zone, int64_t ts) {
    BucketPathOptions o;
    o.time_zone = zone;
    o.round_unit = unit;
    o.round_value = value;
    BucketPath path = compile("%Y-%m-%d %H:%M:%S %z|%s|%t", o);
    return expand_at(path, ts);
  };
  EXPECT_EQ(rounded(RoundUnit::second, 15, "UTC", kT + 999), "2023-11-14 22:13:15 +0000|1699999995|1700000000999");
  EXPECT_EQ(rounded(RoundUnit::minute, 10, "UTC", kT), "2023-11-14 22:10:00 +0000|1699999800|1700000000000");
  EXPECT_EQ(rounded(RoundUnit::minute, 7, "UTC", kT), "2023-11-14 22:07:00 +0000|1699999620|1700000000000");
  EXPECT_EQ(rounded(RoundUnit::hour, 5, "UTC", kT), "2023-11-14 20:00:00 +0000|1699992000|1700000000000");
  EXPECT_EQ(rounded(RoundUnit::hour, 24, "UTC", kT), "2023-11-14 00:00:00 +0000|1699920000|1700000000000");
  // In local time: Kolkata's hours start at half past UTC hours.
  EXPECT_EQ(rounded(RoundUnit::hour, 1, "Asia/Kolkata", kT), "2023-11-15 03:00:00 +0530|1699997400|1700000000000");
  EXPECT_EQ(rounded(RoundUnit::hour, 6, "Asia/Kolkata", kT), "2023-11-15 00:00:00 +0530|1699986600|1700000000000");
  // Java's calendar resolves 01:40 on the night clocks go back as its second occurrence (EST),
  // even when the event was at the first (EDT): Flume's "round down" moves it an hour later.
  EXPECT_EQ(rounded(RoundUnit::minute, 10, "America/New_York", 1730612400000),
            "2024-11-03 01:40:00 -0500|1730616000|1730612400000");
  EXPECT_EQ(rounded(RoundUnit::hour, 1, "America/New_York", 1730615400000),
            "2024-11-03 01:00:00 -0500|1730613600|1730615400000");
  // Rounding to 12 hours across the spring change: 00:00 local is still EST.
  EXPECT_EQ(rounded(RoundUnit::hour, 12, "America/New_York", 1710054000000),
            "2024-03-10 00:00:00 -0500|1710046800|1710054000000");
}

TEST(BucketPath, RoundingNeedsATimeAfter1970) {
  BucketPathOptions o = utc_options();
  o.round_unit = RoundUnit::minute;
  BucketPath path = compile("%Y", o);
  EXPECT_EQ(expand(path, {{"timestamp", "0"}}).error, PathErrc::timestamp_not_positive);
  EXPECT_EQ(expand(path, {{"timestamp", "-1000"}}).error, PathErrc::timestamp_not_positive);
  BucketPath plain = compile("%Y");
  EXPECT_EQ(expand_at(plain, -1000), "1969");
}

TEST(BucketPath, Headers) {
  BucketPath path = compile("/logs/%{host}/%{app.name}/%{x-y_z}/%{missing}/end");
  EXPECT_TRUE(path.uses_headers());
  EXPECT_FALSE(path.uses_time());
  EXPECT_FALSE(path.is_constant());
  const Expanded e = expand(path, {{"host", "web-01"}, {"app.name", "nginx"}, {"x-y_z", "v"}});
  EXPECT_EQ(e.error, PathErrc::ok);
  EXPECT_EQ(e.text, "/logs/web-01/nginx/v//end");  // a missing header expands to nothing, as in Flume
  // No timestamp needed without time escapes.
  EXPECT_EQ(expand(path, {}).text, "/logs/////end");
}

TEST(BucketPath, UnsafeHeaderValuesAreRefusedUnlessAsIs) {
  BucketPath path = compile("/logs/%{host}/x");
  for (const char* bad : {"..", ".", "a/b", "/etc", "../../tmp"}) {
    EXPECT_EQ(expand(path, {{"host", bad}}).error, PathErrc::unsafe_header_value) << bad;
  }
  EXPECT_EQ(expand(path, {{"host", std::string("a\0b", 3)}}).error, PathErrc::unsafe_header_value);
  EXPECT_EQ(expand(path, {{"host", "...x"}}).text, "/logs/...x/x");
  BucketPathOptions o = utc_options();
  o.header_values_as_is = true;
  BucketPath flume = compile("/logs/%{host}/x", o);
  const Expanded e = expand(flume, {{"host", "../../tmp"}});
  EXPECT_EQ(e.error, PathErrc::ok);
  EXPECT_EQ(e.text, "/logs/../../tmp/x");
}

TEST(BucketPath, TooLong) {
  BucketPathOptions o = utc_options();
  o.path_bytes_max = 16;
  BucketPath path = compile("/logs/%{host}", o);
  EXPECT_EQ(expand(path, {{"host", "0123456789"}}).error, PathErrc::ok);
  EXPECT_EQ(expand(path, {{"host", "01234567890"}}).error, PathErrc::too_long);
  BucketPath time = compile("/logs/%Y/%m/%d/%H", o);
  EXPECT_EQ(expand(time, {{"timestamp", std::to_string(kT)}}).error, PathErrc::too_long);
  EXPECT_FALSE(BucketPath::compile("/a/very/long/literal/path", o).ok());
}

TEST(BucketPath, UseLocalTimeStamp) {
  BucketPathOptions o = utc_options();
  o.use_local_time_stamp = true;
  o.round_unit = RoundUnit::minute;
  o.round_value = 5;
  BucketPath path = compile("%Y%m%d-%H%M|%t|%s", o);
  // The event's own timestamp is ignored; %t is the clock, unrounded.
  const Expanded e = expand(path, {{"timestamp", "1"}}, kT + 123);
  EXPECT_EQ(e.error, PathErrc::ok);
  EXPECT_EQ(e.text, "20231114-2210|1700000000123|1699999800");
  EXPECT_EQ(expand(path, {}, kT).text, "20231114-2210|1700000000000|1699999800");
}

TEST(BucketPath, EventsWithoutAUsableTimestamp) {
  BucketPath path = compile("/logs/%Y/%{host}");
  EXPECT_TRUE(path.uses_time());
  const Expanded none = expand(path, {{"host", "h"}});
  EXPECT_EQ(none.error, PathErrc::no_timestamp);
  EXPECT_NE(path_errc_message(none.error).find("useLocalTimeStamp"), std::string_view::npos);
  for (const char* bad :
       {"", "abc", " 1", "1 ", "1.5", "0x10", "1e3", "+", "-", "99999999999999999999", "9223372036854775808", "١٢٣"}) {
    EXPECT_EQ(expand(path, {{"timestamp", bad}}).error, PathErrc::bad_timestamp) << bad;
  }
  // Java's Long.valueOf takes a sign and leading zeros; %t keeps the text as written.
  BucketPath t = compile("%t|%Y");
  EXPECT_EQ(expand(t, {{"timestamp", "+1700000000000"}}).text, "+1700000000000|2023");
  EXPECT_EQ(expand(t, {{"timestamp", "007"}}).text, "007|1970");
  // In range for Java, not here.
  EXPECT_EQ(expand(t, {{"timestamp", "9223372036854775807"}}).error, PathErrc::timestamp_out_of_range);
  EXPECT_EQ(expand(t, {{"timestamp", "-62135596800000"}}).error, PathErrc::timestamp_out_of_range);
  EXPECT_EQ(expand(t, {{"timestamp", "253402300799999"}}).text, "253402300799999|9999");
  // Every message names the problem.
  for (PathErrc e : {PathErrc::no_timestamp, PathErrc::bad_timestamp, PathErrc::timestamp_out_of_range,
                     PathErrc::timestamp_not_positive, PathErrc::unsafe_header_value, PathErrc::too_long}) {
    EXPECT_GT(path_errc_message(e).size(), 20u);
  }
}

TEST(BucketPath, MalformedTemplatesExpandAsFlume) {
  BucketPath path = compile("100%%/%{a b}/%{}/%[/%/a%q%E%_%0/%{unclosed/end%");
  EXPECT_FALSE(path.uses_time());  // %% and unknown escapes need no time (Flume: they do)
  EXPECT_EQ(path.unknown_escapes(), (std::vector<std::string>{"%q", "%E", "%_", "%0"}));
  EXPECT_EQ(expand(path, {}).text, "100%/%{a b}/%{}/%[/%/a/%{unclosed/end%");
  BucketPath lone = compile("%");
  EXPECT_EQ(expand(lone, {}).text, "%");
  BucketPath three = compile("%%%");
  EXPECT_EQ(expand(three, {}).text, "%%");
  BucketPath nested = compile("%{%Y}");
  EXPECT_EQ(expand(nested, {{"timestamp", std::to_string(kT)}}).text, "%{2023}");
  EXPECT_TRUE(compile("").is_constant());
  EXPECT_TRUE(compile("/plain/path").is_constant());
}

TEST(BucketPath, StaticHostEscapes) {
  BucketPathOptions o = utc_options();
  o.host_names = HostNames{"myhost", "10.1.2.3", "myhost.example.com"};
  BucketPath path = compile("/%[localhost]/%[IP]/%[FQDN]/%[LocalHost]/%[ip]/%[local-host]", o);
  EXPECT_TRUE(path.is_constant());
  EXPECT_EQ(expand(path, {}).text, "/myhost/10.1.2.3/myhost.example.com/myhost/10.1.2.3/%[local-host]");
  auto unknown = BucketPath::compile("/%[hostname]", o);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("%[hostname]"), std::string::npos);
  // Without injected names, this host's are looked up once.
  auto real = BucketPath::compile("%[localhost]", utc_options());
  if (real.ok()) {
    EXPECT_FALSE(expand(real.value(), {}).text.empty());
  } else {
    EXPECT_NE(real.error().message.find("resolve"), std::string::npos) << real.error().message;
  }
}

TEST(BucketPath, OptionsAreChecked) {
  BucketPathOptions o = utc_options();
  o.round_unit = RoundUnit::minute;
  o.round_value = 61;
  EXPECT_FALSE(BucketPath::compile("%Y", o).ok());
  o.round_unit = RoundUnit::hour;
  o.round_value = 25;
  EXPECT_FALSE(BucketPath::compile("%Y", o).ok());
  o.round_value = 0;
  EXPECT_FALSE(BucketPath::compile("%Y", o).ok());
  o.round_value = 24;
  EXPECT_TRUE(BucketPath::compile("%Y", o).ok());
  BucketPathOptions bad_zone;
  bad_zone.time_zone = "Mars/Olympus_Mons";
  auto p = BucketPath::compile("%Y", bad_zone);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("Mars/Olympus_Mons"), std::string::npos);
  EXPECT_TRUE(parse_round_unit("Minute").ok());
  EXPECT_EQ(parse_round_unit("HOUR").value(), RoundUnit::hour);
  EXPECT_FALSE(parse_round_unit("day").ok());
}

TEST(BucketPath, WarmFormatDoesNotAllocate) {
  BucketPathOptions o;
  o.time_zone = "America/New_York";
  o.round_unit = RoundUnit::minute;
  o.round_value = 10;
  BucketPath path = compile("/logs/%{host}/%Y/%m/%d/%H/%M-%t-%s-%z-%c", o);
  testing::EventBuffer events;
  std::vector<ringbuf::EventView> views;
  for (int i = 0; i < 128; ++i) {
    // Across the autumn change, so that the slow rounding path runs too; in 2024 from the zone
    // file's table, in 2040 from its POSIX rule.
    const int64_t start = i < 64 ? 1730606400000 : 2235614400000;
    views.push_back(events.add(
        {{"host", "web-" + std::to_string(i % 5)}, {"timestamp", std::to_string(start + int64_t{i % 64} * 397'000)}},
        "x"));
  }
  std::string out;
  for (const auto& v : views) ASSERT_EQ(path.format(v, 0, out), PathErrc::ok);
  out.reserve(256);
  const uint64_t before = testing::allocations_on_this_thread();
  for (int round = 0; round < 3; ++round)
    for (const auto& v : views) ASSERT_EQ(path.format(v, 0, out), PathErrc::ok);
  EXPECT_EQ(testing::allocations_on_this_thread(), before);
}

TEST(BucketPath, SharedZone) {
  auto zone = TimeZone::load("Asia/Kathmandu");
  ASSERT_TRUE(zone.ok());
  BucketPathOptions o;
  o.zone = zone.value();
  o.time_zone = "ignored when a zone is given";
  BucketPath path = compile("%H:%M %z", o);
  EXPECT_EQ(expand_at(path, kT), "03:58 +0545");
  EXPECT_EQ(&path.zone(), zone.value().get());
}

// --- Flume's own answers ----------------------------------------------------------------------

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

TEST(BucketPath, MatchesFlumeVectors) {
  const std::string file = std::string(SLUICE_HDFS_TEST_DATA) + "/bucket_path_vectors.tsv.gz";
  gzFile in = gzopen(file.c_str(), "rb");
  ASSERT_NE(in, nullptr) << file;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, BucketPath> paths;
  char buf[4096];
  int checked = 0, deviations = 0, line_no = 0;
  while (gzgets(in, buf, sizeof buf) != nullptr) {
    ++line_no;
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto f = split_tabs(line);
    ASSERT_EQ(f.size(), 7u) << "line " << line_no;
    const auto& [tmpl, zone, round, use_local, now, stamp, expected] =
        std::tie(f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
    const auto key = std::make_tuple(tmpl, zone, round, use_local);
    auto it = paths.find(key);
    if (it == paths.end()) {
      BucketPathOptions o;
      o.time_zone = zone;
      o.use_local_time_stamp = use_local == "1";
      o.header_values_as_is = true;
      if (round != "-") {
        const size_t slash = round.find('/');
        o.round_unit = parse_round_unit(round.substr(0, slash)).value();
        o.round_value = std::stoi(round.substr(slash + 1));
      }
      auto compiled = BucketPath::compile(tmpl, o);
      ASSERT_TRUE(compiled.ok()) << "line " << line_no << ": " << compiled.error().message;
      it = paths.emplace(key, std::move(compiled).value()).first;
    }
    Headers headers = {{"host", "web-01"}, {"x.y-z_1", "v1"}};
    if (stamp != "-") headers.emplace_back("timestamp", stamp);
    const Expanded got = expand(it->second, headers, std::stoll(now));
    ++checked;
    if (expected == "ERROR") {
      if (!it->second.uses_time()) {
        // Flume parses the timestamp for %% and unknown escapes too; here they need none.
        EXPECT_EQ(got.error, PathErrc::ok) << "line " << line_no;
        ++deviations;
      } else {
        EXPECT_NE(got.error, PathErrc::ok) << "line " << line_no << ": " << line << " gave " << got.text;
      }
      continue;
    }
    if (got.error == PathErrc::timestamp_out_of_range) {
      ++deviations;  // Java formats years past 9999 (or before 1583, in its Julian calendar)
      continue;
    }
    EXPECT_EQ(got.error, PathErrc::ok) << "line " << line_no << ": " << line << ": " << path_errc_message(got.error);
    EXPECT_EQ(got.text, expected) << "line " << line_no << ": " << tmpl << " zone " << zone << " round " << round
                                  << " stamp " << stamp;
  }
  gzclose(in);
  EXPECT_GT(checked, 10'000);
  EXPECT_LT(deviations, 60);
}

}  // namespace
}  // namespace sluice::sinks::hdfs
