#include "server/interceptors/joda_time.h"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <time.h>

namespace sluice::interceptors {
namespace {

int64_t parse(std::string_view pattern, std::string_view text) {
  auto p = JodaPattern::compile(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << (p.ok() ? "" : p.error().message);
  return p.value().parse_ms(text).value_or(-1);
}

// Runs the test body with TZ set, then puts the zone back.
class InZone {
 public:
  explicit InZone(const char* zone) {
    const char* old = getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~InZone() {
    if (had_) setenv("TZ", old_.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(JodaPattern, ReadsWithAnOffset) {
  EXPECT_EQ(parse("yyyy-MM-dd HH:mmZ", "2012-10-18 18:47-0700"), 1350611220000);
  EXPECT_EQ(parse("yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "2012-10-19T01:47:00.614+00:00"), 1350611220614);
  EXPECT_EQ(parse("yyyy-MM-dd'T'HH:mm:ssZ", "2012-10-19T01:47:00Z"), 1350611220000);
}

TEST(JodaPattern, ReadsInTheLocalZoneWithoutOne) {
  {
    InZone zone("America/Los_Angeles");
    // The Flume user guide's example: 18:47 Pacific daylight time.
    EXPECT_EQ(parse("yyyy-MM-dd HH:mm", "2012-10-18 18:47"), 1350611220000);
  }
  {
    InZone zone("UTC");
    EXPECT_EQ(parse("yyyy-MM-dd HH:mm:ss", "2012-10-19 01:47:00"), 1350611220000);
  }
}

TEST(JodaPattern, MissingFieldsComeFromTheEpoch) {
  InZone zone("UTC");
  EXPECT_EQ(parse("HH:mm", "01:00"), 3600000);
  EXPECT_EQ(parse("yyyy", "1971"), 365LL * 86400 * 1000);
}

TEST(JodaPattern, NamesHalfDaysFractionsAndDaysOfTheYear) {
  InZone zone("UTC");
  EXPECT_EQ(parse("dd MMM yyyy hh:mm a", "19 Oct 2012 01:47 AM"), 1350611220000);
  EXPECT_EQ(parse("dd MMMM yyyy hh:mm a", "19 october 2012 01:47 PM"), 1350611220000 + 12 * 3600000LL);
  EXPECT_EQ(parse("EEE, dd MMM yyyy HH:mm:ss", "Fri, 19 Oct 2012 01:47:00"), 1350611220000);
  EXPECT_EQ(parse("yyyy-MM-dd HH:mm:ss,SSS", "2012-10-19 01:47:00,614"), 1350611220614);
  EXPECT_EQ(parse("yyyy-MM-dd HH:mm:ss.S", "2012-10-19 01:47:00.5"), 1350611220500) << "a fraction, not a count";
  EXPECT_EQ(parse("yyyy-DDD", "2012-293"), parse("yyyy-MM-dd", "2012-10-19"));
  EXPECT_EQ(parse("yyyyMMddHHmmss", "20121019014700"), 1350611220000) << "adjacent numbers have fixed widths";
}

TEST(JodaPattern, TheWholeValueMustFit) {
  InZone zone("UTC");
  EXPECT_EQ(parse("yyyy-MM-dd", "2012-10-19 extra"), -1);
  EXPECT_EQ(parse("yyyy-MM-dd", "2012-13-01"), -1);
  EXPECT_EQ(parse("yyyy-MM-dd", "2012-02-30"), -1);
  EXPECT_EQ(parse("yyyy-MM-dd", "yesterday"), -1);
  EXPECT_EQ(parse("HH:mm", "24:00"), -1);
  EXPECT_EQ(parse("yyyy", "999999999"), -1) << "a year past 200000 (found by the fuzzer: it overflowed)";
}

TEST(JodaPattern, RefusesLettersItDoesNotRead) {
  InZone zone("UTC");
  EXPECT_FALSE(JodaPattern::compile("ABCDEFG").ok());
  EXPECT_FALSE(JodaPattern::compile("yyyy-MM-dd zzz").ok());
  EXPECT_FALSE(JodaPattern::compile("HH:mm ZZZ").ok());
  EXPECT_FALSE(JodaPattern::compile("'unclosed").ok());
  EXPECT_EQ(parse("'at' HH 'o''clock'", "at 01 o'clock"), 3600000) << "'' is a quote";
}

TEST(JodaPattern, TwoDigitYearsFallWithinFiftyYearsOfNow) {
  InZone zone("UTC");
  const int64_t ms = parse("yy-MM-dd", "12-10-19");
  EXPECT_EQ(ms, parse("yyyy-MM-dd", "2012-10-19"));
}

}  // namespace
}  // namespace sluice::interceptors
