#include "sinks/hdfs/bucket_path.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/civil_time.h"

namespace sluice::sinks::hdfs {

enum class BucketPath::Op : uint8_t {
  literal,
  header,
  timestamp_text,  // %t
  unix_seconds,    // %s
  weekday_short,   // %a
  weekday_full,    // %A
  month_short,     // %b
  month_full,      // %B
  date_time,       // %c
  day_2,           // %d
  day,             // %e
  date_short,      // %D
  hour24_2,        // %H
  hour12_2,        // %I
  year_day_3,      // %j
  hour24,          // %k
  hour12,          // %l
  month_2,         // %m
  month,           // %n
  minute_2,        // %M
  am_pm,           // %p
  second_2,        // %S
  year_2,          // %y
  year_4,          // %Y
  zone_offset,     // %z
};

namespace {

using syslog::civil_from_days;
using syslog::days_from_civil;
using syslog::floor_div;

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 86'400'000;
// Java's calendar is Julian before 1582-10-15: stay in the years where both agree.
constexpr int64_t kTimestampMinMs = days_from_civil(1583, 1, 1) * kDayMs;
constexpr int64_t kTimestampMaxMs = days_from_civil(10000, 1, 1) * kDayMs - 1;
// Offset changes nearer than this to an hour make rounding ask the zone (see round_down).
constexpr int64_t kFarFromChangeS = 3 * 86400;

constexpr std::string_view kWeekdays[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};
constexpr std::string_view kMonths[12] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};

bool is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Java's Long.valueOf for ASCII input: an optional sign, then at least one digit, in range.
bool parse_java_long(std::string_view s, int64_t& out) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (limit - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

int64_t seconds_to_ms_saturated(int64_t s) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
  if (s > kMax) return std::numeric_limits<int64_t>::max();
  if (s < -kMax) return std::numeric_limits<int64_t>::min();
  return s * 1000;
}

// The text of one escape, built on the stack and appended to the path at once.
class EscapeText {
 public:
  void two(int v) {
    p_[0] = static_cast<char>('0' + v / 10);
    p_[1] = static_cast<char>('0' + v % 10);
    p_ += 2;
  }
  void padded(int64_t v, int width) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    for (auto n = end - digits; n < width; ++n) *p_++ = '0';
    std::memcpy(p_, digits, static_cast<size_t>(end - digits));
    p_ += end - digits;
  }
  void text(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void ch(char c) { *p_++ = c; }
  std::string_view view() const { return {buf_, static_cast<size_t>(p_ - buf_)}; }

 private:
  char buf_[64];  // the longest escape, %c, is 24 bytes; %s at most 20
  char* p_ = buf_;
};

bool unsafe_header_value(std::string_view v) {
  for (char c : v)
    if (c == '/' || c == '\0') return true;
  return v == "." || v == "..";
}

}  // namespace

Result<RoundUnit> parse_round_unit(std::string_view name) {
  const std::string n = lower(name);
  if (n == "second") return RoundUnit::second;
  if (n == "minute") return RoundUnit::minute;
  if (n == "hour") return RoundUnit::hour;
  return make_error(fmt::format("unknown round unit \"{}\" (expected second, minute or hour)", name));
}

Result<HostNames> resolve_host_names() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0)
    return make_error(fmt::format("cannot read this host's name: {}", std::strerror(errno)));
  HostNames names;
  names.hostname = host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host, nullptr, &hints, &list);
  if (rc != 0)
    return make_error(fmt::format("cannot resolve this host's name {}: {}", names.hostname, gai_strerror(rc)));
  const addrinfo* chosen = list;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      chosen = a;
      break;
    }
  }
  char address[INET6_ADDRSTRLEN] = {};
  const void* raw = chosen->ai_family == AF_INET
                        ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(chosen->ai_addr)->sin_addr)
                        : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(chosen->ai_addr)->sin6_addr);
  inet_ntop(chosen->ai_family, raw, address, sizeof address);
  names.ip = address;
  char fqdn[NI_MAXHOST] = {};
  if (getnameinfo(chosen->ai_addr, chosen->ai_addrlen, fqdn, sizeof fqdn, nullptr, 0, NI_NAMEREQD) == 0) {
    names.fqdn = fqdn;
  } else {
    names.fqdn = names.ip;  // Java's getCanonicalHostName() gives the address when there is no name
  }
  freeaddrinfo(list);
  return names;
}

Status BucketPathOptions::validate() const {
  switch (round_unit) {
    case RoundUnit::none: break;
    case RoundUnit::second:
    case RoundUnit::minute:
      if (round_value < 1 || round_value > 60)
        return make_error(fmt::format("roundValue {} out of range: must be 1-60 for seconds and minutes", round_value));
      break;
    case RoundUnit::hour:
      if (round_value < 1 || round_value > 24)
        return make_error(fmt::format("roundValue {} out of range: must be 1-24 for hours", round_value));
      break;
  }
  if (path_bytes_max == 0 || path_bytes_max > (size_t{1} << 20))
    return make_error("path_bytes_max must be 1 byte to 1 MiB");
  return {};
}

std::string_view path_errc_message(PathErrc code) {
  switch (code) {
    case PathErrc::ok: return "ok";
    case PathErrc::no_timestamp:
      return "the event has no timestamp header, which the path's time escapes need (add a timestamp interceptor, "
             "or set hdfs.useLocalTimeStamp = true)";
    case PathErrc::bad_timestamp:
      return "the event's timestamp header is not a number of milliseconds since 1970, which the path's time "
             "escapes need";
    case PathErrc::timestamp_out_of_range: return "the event's timestamp header is outside the years 1583-9999";
    case PathErrc::timestamp_not_positive:
      return "the event's timestamp header is before 1970, which hdfs.round cannot round (as in Flume)";
    case PathErrc::unsafe_header_value:
      return "a header used in the path has a value with '/', a NUL byte, or is \".\" or \"..\"; it could place the "
             "file outside the configured directory (set the sink's header_values_as_is to allow it)";
    case PathErrc::too_long: return "the expanded path is longer than the sink allows";
  }
  return "unknown path error";
}

// The step for a %x time escape, or literal when x is not one.
BucketPath::Op BucketPath::time_escape(char x) {
  switch (x) {
    case 't': return Op::timestamp_text;
    case 's': return Op::unix_seconds;
    case 'a': return Op::weekday_short;
    case 'A': return Op::weekday_full;
    case 'b': return Op::month_short;
    case 'B': return Op::month_full;
    case 'c': return Op::date_time;
    case 'd': return Op::day_2;
    case 'e': return Op::day;
    case 'D': return Op::date_short;
    case 'H': return Op::hour24_2;
    case 'I': return Op::hour12_2;
    case 'j': return Op::year_day_3;
    case 'k': return Op::hour24;
    case 'l': return Op::hour12;
    case 'm': return Op::month_2;
    case 'n': return Op::month;
    case 'M': return Op::minute_2;
    case 'p': return Op::am_pm;
    case 'S': return Op::second_2;
    case 'y': return Op::year_2;
    case 'Y': return Op::year_4;
    case 'z': return Op::zone_offset;
    default: return Op::literal;
  }
}

Result<BucketPath> BucketPath::compile(std::string_view text, const BucketPathOptions& options) {
  Status valid = options.validate();
  if (!valid) return make_error(valid.message());

  BucketPath path;
  path.text_ = std::string(text);
  path.use_local_time_stamp_ = options.use_local_time_stamp;
  path.header_values_as_is_ = options.header_values_as_is;
  path.round_unit_ = options.round_unit;
  path.round_value_ = options.round_value;
  path.path_bytes_max_ = options.path_bytes_max;
  std::optional<HostNames> hosts = options.host_names;

  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    path.steps_.push_back(
        {Op::literal, static_cast<uint32_t>(path.text_pool_.size()), static_cast<uint32_t>(literal.size())});
    path.text_pool_ += literal;
    literal.clear();
  };
  auto add = [&](Op op) {
    flush_literal();
    path.steps_.push_back({op, 0, 0});
    path.needs_time_ = true;
    if (op == Op::timestamp_text) path.needs_ts_text_ = true;
    if (op != Op::timestamp_text && op != Op::unix_seconds) path.needs_fields_ = true;
  };

  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c != '%' || i + 1 == text.size()) {
      literal += c;
      ++i;
      continue;
    }
    const char d = text[i + 1];
    if (is_word(d) || d == '%') {
      i += 2;
      if (d == '%') {
        literal += '%';
      } else if (const Op op = time_escape(d); op != Op::literal) {
        add(op);
      } else {
        path.unknown_escapes_.push_back(std::string{'%', d});
      }
      continue;
    }
    if (d == '{' || d == '[') {
      const char close = d == '{' ? '}' : ']';
      size_t j = i + 2;
      while (j < text.size() && (is_word(text[j]) || (d == '{' && (text[j] == '.' || text[j] == '-')))) ++j;
      if (j > i + 2 && j < text.size() && text[j] == close) {
        const std::string_view name = text.substr(i + 2, j - i - 2);
        i = j + 1;
        if (d == '{') {
          flush_literal();
          path.steps_.push_back(
              {Op::header, static_cast<uint32_t>(path.text_pool_.size()), static_cast<uint32_t>(name.size())});
          path.text_pool_ += name;
          path.uses_headers_ = true;
          continue;
        }
        const std::string key = lower(name);
        if (key != "localhost" && key != "ip" && key != "fqdn")
          return make_error(
              fmt::format("unknown escape %[{}] in \"{}\" (known: %[localhost], %[IP], %[FQDN])", name, text));
        if (!hosts) {
          auto resolved = resolve_host_names();
          if (!resolved)
            return make_error(fmt::format("{} (for %[{}] in \"{}\")", resolved.error().message, name, text));
          hosts = std::move(resolved).value();
        }
        literal += key == "localhost" ? hosts->hostname : key == "ip" ? hosts->ip : hosts->fqdn;
        continue;
      }
    }
    literal += '%';  // not an escape: Flume leaves it as written
    ++i;
  }
  flush_literal();
  size_t literal_bytes = 0;
  for (const Step& s : path.steps_)
    if (s.op == Op::literal) literal_bytes += s.size;
  if (literal_bytes > options.path_bytes_max)
    return make_error(fmt::format("path template \"{}\" expands to more than {} bytes", text, options.path_bytes_max));

  if (options.zone) {
    path.zone_ = options.zone;
  } else if (options.time_zone.empty()) {
    auto zone = TimeZone::local();
    if (!zone) return make_error(zone.error().message);
    path.zone_ = std::move(zone).value();
  } else {
    auto zone = TimeZone::load(options.time_zone);
    if (!zone) return make_error(zone.error().message);
    path.zone_ = std::move(zone).value();
  }
  return path;
}

const BucketPath::HourEntry& BucketPath::hour_entry(int64_t utc_ms) {
  for (const HourEntry& e : hours_)
    if (utc_ms >= e.begin_ms && utc_ms < e.end_ms) return e;

  HourEntry& e = hours_[next_victim_++ % kHourEntries];
  const ZonePeriod p = zone_->period_at(floor_div(utc_ms, 1000));
  const int64_t offset_ms = int64_t{p.offset_s} * 1000;
  e.offset_s = p.offset_s;
  e.local_start_ms = floor_div(utc_ms + offset_ms, kHourMs) * kHourMs;
  e.begin_ms = std::max(e.local_start_ms - offset_ms, seconds_to_ms_saturated(p.begin_s));
  e.end_ms = std::min(e.local_start_ms - offset_ms + kHourMs, seconds_to_ms_saturated(p.end_s));
  const int64_t hour_begin_s = floor_div(e.local_start_ms - offset_ms, 1000);
  e.far_from_change = (p.begin_s == ZonePeriod::kSinceAlways || p.begin_s <= hour_begin_s - kFarFromChangeS) &&
                      (p.end_s == ZonePeriod::kForever || p.end_s >= hour_begin_s + 3600 + kFarFromChangeS);
  const int64_t days = floor_div(e.local_start_ms, kDayMs);
  const auto date = civil_from_days(days);
  e.year = static_cast<int32_t>(date.year);
  e.month = static_cast<uint8_t>(date.month);
  e.day = static_cast<uint8_t>(date.day);
  e.hour = static_cast<uint8_t>((e.local_start_ms - days * kDayMs) / kHourMs);
  e.weekday = static_cast<uint8_t>((days % 7 + 11) % 7);
  e.year_day = static_cast<uint16_t>(days - days_from_civil(date.year, 1, 1) + 1);
  SLUICE_ASSERT(utc_ms >= e.begin_ms && utc_ms < e.end_ms, "hour cache entry does not cover its instant");
  return e;
}

BucketPath::LocalTime BucketPath::local_time(int64_t utc_ms) {
  const HourEntry& e = hour_entry(utc_ms);
  const int64_t within_ms = utc_ms + int64_t{e.offset_s} * 1000 - e.local_start_ms;  // [0, 1 h)
  LocalTime t;
  t.year = e.year;
  t.month = e.month;
  t.day = e.day;
  t.hour = e.hour;
  t.minute = static_cast<uint8_t>(within_ms / 60'000);
  t.second = static_cast<uint8_t>(within_ms / 1000 % 60);
  t.weekday = e.weekday;
  t.year_day = e.year_day;
  t.offset_s = e.offset_s;
  return t;
}

int64_t BucketPath::round_down(int64_t utc_ms) {
  SLUICE_ASSERT(round_unit_ != RoundUnit::none, "round_down() without a round unit");
  const HourEntry& e = hour_entry(utc_ms);
  const int64_t within_ms = utc_ms + int64_t{e.offset_s} * 1000 - e.local_start_ms;
  const int64_t minute = within_ms / 60'000;
  const int64_t second = within_ms / 1000 % 60;
  const int64_t v = round_value_;
  int64_t wall_ms = e.local_start_ms;  // Calendar.set(field, value - value % v), lower fields 0
  switch (round_unit_) {
    case RoundUnit::second: wall_ms += minute * 60'000 + (second - second % v) * 1000; break;
    case RoundUnit::minute: wall_ms += (minute - minute % v) * 60'000; break;
    case RoundUnit::hour: wall_ms += (e.hour % v) * -kHourMs; break;
    case RoundUnit::none: break;
  }
  // Java resolves the rounded wall time afresh; away from offset changes that is this hour's
  // offset, near one it may not be (a repeated hour resolves to its later occurrence).
  if (e.far_from_change) return wall_ms - int64_t{e.offset_s} * 1000;
  return zone_->utc_from_local(wall_ms / 1000) * 1000;
}

void BucketPath::emit_time(Op op, const LocalTime& t, int64_t ts_ms, std::string& out) const {
  const int hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
  EscapeText e;
  switch (op) {
    case Op::unix_seconds: e.padded(ts_ms / 1000, 1); break;  // Java's / truncates
    case Op::weekday_short: e.text(kWeekdays[t.weekday].substr(0, 3)); break;
    case Op::weekday_full: e.text(kWeekdays[t.weekday]); break;
    case Op::month_short: e.text(kMonths[t.month - 1].substr(0, 3)); break;
    case Op::month_full: e.text(kMonths[t.month - 1]); break;
    case Op::date_time:  // EEE MMM d HH:mm:ss yyyy
      e.text(kWeekdays[t.weekday].substr(0, 3));
      e.ch(' ');
      e.text(kMonths[t.month - 1].substr(0, 3));
      e.ch(' ');
      e.padded(t.day, 1);
      e.ch(' ');
      e.two(t.hour);
      e.ch(':');
      e.two(t.minute);
      e.ch(':');
      e.two(t.second);
      e.ch(' ');
      e.padded(t.year, 4);
      break;
    case Op::day_2: e.two(t.day); break;
    case Op::day: e.padded(t.day, 1); break;
    case Op::date_short:  // MM/dd/yy
      e.two(t.month);
      e.ch('/');
      e.two(t.day);
      e.ch('/');
      e.two(t.year % 100);
      break;
    case Op::hour24_2: e.two(t.hour); break;
    case Op::hour12_2: e.two(hour12); break;
    case Op::year_day_3: e.padded(t.year_day, 3); break;
    case Op::hour24: e.padded(t.hour, 1); break;
    case Op::hour12: e.padded(hour12, 1); break;
    case Op::month_2: e.two(t.month); break;
    case Op::month: e.padded(t.month, 1); break;
    case Op::minute_2: e.two(t.minute); break;
    case Op::am_pm: e.text(t.hour < 12 ? "AM" : "PM"); break;
    case Op::second_2: e.two(t.second); break;
    case Op::year_2: e.two(t.year % 100); break;
    case Op::year_4: e.padded(t.year, 4); break;
    case Op::zone_offset: {  // Java's RFC 822 zone: whole minutes, truncated
      int32_t minutes = t.offset_s / 60;
      e.ch(minutes < 0 ? '-' : '+');
      minutes = minutes < 0 ? -minutes : minutes;
      e.two(minutes / 60);
      e.two(minutes % 60);
      break;
    }
    case Op::literal:
    case Op::header:
    case Op::timestamp_text: SLUICE_UNREACHABLE("not a formatted time escape");
  }
  out += e.view();
}

PathErrc BucketPath::format(const ringbuf::EventView& event, int64_t now_ms, std::string& out) {
  out.clear();
  int64_t ts_ms = 0;
  std::string_view ts_text;
  LocalTime fields;
  if (needs_time_) {
    if (use_local_time_stamp_) {
      ts_ms = now_ms;
      auto [end, ec] = std::to_chars(now_text_, now_text_ + sizeof now_text_, now_ms);
      ts_text = std::string_view(now_text_, static_cast<size_t>(end - now_text_));
    } else if (event.has_timestamp_header()) {
      // A folded header's text is the decimal form of the record's timestamp: no parse needed.
      ts_ms = event.timestamp_ms();
      if (needs_ts_text_) event.find_header("timestamp", ts_text);
    } else {
      if (!event.find_header("timestamp", ts_text)) return PathErrc::no_timestamp;
      if (!parse_java_long(ts_text, ts_ms)) return PathErrc::bad_timestamp;
    }
    if (ts_ms < kTimestampMinMs || ts_ms > kTimestampMaxMs) return PathErrc::timestamp_out_of_range;
    if (round_unit_ != RoundUnit::none) {
      if (ts_ms <= 0) return PathErrc::timestamp_not_positive;
      ts_ms = round_down(ts_ms);
    }
    if (needs_fields_) fields = local_time(ts_ms);
  }

  for (const Step& step : steps_) {
    switch (step.op) {
      case Op::literal: out.append(text_pool_, step.offset, step.size); break;
      case Op::header: {
        std::string_view value;
        if (!event.find_header(std::string_view(text_pool_).substr(step.offset, step.size), value)) break;
        if (!header_values_as_is_ && unsafe_header_value(value)) return PathErrc::unsafe_header_value;
        if (out.size() + value.size() > path_bytes_max_) return PathErrc::too_long;
        out += value;
        break;
      }
      case Op::timestamp_text: out += ts_text; break;
      default: emit_time(step.op, fields, ts_ms, out); break;
    }
  }
  if (out.size() > path_bytes_max_) return PathErrc::too_long;
  return PathErrc::ok;
}

}  // namespace sluice::sinks::hdfs
