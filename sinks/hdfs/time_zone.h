// Time zones for Flume's `hdfs.timeZone`, read from the system's tz database: the TZif files
// under /usr/share/zoneinfo (or $TZDIR), the same data glibc's localtime() uses, parsed once into
// an immutable table of UTC offset periods plus the file's POSIX TZ rule for times after its
// last transition. Conversions never touch the process-wide TZ (setting TZ for one sink would
// change every other user of localtime in the process, and localtime_r takes a global lock), and
// a lookup is a binary search; callers cache per local hour (BucketPath does).
//
// Names, in the order they are tried:
//  - Java's custom ids "GMT+h", "GMT+hh", "GMT+hmm", "GMT+hhmm", "GMT+h:mm", "GMT+hh:mm" (and
//    with '-'): fixed offsets, as java.util.TimeZone reads them;
//  - any IANA name with a TZif file ("UTC", "Europe/Berlin", "America/Argentina/Salta",
//    "EST5EDT", "Etc/GMT+5" ...);
//  - Java's three-letter ids that have no file of their own (java.time.ZoneId.SHORT_IDS:
//    "IST" -> Asia/Kolkata, "PST" -> America/Los_Angeles, "CTT" -> Asia/Shanghai ...), because
//    Flume configurations use them.
// Unlike Java, an unknown name is an error (Java silently falls back to GMT, which hides typos).
// Zones with leap seconds ("right/...") are refused: Java's time, and so Flume's, has none.
//
// Threads: TimeZone objects are immutable after loading; any thread may use them concurrently.
// load() reads files (start-up only).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::sinks::hdfs {

// One stretch of time with a constant UTC offset: UTC seconds [begin_s, end_s).
struct ZonePeriod {
  static constexpr int64_t kSinceAlways = std::numeric_limits<int64_t>::min();
  static constexpr int64_t kForever = std::numeric_limits<int64_t>::max();
  int64_t begin_s = kSinceAlways;
  int64_t end_s = kForever;
  int32_t offset_s = 0;  // seconds east of UTC
};

// A POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0"), the footer of a TZif v2+ file. Offsets are stored
// east of UTC (POSIX writes them west).
struct PosixTzRule {
  struct Date {
    enum class Kind : uint8_t { julian_no_leap, zero_based, month_week_day };  // "Jn", "n", "Mm.w.d"
    Kind kind = Kind::month_week_day;
    int day = 0;            // Jn: 1-365; n: 0-365; Mm.w.d: d, 0 (Sunday) - 6
    int week = 0;           // Mm.w.d: 1-5 (5: the last)
    int month = 0;          // Mm.w.d: 1-12
    int32_t time_s = 7200;  // local time of day of the change, -167h..167h (RFC 8536 extension)
  };
  int32_t std_offset_s = 0;
  bool has_dst = false;
  int32_t dst_offset_s = 0;
  Date dst_start, dst_end;

  // Parses a rule; false when `text` is not one (or uses a form this reader does not know).
  static bool parse(std::string_view text, PosixTzRule& out);
  // The UTC second at which DST starts (ends) in `year`.
  int64_t dst_start_utc(int64_t year) const;
  int64_t dst_end_utc(int64_t year) const;
};

class TimeZone {
 public:
  using Ptr = std::shared_ptr<const TimeZone>;

  // Loads `name` (see the top of this file). `zoneinfo_dir` empty: $TZDIR, else
  // /usr/share/zoneinfo.
  static Result<Ptr> load(std::string_view name, std::string_view zoneinfo_dir = {});
  // The process's local zone as glibc finds it: $TZ when it names a zone (":Area/City" too), else
  // /etc/localtime; UTC when neither exists (as glibc does).
  static Result<Ptr> local(std::string_view zoneinfo_dir = {});
  static Ptr utc();
  static Ptr fixed(std::string name, int32_t offset_s);
  // Parses the bytes of a TZif file (RFC 8536, versions 1-4).
  static Result<Ptr> from_tzif(std::string name, std::string_view bytes);

  const std::string& name() const { return name_; }

  // The period that contains the UTC second `utc_s`.
  ZonePeriod period_at(int64_t utc_s) const;

  // The UTC second of a local wall-clock time (seconds since the epoch "as if UTC"), resolved as
  // java.util.GregorianCalendar resolves it, so that hdfs.round matches Flume: a wall time that
  // occurs twice (clocks going back) is taken with the offset in force after the change (the
  // later instant); one that does not occur (clocks going forward) with the offset before it
  // (02:30 in a 02:00->03:00 gap becomes 03:30).
  int64_t utc_from_local(int64_t local_s) const;

  // True when nothing ever changes (UTC, fixed offsets): lets callers skip caching.
  bool is_fixed() const { return transitions_.empty() && !rule_.has_dst; }

 private:
  TimeZone() = default;

  std::string name_;
  // Offset before the first transition (TZif: time type 0).
  int32_t initial_offset_s_ = 0;
  // Transition times (UTC seconds, ascending) and the offset from each on.
  std::vector<int64_t> transitions_;
  std::vector<int32_t> offsets_;
  // After the last transition: the footer rule, when the file has one (else the last offset).
  bool has_rule_ = false;
  PosixTzRule rule_;
};

}  // namespace sluice::sinks::hdfs
