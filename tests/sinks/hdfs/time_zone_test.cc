// TimeZone against glibc: the same TZif files read by localtime_r (with TZ set in this test
// process only), over a sweep of instants from 1901 to 2199 for zones with every kind of rule:
// half-hour and 45-minute offsets, half-hour DST (Lord Howe), southern hemisphere, abolished DST,
// negative DST (Dublin), a skipped day (Apia), and the footer rule after 2037.
#include "sinks/hdfs/time_zone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice::sinks::hdfs {
namespace {

class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  bool had_ = false;
  std::string old_;
};

int32_t glibc_offset(int64_t utc_s) {
  const time_t t = static_cast<time_t>(utc_s);
  tm fields{};
  localtime_r(&t, &fields);
  return static_cast<int32_t>(fields.tm_gmtoff);
}

TimeZone::Ptr must_load(std::string_view name) {
  auto zone = TimeZone::load(name);
  EXPECT_TRUE(zone.ok()) << (zone.ok() ? "" : zone.error().message);
  return zone.ok() ? zone.value() : TimeZone::utc();
}

class AgainstGlibc : public ::testing::TestWithParam<const char*> {};

TEST_P(AgainstGlibc, OffsetsAndPeriodsMatchLocaltime) {
  const char* name = GetParam();
  const TimeZone::Ptr zone = must_load(name);
  ScopedTz tz(name);
  // Every 7 h 13 min 17 s from 1901 to 2199: every hour of day and day of week get visited.
  int checked = 0;
  for (int64_t t = -2'208'988'800; t < 7'258'118'400; t += 7 * 3600 + 13 * 60 + 17) {
    const ZonePeriod p = zone->period_at(t);
    ASSERT_EQ(p.offset_s, glibc_offset(t)) << name << " at " << t;
    ASSERT_LE(p.begin_s, t);
    ASSERT_GT(p.end_s, t);
    ++checked;
  }
  EXPECT_GT(checked, 300'000);
}

TEST_P(AgainstGlibc, PeriodBoundariesAreOffsetChanges) {
  const char* name = GetParam();
  const TimeZone::Ptr zone = must_load(name);
  ScopedTz tz(name);
  // Walk the periods from 1970 to 2120: each holds one offset, and glibc changes offset at the
  // boundaries (the rule part may also split a period at a change to the same offset).
  int64_t t = 0;
  int changes = 0;
  for (int i = 0; i < 2000 && t < 4'733'510'400; ++i) {
    const ZonePeriod p = zone->period_at(t);
    ASSERT_EQ(glibc_offset(p.begin_s < 0 ? 0 : p.begin_s), p.offset_s) << name << " period from " << p.begin_s;
    if (p.end_s == ZonePeriod::kForever) break;
    ASSERT_EQ(glibc_offset(p.end_s - 1), p.offset_s) << name << " period to " << p.end_s;
    if (glibc_offset(p.end_s) != p.offset_s) ++changes;
    t = p.end_s;
  }
  const std::string_view n(name);
  if (n != "UTC" && n != "Asia/Kolkata" && n != "Etc/GMT+5") {
    EXPECT_GT(changes, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Zones, AgainstGlibc,
                         ::testing::Values("UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
                                           "Pacific/Chatham", "America/St_Johns", "Asia/Kathmandu", "America/Sao_Paulo",
                                           "Europe/Dublin", "Pacific/Apia", "Africa/Casablanca", "Australia/Sydney",
                                           "Europe/London", "America/Santiago", "Antarctica/Troll", "EST5EDT",
                                           "Etc/GMT+5"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

TEST(TimeZone, JavaWallTimeResolution) {
  // java.util.GregorianCalendar in America/New_York (checked with OpenJDK 17): 2024-11-03 01:30
  // happens twice and resolves to the later (EST) instant; 2024-03-10 02:30 does not happen and
  // resolves with the offset before the gap (EST), i.e. 03:30 EDT.
  const TimeZone::Ptr ny = must_load("America/New_York");
  const int64_t overlap_wall = 1730597400;  // 2024-11-03T01:30:00 "as if UTC"
  EXPECT_EQ(ny->utc_from_local(overlap_wall), 1730615400);
  const int64_t gap_wall = 1710037800;  // 2024-03-10T02:30:00
  EXPECT_EQ(ny->utc_from_local(gap_wall), 1710055800);
  // Ordinary times map back exactly.
  EXPECT_EQ(ny->utc_from_local(1700000000 - 5 * 3600), 1700000000);
  EXPECT_EQ(TimeZone::utc()->utc_from_local(123), 123);
}

TEST(TimeZone, JavaCustomIds) {
  struct Case {
    const char* name;
    int32_t offset;
  };
  for (const Case& c : {Case{"GMT+05:30", 19800}, Case{"GMT-03", -10800}, Case{"GMT+5", 18000}, Case{"GMT+0530", 19800},
                        Case{"GMT-930", -34200}, Case{"GMT+5:30", 19800}}) {
    auto zone = TimeZone::load(c.name);
    ASSERT_TRUE(zone.ok()) << c.name;
    EXPECT_EQ(zone.value()->period_at(1700000000).offset_s, c.offset) << c.name;
    EXPECT_TRUE(zone.value()->is_fixed());
  }
  // Java turns these into GMT silently; here they are errors.
  for (const char* bad : {"GMT+24", "GMT+5:3", "GMT+12345", "gmt+5", "UTC+1", "GMT+"}) {
    auto zone = TimeZone::load(bad);
    EXPECT_FALSE(zone.ok()) << bad;
  }
}

TEST(TimeZone, JavaShortIds) {
  auto ist = TimeZone::load("IST");
  ASSERT_TRUE(ist.ok());
  EXPECT_EQ(ist.value()->period_at(1700000000).offset_s, 19800);
  auto pst = TimeZone::load("PST");
  ASSERT_TRUE(pst.ok());
  EXPECT_EQ(pst.value()->period_at(1700000000).offset_s, -8 * 3600);  // November: PST
  EXPECT_EQ(pst.value()->period_at(1690000000).offset_s, -7 * 3600);  // July: PDT
}

TEST(TimeZone, UnknownAndUnsafeNamesAreErrors) {
  for (const char* bad : {"Nowhere/Atlantis", "", "../etc/passwd", "/etc/localtime", "Europe/../UTC", "Europe//Berlin",
                          "Europe/Berlin/", "zone.tab", "tzdata.zi", "Europe"}) {
    auto zone = TimeZone::load(bad);
    EXPECT_FALSE(zone.ok()) << bad;
    if (!zone.ok()) {
      EXPECT_FALSE(zone.error().message.empty());
    }
  }
  auto zone = TimeZone::load("Nowhere/Atlantis");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.error().message.find("Nowhere/Atlantis"), std::string::npos);
}

TEST(TimeZone, LeapSecondZonesAreRefused) {
  std::ifstream f("/usr/share/zoneinfo/right/UTC");
  if (!f) GTEST_SKIP() << "no right/ zones installed";
  auto zone = TimeZone::load("right/UTC");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.error().message.find("leap seconds"), std::string::npos) << zone.error().message;
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(TimeZone, MalformedTzifIsAnErrorNotACrash) {
  const std::string good = file_bytes("/usr/share/zoneinfo/America/New_York");
  ASSERT_GT(good.size(), 100u);
  ASSERT_TRUE(TimeZone::from_tzif("ny", good).ok());
  // Every truncation fails cleanly, except cuts inside the footer, which must still parse or fail.
  for (size_t n = 0; n < good.size(); n += 7) {
    auto zone = TimeZone::from_tzif("cut", std::string_view(good).substr(0, n));
    if (zone.ok()) {
      EXPECT_GT(n, good.size() - 40) << "accepted a file cut at " << n;
    }
  }
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_FALSE(TimeZone::from_tzif("x", bad_magic).ok());
}

// Builds TZif files: version 1 (32-bit times only) or 2 (an empty v1 block, then 64-bit times
// and a footer).
struct TzifSpec {
  char version = '2';
  std::vector<int64_t> times;
  std::vector<uint8_t> types;
  std::vector<int32_t> offsets;  // one per time type
  uint32_t leap_count = 0;
  std::string footer;
};

std::string build_tzif(const TzifSpec& spec) {
  std::string f;
  auto u32 = [&](uint32_t v) {
    for (int i = 3; i >= 0; --i) f += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  auto u64 = [&](uint64_t v) {
    for (int i = 7; i >= 0; --i) f += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  auto header = [&](uint32_t timecnt, uint32_t typecnt, uint32_t leapcnt) {
    f += "TZif";
    f += spec.version == '1' ? '\0' : spec.version;
    f += std::string(15, '\0');
    u32(0);  // isutcnt
    u32(0);  // isstdcnt
    u32(leapcnt);
    u32(timecnt);
    u32(typecnt);
    u32(4);  // charcnt
  };
  auto block = [&](bool wide) {
    for (int64_t t : spec.times) wide ? u64(static_cast<uint64_t>(t)) : u32(static_cast<uint32_t>(t));
    for (uint8_t t : spec.types) f += static_cast<char>(t);
    for (int32_t off : spec.offsets) {
      u32(static_cast<uint32_t>(off));
      f += '\0';
      f += '\0';
    }
    f += std::string("AB\0\0", 4);
    for (uint32_t i = 0; i < spec.leap_count; ++i) {
      wide ? u64(100 + i) : u32(100 + i);
      u32(i + 1);
    }
  };
  const auto typecnt = static_cast<uint32_t>(spec.offsets.size());
  if (spec.version == '1') {
    header(static_cast<uint32_t>(spec.times.size()), typecnt, spec.leap_count);
    block(false);
    return f;
  }
  header(0, 1, 0);  // a minimal v1 block that readers of v2+ skip
  u32(0);
  f += std::string(2, '\0');
  f += std::string("AB\0\0", 4);
  header(static_cast<uint32_t>(spec.times.size()), typecnt, spec.leap_count);
  block(true);
  f += "\n" + spec.footer + "\n";
  return f;
}

TEST(TimeZone, SyntheticTzif) {
  TzifSpec ok;
  ok.times = {1000, 2000};
  ok.types = {1, 0};
  ok.offsets = {3600, 7200};
  ok.footer = "<+01>-1";
  auto zone = TimeZone::from_tzif("ok", build_tzif(ok));
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  EXPECT_EQ(zone.value()->period_at(999).offset_s, 3600);
  EXPECT_EQ(zone.value()->period_at(1500).offset_s, 7200);
  EXPECT_EQ(zone.value()->period_at(1500).begin_s, 1000);
  EXPECT_EQ(zone.value()->period_at(1500).end_s, 2000);
  EXPECT_EQ(zone.value()->period_at(1'000'000).offset_s, 3600);
  EXPECT_EQ(zone.value()->period_at(1'000'000).end_s, ZonePeriod::kForever);

  TzifSpec bad_type = ok;
  bad_type.types = {1, 2};
  EXPECT_FALSE(TimeZone::from_tzif("x", build_tzif(bad_type)).ok());
  TzifSpec unsorted = ok;
  unsorted.times = {2000, 1000};
  EXPECT_FALSE(TimeZone::from_tzif("x", build_tzif(unsorted)).ok());
  TzifSpec huge_offset = ok;
  huge_offset.offsets = {3600, 200'000};
  EXPECT_FALSE(TimeZone::from_tzif("x", build_tzif(huge_offset)).ok());
  TzifSpec leaps = ok;
  leaps.leap_count = 2;
  auto right = TimeZone::from_tzif("right/x", build_tzif(leaps));
  ASSERT_FALSE(right.ok());
  EXPECT_NE(right.error().message.find("leap seconds"), std::string::npos);
  TzifSpec bad_footer = ok;
  bad_footer.footer = "garbage,,";
  EXPECT_FALSE(TimeZone::from_tzif("x", build_tzif(bad_footer)).ok());
  TzifSpec no_types = ok;
  no_types.offsets.clear();
  no_types.types.clear();
  no_types.times.clear();
  EXPECT_FALSE(TimeZone::from_tzif("x", build_tzif(no_types)).ok());
  // An empty footer: the last offset holds for ever.
  TzifSpec empty_footer = ok;
  empty_footer.footer = "";
  auto kept = TimeZone::from_tzif("x", build_tzif(empty_footer));
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept.value()->period_at(1'000'000).offset_s, 3600);
  // A DST rule after the table.
  TzifSpec rule = ok;
  rule.footer = "EST5EDT,M3.2.0,M11.1.0";
  auto ny = TimeZone::from_tzif("x", build_tzif(rule));
  ASSERT_TRUE(ny.ok());
  EXPECT_EQ(ny.value()->period_at(1700000000).offset_s, -5 * 3600);
  EXPECT_EQ(ny.value()->period_at(1690000000).offset_s, -4 * 3600);
  EXPECT_EQ(ny.value()->period_at(1690000000).begin_s, 1678604400);  // 2023-03-12 07:00 UTC
  EXPECT_EQ(ny.value()->period_at(1690000000).end_s, 1699164000);    // 2023-11-05 06:00 UTC
}

TEST(TimeZone, Version1FileWithoutFooterKeepsTheLastOffset) {
  // One transition at 1000 s from +1 h to +2 h.
  TzifSpec v1;
  v1.version = '1';
  v1.times = {1000};
  v1.types = {1};
  v1.offsets = {3600, 7200};
  auto zone = TimeZone::from_tzif("v1", build_tzif(v1));
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  EXPECT_EQ(zone.value()->period_at(999).offset_s, 3600);
  EXPECT_EQ(zone.value()->period_at(999).end_s, 1000);
  EXPECT_EQ(zone.value()->period_at(1000).offset_s, 7200);
  EXPECT_EQ(zone.value()->period_at(5'000'000'000).offset_s, 7200);
}

TEST(PosixTzRule, Forms) {
  PosixTzRule r;
  ASSERT_TRUE(PosixTzRule::parse("EST5EDT,M3.2.0,M11.1.0", r));
  EXPECT_EQ(r.std_offset_s, -5 * 3600);
  EXPECT_EQ(r.dst_offset_s, -4 * 3600);
  // 2024: DST from 2024-03-10 07:00 UTC to 2024-11-03 06:00 UTC.
  EXPECT_EQ(r.dst_start_utc(2024), 1710054000);
  EXPECT_EQ(r.dst_end_utc(2024), 1730613600);

  ASSERT_TRUE(PosixTzRule::parse("<+0530>-5:30", r));
  EXPECT_EQ(r.std_offset_s, 19800);
  EXPECT_FALSE(r.has_dst);

  ASSERT_TRUE(PosixTzRule::parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", r));  // Lord Howe
  EXPECT_EQ(r.dst_offset_s, 11 * 3600);

  ASSERT_TRUE(PosixTzRule::parse("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", r));  // negative times (v3)
  EXPECT_EQ(r.dst_start.time_s, -7200);

  ASSERT_TRUE(PosixTzRule::parse("XXX3YYY,J60/25,300", r));
  EXPECT_EQ(r.dst_start.kind, PosixTzRule::Date::Kind::julian_no_leap);
  EXPECT_EQ(r.dst_start.time_s, 25 * 3600);
  EXPECT_EQ(r.dst_end.kind, PosixTzRule::Date::Kind::zero_based);
  // J60 is March 1 in every year; day 300 counts February 29.
  EXPECT_EQ(r.dst_start_utc(2024), 19783 * 86400 + 25 * 3600 + 3 * 3600);  // 2024-03-01

  for (const char* bad : {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0,x",
                          "<+05", "EST5EDT,J0,J365", "EST99"}) {
    EXPECT_FALSE(PosixTzRule::parse(bad, r)) << bad;
  }
}

TEST(TimeZone, LocalFollowsTz) {
  {
    ScopedTz tz("Asia/Kolkata");
    auto zone = TimeZone::local();
    ASSERT_TRUE(zone.ok());
    EXPECT_EQ(zone.value()->period_at(0).offset_s, 19800);
  }
  {
    ScopedTz tz(":America/New_York");
    auto zone = TimeZone::local();
    ASSERT_TRUE(zone.ok());
    EXPECT_EQ(zone.value()->period_at(1700000000).offset_s, -5 * 3600);
  }
  {
    ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");
    auto zone = TimeZone::local();
    ASSERT_TRUE(zone.ok());
    EXPECT_EQ(zone.value()->period_at(1700000000).offset_s, 3600);
    EXPECT_EQ(zone.value()->period_at(1690000000).offset_s, 7200);
  }
}

}  // namespace
}  // namespace sluice::sinks::hdfs
