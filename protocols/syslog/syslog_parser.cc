#include "protocols/syslog/syslog_parser.h"

#include <algorithm>
#include <ctime>

#include "base/civil_time.h"
#include "base/time.h"

namespace sluice::syslog {
namespace {

// The parser walks raw bytes with pointers [p, end); every helper either returns the position
// after what it recognised or nullptr, and never reads at or past `end`.

inline bool is_digit(char c) { return static_cast<unsigned>(c - '0') < 10u; }
inline int digit(char c) { return c - '0'; }

// Two digits at p (caller checked the bounds), or -1.
inline int two_digits(const char* p) { return is_digit(p[0]) && is_digit(p[1]) ? digit(p[0]) * 10 + digit(p[1]) : -1; }

inline std::string_view view(const char* b, const char* e) { return {b, static_cast<size_t>(e - b)}; }

// First space in [p, end), or end. Tokens are short (host, app, ids), so a plain loop beats a
// memchr call here.
inline const char* find_space(const char* p, const char* end) {
  while (p < end && *p != ' ') ++p;
  return p;
}

inline std::string_view nil_to_empty(std::string_view token) { return token == "-" ? std::string_view() : token; }

// A calendar stamp before the UTC offset is applied.
struct WallTime {
  int64_t wall_s = 0;  // seconds since the epoch of the wall clock, as if it were UTC
  int32_t ms = 0;
  bool has_offset = false;
  int32_t offset_s = 0;  // east of UTC
};

// Up to 9 fraction digits after the '.' at p[-1]; the first three make the milliseconds.
inline const char* parse_fraction(const char* p, const char* end, int32_t& ms) {
  const char* start = p;
  int32_t value = 0;
  while (p < end && is_digit(*p) && p - start < 9) {
    if (p - start < 3) value = value * 10 + digit(*p);
    ++p;
  }
  const auto n = p - start;
  if (n == 0) return nullptr;
  for (auto i = n; i < 3; ++i) value *= 10;
  ms = value;
  return p;
}

// RFC 3339 "YYYY-MM-DDThh:mm:ss[.f{1,9}][Z|+hh:mm|-hh:mm]" (RFC 5424 allows 6 fraction digits;
// some relays send 9). Returns the position after it, or nullptr.
const char* parse_rfc3339(const char* p, const char* end, WallTime& out) {
  if (end - p < 19) return nullptr;
  if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':') return nullptr;
  const int y_hi = two_digits(p), y_lo = two_digits(p + 2);
  const int month = two_digits(p + 5), day = two_digits(p + 8);
  const int hour = two_digits(p + 11), minute = two_digits(p + 14), second = two_digits(p + 17);
  if (y_hi < 0 || y_lo < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60)
    return nullptr;
  p += 19;
  out.ms = 0;
  if (p < end && *p == '.') {
    p = parse_fraction(p + 1, end, out.ms);
    if (!p) return nullptr;
  }
  out.has_offset = false;
  out.offset_s = 0;
  if (p < end && (*p == 'Z' || *p == 'z')) {
    out.has_offset = true;
    ++p;
  } else if (p < end && (*p == '+' || *p == '-')) {
    if (end - p < 6 || p[3] != ':') return nullptr;
    const int oh = two_digits(p + 1), om = two_digits(p + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return nullptr;
    out.has_offset = true;
    out.offset_s = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    p += 6;
  }
  const int64_t days = days_from_civil(y_hi * 100 + y_lo, month, day);
  out.wall_s = days * 86400 + hour * 3600 + minute * 60 + second;
  return p;
}

// "Jan".."Dec", any letter case; 0 when not a month.
inline int month_number(const char* p) {
  const uint32_t key = (static_cast<uint32_t>(static_cast<unsigned char>(p[0]) | 0x20) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(p[1]) | 0x20) << 8) |
                       static_cast<uint32_t>(static_cast<unsigned char>(p[2]) | 0x20);
  constexpr auto k = [](const char(&s)[4]) {
    return (static_cast<uint32_t>(s[0]) << 16) | (static_cast<uint32_t>(s[1]) << 8) | static_cast<uint32_t>(s[2]);
  };
  switch (key) {
    case k("jan"): return 1;
    case k("feb"): return 2;
    case k("mar"): return 3;
    case k("apr"): return 4;
    case k("may"): return 5;
    case k("jun"): return 6;
    case k("jul"): return 7;
    case k("aug"): return 8;
    case k("sep"): return 9;
    case k("oct"): return 10;
    case k("nov"): return 11;
    case k("dec"): return 12;
    default: return 0;
  }
}

struct BsdTime {
  int month = 0;
  int day = 0;
  int32_t time_of_day_s = 0;
  int32_t ms = 0;
};

// RFC 3164 "Mmm dd hh:mm:ss": the day is "dd", " d" (the RFC's padding) or "d" (seen from some
// devices, and accepted by Flume); an optional ".fff" follows on Cisco-style senders.
const char* parse_bsd(const char* p, const char* end, BsdTime& out) {
  if (end - p < 14 || p[3] != ' ') return nullptr;
  out.month = month_number(p);
  if (out.month == 0) return nullptr;
  p += 4;
  if (*p == ' ') ++p;  // " d"
  if (!is_digit(*p)) return nullptr;
  int day = digit(*p++);
  if (is_digit(*p)) day = day * 10 + digit(*p++);
  if (day < 1 || day > 31) return nullptr;
  out.day = day;
  if (end - p < 9 || *p != ' ' || p[3] != ':' || p[6] != ':') return nullptr;
  const int hour = two_digits(p + 1), minute = two_digits(p + 4), second = two_digits(p + 7);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return nullptr;
  out.time_of_day_s = hour * 3600 + minute * 60 + second;
  p += 9;
  out.ms = 0;
  if (p < end && *p == '.') {
    p = parse_fraction(p + 1, end, out.ms);
    if (!p) return nullptr;
  }
  return p;
}

// RFC 5424 STRUCTURED-DATA starting at '[': one or more "[...]" elements. A ']' inside a
// quoted PARAM-VALUE does not close the element, and neither does an escaped one (\] \" \\).
// Returns the position after the last element, or nullptr when an element never closes.
const char* scan_structured_data(const char* p, const char* end) {
  while (p < end && *p == '[') {
    ++p;
    bool in_value = false;
    for (;;) {
      if (p >= end) return nullptr;
      const char c = *p++;
      if (in_value) {
        if (c == '\\') {
          if (p >= end) return nullptr;
          ++p;  // the escaped byte, whatever it is
        } else if (c == '"') {
          in_value = false;
        }
      } else if (c == '"') {
        in_value = true;
      } else if (c == ']') {
        break;
      }
    }
  }
  return p;
}

// RFC 3164 TAG at p: "TAG: ", "TAG[PID]: ", "TAG[PID] ", "TAG:" ... Fills app_name, proc_id and
// message; when p does not start with a tag, message is everything from p.
void parse_tag(const char* p, const char* end, SyslogMessage& out) {
  const char* t = p;
  while (t < end && *t != ' ' && *t != '[' && *t != ':') ++t;
  const char* msg = nullptr;
  if (t != p && t < end) {
    if (*t == ':') {
      out.app_name = view(p, t);
      msg = t + 1;
    } else if (*t == '[') {
      const char* pid = t + 1;
      const char* r = pid;
      while (r < end && *r != ']' && *r != ' ') ++r;
      if (r < end && *r == ']' && (r + 1 == end || r[1] == ':' || r[1] == ' ')) {
        out.app_name = view(p, t);
        out.proc_id = view(pid, r);
        msg = r + 1;
        if (msg < end && *msg == ':') ++msg;
      }
    }
  }
  if (!msg) {
    out.message = view(p, end);
    return;
  }
  if (msg < end && *msg == ' ') ++msg;
  out.message = view(msg, end);
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

int32_t gmtoff_at(int64_t utc_s) {
  const time_t t = static_cast<time_t>(utc_s);
  tm fields{};
  localtime_r(&t, &fields);
  return static_cast<int32_t>(fields.tm_gmtoff);
}

}  // namespace

std::string_view syslog_format_name(SyslogFormat format) {
  switch (format) {
    case SyslogFormat::rfc5424: return "rfc5424";
    case SyslogFormat::rfc3164: return "rfc3164";
    case SyslogFormat::invalid: return "invalid";
  }
  return "unknown";
}

SyslogParser::SyslogParser() { set_now(base::realtime_ms()); }

void SyslogParser::set_now(int64_t now_ms) {
  const int64_t now_s = floor_div(now_ms, 1000);
  now_local_s_ = now_s + offset_for_utc(now_s);
  now_local_year_ = static_cast<int>(civil_from_days(floor_div(now_local_s_, 86400)).year);
}

int32_t SyslogParser::offset_for_utc(int64_t utc_s) {
  const int64_t key = floor_div(utc_s, 3600);
  if (utc_cache_.hour_key != key) {
    utc_cache_.hour_key = key;
    utc_cache_.offset_s = gmtoff_at(utc_s);
  }
  return utc_cache_.offset_s;
}

int32_t SyslogParser::offset_for_local(int64_t local_s) {
  // Offsets change on whole local hours in practice, so one lookup serves a (date, hour).
  const int64_t key = floor_div(local_s, 3600);
  OffsetCacheEntry& entry = local_cache_[static_cast<uint64_t>(key) % kOffsetCacheEntries];
  if (entry.hour_key == key) return entry.offset_s;
  // The offset a day earlier is the one before any transition near this time. When it maps the
  // wall clock to an instant that has it, use it: in the repeated hour after clocks go back
  // that picks the first occurrence. Otherwise the offset found there; and in the hour skipped
  // when clocks go forward (no instant has that wall time) the earlier offset again.
  const int32_t before = gmtoff_at(local_s - 86400);
  int32_t offset = before;
  const int32_t at_guess = gmtoff_at(local_s - before);
  if (at_guess != before && gmtoff_at(local_s - at_guess) == at_guess) offset = at_guess;
  entry.hour_key = key;
  entry.offset_s = offset;
  return offset;
}

int64_t SyslogParser::to_epoch_ms(int64_t wall_s, int32_t ms, bool has_offset, int32_t offset_s) {
  const int32_t offset = has_offset ? offset_s : offset_for_local(wall_s);
  return (wall_s - offset) * 1000 + ms;
}

int64_t SyslogParser::infer_year_local_s(int month, int day, int32_t time_of_day_s) const {
  // Flume's rule, on local wall-clock seconds: the stamp in this year, unless that is more
  // than a month ahead (then last year) or more than eleven months behind (then next year).
  // Months are calendar months with the day clamped, as java.util.Calendar adds them.
  auto at = [&](int64_t y, int m, int d) { return days_from_civil(y, m, d) * 86400 + time_of_day_s; };
  auto clamped = [&](int64_t y, int m) { return at(y, m, std::min(day, days_in_month(y, m))); };
  const int64_t y = now_local_year_;
  const int64_t stamp = at(y, month, day);
  if (stamp > now_local_s_) {
    const int64_t minus_one_month = month == 1 ? clamped(y - 1, 12) : clamped(y, month - 1);
    if (minus_one_month > now_local_s_) return at(y - 1, month, day);
  } else if (stamp < now_local_s_) {
    const int64_t plus_eleven_months = month == 1 ? clamped(y, 12) : clamped(y + 1, month - 1);
    if (plus_eleven_months < now_local_s_) return at(y + 1, month, day);
  }
  return stamp;
}

void SyslogParser::parse(std::string_view raw, SyslogMessage& out) {
  out = SyslogMessage{};
  out.raw = raw;
  out.flume_body = raw;
  const char* p = raw.data();
  const char* const end = p + raw.size();

  // PRI: '<' 1-3 digits '>', at most 191 (facility 23, severity 7).
  if (end - p < 3 || *p != '<') return;
  const char* const digits = p + 1;
  const char* q = digits;
  int pri = 0;
  while (q < end && q - digits < 4 && is_digit(*q)) pri = pri * 10 + digit(*q++);
  if (q == digits || q - digits > 3 || q == end || *q != '>' || pri > 191) return;
  out.format = SyslogFormat::rfc3164;  // until a header says more
  out.facility = static_cast<uint8_t>(pri >> 3);
  out.severity = static_cast<uint8_t>(pri & 7);
  out.priority = view(digits, q);
  p = q + 1;
  out.message = view(p, end);

  if (parse_rfc5424(p, end, out)) return;
  parse_rfc3164(p, end, out);
}

bool SyslogParser::parse_rfc5424(const char* p, const char* end, SyslogMessage& out) {
  // VERSION: NONZERO-DIGIT 0*2DIGIT, then SP.
  const char* v = p;
  if (v >= end || !is_digit(*v) || *v == '0') return false;
  while (v < end && v - p < 3 && is_digit(*v)) ++v;
  if (v >= end || *v != ' ') return false;
  const char* s = v + 1;

  WallTime wall;
  const char* ts_end;
  bool has_timestamp = false;
  if (s < end && *s == '-') {
    ts_end = s + 1;
  } else {
    ts_end = parse_rfc3339(s, end, wall);
    if (!ts_end) return false;
    has_timestamp = true;
  }
  if (ts_end >= end || *ts_end != ' ') return false;
  const char* host = ts_end + 1;
  const char* host_end = find_space(host, end);
  if (host_end == host || host_end == end) return false;

  out.format = SyslogFormat::rfc5424;
  out.version = view(p, v);
  if (has_timestamp) {
    out.has_timestamp = true;
    out.timestamp_text = view(s, ts_end);
    out.timestamp_ms = to_epoch_ms(wall.wall_s, wall.ms, wall.has_offset, wall.offset_s);
  }
  out.host = nil_to_empty(view(host, host_end));
  const char* rest = host_end + 1;
  out.flume_body = view(rest, end);
  out.message = out.flume_body;

  // APP-NAME SP PROCID SP MSGID SP: all three or none.
  std::string_view fields[3];
  const char* f = rest;
  for (auto& field : fields) {
    const char* f_end = find_space(f, end);
    if (f_end == f || f_end == end) return true;  // incomplete header: all of it is message
    field = view(f, f_end);
    f = f_end + 1;
  }
  out.app_name = nil_to_empty(fields[0]);
  out.proc_id = nil_to_empty(fields[1]);
  out.msg_id = nil_to_empty(fields[2]);

  // STRUCTURED-DATA: "-" or elements, then end or SP MSG.
  const char* sd_end = nullptr;
  if (f < end && *f == '-') {
    sd_end = f + 1;
  } else if (f < end && *f == '[') {
    sd_end = scan_structured_data(f, end);
    if (sd_end) out.structured_data = view(f, sd_end);
  }
  if (!sd_end || (sd_end < end && *sd_end != ' ')) {
    out.structured_data = {};
    out.message = view(f, end);
    return true;
  }
  const char* msg = sd_end < end ? sd_end + 1 : end;
  if (static_cast<size_t>(end - msg) >= kUtf8Bom.size() && view(msg, msg + kUtf8Bom.size()) == kUtf8Bom)
    msg += kUtf8Bom.size();
  out.message = view(msg, end);
  return true;
}

bool SyslogParser::parse_rfc3164(const char* p, const char* end, SyslogMessage& out) {
  BsdTime bsd;
  WallTime wall;
  const char* ts_end = parse_bsd(p, end, bsd);
  const bool is_bsd = ts_end != nullptr;
  if (!is_bsd) ts_end = parse_rfc3339(p, end, wall);
  if (!ts_end || (ts_end < end && *ts_end != ' ')) return false;

  out.has_timestamp = true;
  out.timestamp_ms = is_bsd ? to_epoch_ms(infer_year_local_s(bsd.month, bsd.day, bsd.time_of_day_s), bsd.ms, false, 0)
                            : to_epoch_ms(wall.wall_s, wall.ms, wall.has_offset, wall.offset_s);
  out.timestamp_text = view(p, ts_end);
  const char* s = ts_end < end ? ts_end + 1 : end;
  out.flume_body = view(s, end);

  // HOST, unless the token after the stamp is the tag of a sender that left the host out.
  const char* token_end = s;
  bool has_bracket = false;
  while (token_end < end && *token_end != ' ') has_bracket |= *token_end++ == '[';
  const bool looks_like_tag = has_bracket || (token_end > s && token_end[-1] == ':');
  if (!looks_like_tag && token_end > s && token_end < end) {
    out.host = view(s, token_end);
    s = token_end + 1;
    out.flume_body = view(s, end);
  }
  parse_tag(s, end, out);
  return true;
}

}  // namespace sluice::syslog
