// Flume's bucket path escapes (BucketPath.escapeString) for hdfs.path and hdfs.filePrefix:
// compiled once into a short list of steps, then expanded per event into a caller's string
// whose capacity is reused, so that a warm expansion never allocates.
//
// The escapes, with the output of Flume's SimpleDateFormat patterns in an English locale:
//   %{name}  the event header `name` ([A-Za-z0-9_.-]+); empty when the event has none
//   %[localhost] %[IP] %[FQDN]  (any case) this host's name, address and canonical name, looked
//            up once when the template is compiled (Java's InetAddress.getLocalHost())
//   %t  the timestamp header as written (the clock's ms with useLocalTimeStamp), never rounded
//   %s  seconds since the epoch (after rounding)         %%  a '%'
//   %a Mon  %A Monday  %b Jan  %B January  %c "Mon Jan 5 09:03:07 2026"  %d 05  %e 5
//   %D 01/05/26  %H 09  %I 09 (01-12)  %j 005  %k 9  %l 9 (1-12)  %m 01  %n 1  %M 03
//   %p AM/PM  %S 07  %y 26  %Y 2026  %z +0530 (RFC 822 offset)
// Times are the event's `timestamp` header (ms since the epoch, as Java's Long.valueOf reads
// it: optional sign, ASCII digits), or the sink's clock with use_local_time_stamp; converted to
// local time of the configured zone (time_zone.h) and, with hdfs.round, rounded down in local
// time to a multiple of round_value seconds/minutes/hours exactly as Flume's
// TimestampRoundDownUtil does (including Java's choice for wall times that DST repeats or skips).
//
// Malformed templates expand as Flume expands them: anything that is not one of the forms above
// stays as written ("100%" , "%{a b}", "%{}", "%[" and "%/" are literal text), and an unknown
// letter or digit escape ("%q", "%E", "%0", "%_") expands to nothing (unknown_escapes() lists
// them so that the configuration check can warn).
//
// Where this differs from Flume, on purpose:
//  - %[name] with a name other than localhost/IP/FQDN is a compile error (Flume throws on every
//    event, which stalls its sink).
//  - %% and unknown escapes do not need a timestamp (Flume parses the timestamp header for any
//    %x, so "100%%" fails for events without one).
//  - A bad or missing timestamp is a per-event error value (PathErrc), not an exception.
//  - Header values are checked before they become part of a path: one that holds '/' or NUL, or
//    is "." or "..", is an error (unsafe_header_value) unless header_values_as_is is set. Headers
//    usually come from senders (a syslog host name), and `/logs/%{host}` must not let a sender
//    pick a directory outside /logs.
//  - An expansion longer than path_bytes_max is an error (too_long).
//  - Timestamps outside the years 1583-9999 are an error (Java would switch to the Julian
//    calendar before 1583; nothing real lies there). Names are English whatever the locale.
//  - An unknown time zone is an error at compile time (Java falls back to GMT silently).
//
// Threads: a BucketPath is used by one thread (the sink's): format() updates its time cache.
// compile() may block (it reads the zone file and, for %[...], resolves this host's names).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ringbuf/record.h"
#include "sinks/hdfs/time_zone.h"

namespace sluice::sinks::hdfs {

// hdfs.roundUnit; none when hdfs.round is false.
enum class RoundUnit : uint8_t { none, second, minute, hour };

// "second", "minute", "hour", any case (Flume's names).
Result<RoundUnit> parse_round_unit(std::string_view name);

// The values of %[localhost], %[IP] and %[FQDN].
struct HostNames {
  std::string hostname;  // gethostname()
  std::string ip;        // the first address the host name resolves to (IPv4 preferred, as Java)
  std::string fqdn;      // the reverse lookup of that address, or the address when there is none
};

// Looks the names up as Java's InetAddress.getLocalHost() does. Blocks on the resolver.
Result<HostNames> resolve_host_names();

struct BucketPathOptions {
  // hdfs.timeZone; empty: the process's local zone (Flume: the JVM's default zone).
  std::string time_zone;
  // A zone loaded already (shared by the path and the prefix templates); wins over time_zone.
  TimeZone::Ptr zone;
  // hdfs.useLocalTimeStamp: time escapes use format()'s now_ms instead of the event's header.
  bool use_local_time_stamp = false;
  // hdfs.round / hdfs.roundUnit / hdfs.roundValue.
  RoundUnit round_unit = RoundUnit::none;
  int round_value = 1;  // 1-60 for seconds and minutes, 1-24 for hours
  // The longest expansion; longer ones are per-event errors. HDFS's default limit is 8000.
  size_t path_bytes_max = 4096;
  // Flume's behaviour: header values go into the path unchecked (see the top of this file).
  bool header_values_as_is = false;
  // The values of %[...]; looked up by compile() when the template uses them and this is empty.
  std::optional<HostNames> host_names;

  Status validate() const;
};

// Why an event's expansion failed. The event cannot be placed; the template is fine.
enum class PathErrc : uint8_t {
  ok = 0,
  no_timestamp,            // time escapes, and the event has no timestamp header
  bad_timestamp,           // the timestamp header is not a decimal integer (int64)
  timestamp_out_of_range,  // before 1583 or after 9999
  timestamp_not_positive,  // rounding needs a time after 1970 (as Flume's)
  unsafe_header_value,     // a %{header} value with '/', NUL, or "." / ".."
  too_long,                // the expansion would exceed path_bytes_max
};

// A sentence for the operator, naming the fix where there is one.
std::string_view path_errc_message(PathErrc code);

class BucketPath {
 public:
  // Compiles `text` (hdfs.path or hdfs.filePrefix). Errors: bad options, an unknown zone, an
  // unknown %[...] name, a host name lookup that failed, literal text over path_bytes_max.
  static Result<BucketPath> compile(std::string_view text, const BucketPathOptions& options);

  // Expands the template for `event` into `out` (cleared first; its capacity is reused).
  // `now_ms` is the sink's clock, used only with use_local_time_stamp: pass the same reading to
  // the path and the prefix of one event, so that they agree at an hour boundary (Flume reads
  // its clock once per template). On an error `out` holds a partial expansion.
  PathErrc format(const ringbuf::EventView& event, int64_t now_ms, std::string& out);

  // True when any escape needs a time (%t %s and the date escapes): such a template needs a
  // timestamp header on every event unless use_local_time_stamp.
  bool uses_time() const { return needs_time_; }
  bool uses_headers() const { return uses_headers_; }
  // True when every event gets the same expansion (no header or time escapes).
  bool is_constant() const { return !needs_time_ && !uses_headers_; }
  // Unknown %x escapes in the template ("%q"), in order, for a configuration warning.
  const std::vector<std::string>& unknown_escapes() const { return unknown_escapes_; }
  const std::string& text() const { return text_; }
  const TimeZone& zone() const { return *zone_; }
  // The zone, to share with another template (hdfs.filePrefix uses hdfs.path's).
  const TimeZone::Ptr& zone_ptr() const { return zone_; }

  // Local time fields of a UTC ms instant in this template's zone (exposed for tests).
  struct LocalTime {
    int32_t year = 1970;
    uint8_t month = 1, day = 1, hour = 0, minute = 0, second = 0;
    uint8_t weekday = 4;  // 0 Sunday
    uint16_t year_day = 1;
    int32_t offset_s = 0;
  };
  LocalTime local_time(int64_t utc_ms);
  // Flume's rounding of a UTC ms instant (needs round_unit != none and utc_ms > 0).
  int64_t round_down(int64_t utc_ms);

 private:
  enum class Op : uint8_t;
  struct Step {
    Op op;
    uint32_t offset;  // literal text or header name, in text_pool_
    uint32_t size;
  };
  // Local time over one local clock hour (cut at offset changes): UTC ms [begin_ms, end_ms).
  struct HourEntry {
    int64_t begin_ms = 0;
    int64_t end_ms = 0;          // empty range: unused
    int64_t local_start_ms = 0;  // the hour's start, local ms "as if UTC"
    int32_t offset_s = 0;
    bool far_from_change = false;  // no offset change within days: rounding needs no zone lookup
    int32_t year = 0;
    uint8_t month = 0, day = 0, hour = 0, weekday = 0;
    uint16_t year_day = 0;
  };
  static constexpr size_t kHourEntries = 4;

  BucketPath() = default;
  // The step for a %x time escape, or Op::literal when x is not one.
  static Op time_escape(char x);
  const HourEntry& hour_entry(int64_t utc_ms);
  void emit_time(Op op, const LocalTime& t, int64_t ts_ms, std::string& out) const;

  std::string text_;
  std::vector<Step> steps_;
  std::string text_pool_;
  std::vector<std::string> unknown_escapes_;
  TimeZone::Ptr zone_;
  bool needs_time_ = false;
  bool needs_fields_ = false;
  bool needs_ts_text_ = false;
  bool uses_headers_ = false;
  bool use_local_time_stamp_ = false;
  bool header_values_as_is_ = false;
  RoundUnit round_unit_ = RoundUnit::none;
  int round_value_ = 1;
  size_t path_bytes_max_ = 4096;
  std::array<HourEntry, kHourEntries> hours_{};
  uint32_t next_victim_ = 0;
  char now_text_[24] = {};
};

}  // namespace sluice::sinks::hdfs
