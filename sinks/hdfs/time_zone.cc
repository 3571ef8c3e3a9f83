#include "sinks/hdfs/time_zone.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "base/civil_time.h"

namespace sluice::sinks::hdfs {
namespace {

using syslog::days_from_civil;
using syslog::floor_div;
using syslog::is_leap_year;

constexpr int64_t kDayS = 86400;
// A TZif file is a few KiB; anything this big is not one.
constexpr size_t kTzifBytesMax = 1 << 20;
constexpr uint32_t kTransitionsMax = 1 << 16;
// UTC offsets are within a day in practice (RFC 8536 allows -89999..93599 s).
constexpr int32_t kOffsetMaxS = 26 * 3600;
// Years beyond which the POSIX rule is not evaluated (the standard offset is used): keeps the
// arithmetic far from overflow for absurd inputs.
constexpr int64_t kRuleYearsMax = 1'000'000;

// java.time.ZoneId.SHORT_IDS, for the ids that have no TZif file of their own ("EST", "MST" and
// "HST" do, as fixed offsets, and Java treats them so too).
constexpr std::array<std::pair<std::string_view, std::string_view>, 25> kJavaShortIds = {{
    {"ACT", "Australia/Darwin"},
    {"AET", "Australia/Sydney"},
    {"AGT", "America/Argentina/Buenos_Aires"},
    {"ART", "Africa/Cairo"},
    {"AST", "America/Anchorage"},
    {"BET", "America/Sao_Paulo"},
    {"BST", "Asia/Dhaka"},
    {"CAT", "Africa/Harare"},
    {"CNT", "America/St_Johns"},
    {"CST", "America/Chicago"},
    {"CTT", "Asia/Shanghai"},
    {"EAT", "Africa/Addis_Ababa"},
    {"ECT", "Europe/Paris"},
    {"IET", "America/Indiana/Indianapolis"},
    {"IST", "Asia/Kolkata"},
    {"JST", "Asia/Tokyo"},
    {"MIT", "Pacific/Apia"},
    {"NET", "Asia/Yerevan"},
    {"NST", "Pacific/Auckland"},
    {"PLT", "Asia/Karachi"},
    {"PNT", "America/Phoenix"},
    {"PRT", "America/Puerto_Rico"},
    {"PST", "America/Los_Angeles"},
    {"SST", "Pacific/Guadalcanal"},
    {"VST", "Asia/Ho_Chi_Minh"},
}};

int64_t weekday(int64_t days) { return (days % 7 + 11) % 7; }  // 1970-01-01 was a Thursday (4)

// --- TZif -----------------------------------------------------------------------------------

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  bool need(size_t n) const { return static_cast<size_t>(end_ - p_) >= n; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(*p_++);
    return v;
  }
  int64_t i64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(*p_++);
    return static_cast<int64_t>(v);
  }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  uint8_t u8() { return static_cast<uint8_t>(*p_++); }
  void skip(size_t n) { p_ += n; }
  const char* position() const { return p_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

 private:
  const char* p_;
  const char* end_;
};

struct TzifCounts {
  uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

bool read_header(ByteReader& r, char& version, TzifCounts& c) {
  if (!r.need(44) || std::memcmp(r.position(), "TZif", 4) != 0) return false;
  r.skip(4);
  version = static_cast<char>(r.u8());
  r.skip(15);
  c = {r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()};
  return true;
}

size_t data_block_bytes(const TzifCounts& c, size_t time_bytes) {
  return size_t{c.timecnt} * time_bytes + c.timecnt + size_t{c.typecnt} * 6 + c.charcnt +
         size_t{c.leapcnt} * (time_bytes + 4) + c.isstdcnt + c.isutcnt;
}

// --- POSIX TZ strings -----------------------------------------------------------------------

class RuleParser {
 public:
  explicit RuleParser(std::string_view s) : s_(s) {}

  bool name() {
    if (at('<')) {
      ++i_;
      const size_t start = i_;
      while (i_ < s_.size() && s_[i_] != '>') {
        const char c = s_[i_];
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-') return false;
        ++i_;
      }
      if (i_ - start < 3 || !at('>')) return false;
      ++i_;
      return true;
    }
    const size_t start = i_;
    while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ - start >= 3;
  }

  // [+-]hh[:mm[:ss]] with hh <= hours_max; returns seconds as written (POSIX sign).
  bool hms(int hours_max, int32_t& out) {
    int sign = 1;
    if (at('+') || at('-')) sign = s_[i_++] == '-' ? -1 : 1;
    int h = 0, m = 0, sec = 0;
    if (!number(0, hours_max, h)) return false;
    if (at(':')) {
      ++i_;
      if (!number(0, 59, m)) return false;
      if (at(':')) {
        ++i_;
        if (!number(0, 59, sec)) return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }

  bool date(PosixTzRule::Date& d) {
    using Kind = PosixTzRule::Date::Kind;
    if (at('M')) {
      ++i_;
      d.kind = Kind::month_week_day;
      if (!number(1, 12, d.month) || !expect('.') || !number(1, 5, d.week) || !expect('.') || !number(0, 6, d.day))
        return false;
    } else if (at('J')) {
      ++i_;
      d.kind = Kind::julian_no_leap;
      if (!number(1, 365, d.day)) return false;
    } else {
      d.kind = Kind::zero_based;
      if (!number(0, 365, d.day)) return false;
    }
    d.time_s = 7200;
    if (at('/')) {
      ++i_;
      if (!hms(167, d.time_s)) return false;
    }
    return true;
  }

  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool expect(char c) {
    if (!at(c)) return false;
    ++i_;
    return true;
  }
  bool done() const { return i_ == s_.size(); }

 private:
  bool number(int min, int max, int& out) {
    const size_t start = i_;
    int v = 0;
    while (i_ < s_.size() && i_ - start < 3 && s_[i_] >= '0' && s_[i_] <= '9') v = v * 10 + (s_[i_++] - '0');
    if (i_ == start || v < min || v > max) return false;
    out = v;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

int64_t rule_date_days(const PosixTzRule::Date& d, int64_t year) {
  using Kind = PosixTzRule::Date::Kind;
  const int64_t jan1 = days_from_civil(year, 1, 1);
  switch (d.kind) {
    case Kind::julian_no_leap: return jan1 + d.day - 1 + (is_leap_year(year) && d.day >= 60 ? 1 : 0);
    case Kind::zero_based: return jan1 + d.day;
    case Kind::month_week_day: {
      const int64_t first = days_from_civil(year, d.month, 1);
      int64_t day = first + (d.day - weekday(first) + 7) % 7 + 7 * (d.week - 1);
      const int64_t next_month = first + syslog::days_in_month(year, d.month);
      while (day >= next_month) day -= 7;
      return day;
    }
  }
  return jan1;
}

std::string read_whole_file(const std::string& path, std::string& error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = std::strerror(errno);
    return {};
  }
  std::string bytes;
  bytes.resize(kTzifBytesMax + 1);
  f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(f.gcount()));
  if (bytes.size() > kTzifBytesMax) error = "file too large to be a time zone";
  return bytes;
}

std::string default_zoneinfo_dir(std::string_view given) {
  if (!given.empty()) return std::string(given);
  const char* env = std::getenv("TZDIR");
  return env && *env ? std::string(env) : std::string("/usr/share/zoneinfo");
}

// A zone name that can only name a file under the zoneinfo directory.
bool plausible_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view part = name.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+' && c != '.') return false;
    start = slash + 1;
  }
  return true;
}

// Java's custom time zone ids: "GMT" sign hours [[:]minutes], hours 0-23, minutes 0-59.
bool parse_java_custom_id(std::string_view name, int32_t& offset_s) {
  if (name.size() < 5 || name.substr(0, 3) != "GMT" || (name[3] != '+' && name[3] != '-')) return false;
  const int sign = name[3] == '-' ? -1 : 1;
  std::string_view rest = name.substr(4);
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  int hours = 0, minutes = 0;
  const size_t colon = rest.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view h = rest.substr(0, colon), m = rest.substr(colon + 1);
    if (!digits(h) || h.size() > 2 || !digits(m) || m.size() != 2) return false;
    hours = std::stoi(std::string(h));
    minutes = std::stoi(std::string(m));
  } else {
    if (!digits(rest) || rest.size() > 4) return false;
    const int v = std::stoi(std::string(rest));
    if (rest.size() <= 2) {
      hours = v;
    } else {
      hours = v / 100;
      minutes = v % 100;
    }
  }
  if (hours > 23 || minutes > 59) return false;
  offset_s = sign * (hours * 3600 + minutes * 60);
  return true;
}

}  // namespace

bool PosixTzRule::parse(std::string_view text, PosixTzRule& out) {
  out = PosixTzRule{};
  RuleParser p(text);
  int32_t west = 0;
  if (!p.name() || !p.hms(24, west)) return false;
  out.std_offset_s = -west;
  if (p.done()) return true;
  if (!p.name()) return false;
  out.has_dst = true;
  out.dst_offset_s = out.std_offset_s + 3600;
  if (!p.at(',') && !p.done()) {
    if (!p.hms(24, west)) return false;
    out.dst_offset_s = -west;
  }
  if (p.done()) {
    // No rule: glibc's default, the United States' since 2007.
    out.dst_start = {Date::Kind::month_week_day, 0, 2, 3, 7200};
    out.dst_end = {Date::Kind::month_week_day, 0, 1, 11, 7200};
    return true;
  }
  return p.expect(',') && p.date(out.dst_start) && p.expect(',') && p.date(out.dst_end) && p.done();
}

int64_t PosixTzRule::dst_start_utc(int64_t year) const {
  // The time of day is local time in force before the change: standard time.
  return rule_date_days(dst_start, year) * kDayS + dst_start.time_s - std_offset_s;
}

int64_t PosixTzRule::dst_end_utc(int64_t year) const {
  return rule_date_days(dst_end, year) * kDayS + dst_end.time_s - dst_offset_s;
}

TimeZone::Ptr TimeZone::utc() {
  static const Ptr zone = fixed("UTC", 0);
  return zone;
}

TimeZone::Ptr TimeZone::fixed(std::string name, int32_t offset_s) {
  auto zone = std::shared_ptr<TimeZone>(new TimeZone());
  zone->name_ = std::move(name);
  zone->initial_offset_s_ = offset_s;
  zone->rule_.std_offset_s = offset_s;
  return zone;
}

Result<TimeZone::Ptr> TimeZone::from_tzif(std::string name, std::string_view bytes) {
  auto bad = [&](std::string_view why) {
    return make_error(fmt::format("time zone {}: not a valid TZif file ({})", name, why));
  };
  ByteReader r(bytes);
  char version = 0;
  TzifCounts c{};
  if (!read_header(r, version, c)) return bad("no TZif header");
  size_t time_bytes = 4;
  if (version >= '2') {
    // Skip the 32-bit block: the 64-bit one that follows holds the whole table.
    const size_t v1 = data_block_bytes(c, 4);
    if (!r.need(v1)) return bad("truncated");
    r.skip(v1);
    if (!read_header(r, version, c)) return bad("no second header");
    time_bytes = 8;
  }
  if (c.typecnt == 0 || c.typecnt > 256 || c.timecnt > kTransitionsMax || c.charcnt > 65536 ||
      (c.isstdcnt != 0 && c.isstdcnt != c.typecnt) || (c.isutcnt != 0 && c.isutcnt != c.typecnt))
    return bad("impossible counts");
  if (c.leapcnt != 0)
    return make_error(
        fmt::format("time zone {} counts leap seconds (a \"right/\" zone); Flume's time has none: "
                    "use the zone without the \"right/\" prefix",
                    name));
  if (!r.need(data_block_bytes(c, time_bytes))) return bad("truncated");

  auto zone = std::shared_ptr<TimeZone>(new TimeZone());
  zone->name_ = std::move(name);
  std::vector<int64_t> times(c.timecnt);
  for (auto& t : times) t = time_bytes == 8 ? r.i64() : r.i32();
  std::vector<uint8_t> type_of(c.timecnt);
  for (auto& t : type_of) {
    t = r.u8();
    if (t >= c.typecnt) return bad("transition to an unknown type");
  }
  std::vector<int32_t> type_offsets(c.typecnt);
  for (auto& off : type_offsets) {
    off = r.i32();
    r.skip(2);  // isdst, abbreviation index: %z is numeric, so names are not needed
    if (off <= -kOffsetMaxS || off >= kOffsetMaxS) return bad("UTC offset out of range");
  }
  r.skip(c.charcnt + size_t{c.isstdcnt} + c.isutcnt);
  for (size_t i = 1; i < times.size(); ++i)
    if (times[i] <= times[i - 1]) return bad("transitions out of order");

  zone->initial_offset_s_ = type_offsets[0];
  zone->transitions_.reserve(times.size());
  zone->offsets_.reserve(times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    const int32_t off = type_offsets[type_of[i]];
    // Drop transitions that change only the name or the DST flag: periods are offsets.
    const int32_t before = zone->offsets_.empty() ? zone->initial_offset_s_ : zone->offsets_.back();
    if (off == before) continue;
    zone->transitions_.push_back(times[i]);
    zone->offsets_.push_back(off);
  }
  zone->rule_.std_offset_s = zone->offsets_.empty() ? zone->initial_offset_s_ : zone->offsets_.back();

  if (version >= '2' && r.left() >= 2 && *r.position() == '\n') {
    r.skip(1);
    const std::string_view rest(r.position(), r.left());
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return bad("unterminated footer");
    const std::string_view footer = rest.substr(0, nl);
    if (!footer.empty()) {
      PosixTzRule rule;
      if (!PosixTzRule::parse(footer, rule)) return bad(fmt::format("footer rule \"{}\" not understood", footer));
      if (std::abs(rule.std_offset_s) >= kOffsetMaxS || std::abs(rule.dst_offset_s) >= kOffsetMaxS)
        return bad("footer offset out of range");
      zone->rule_ = rule;
      zone->has_rule_ = true;
    }
  }
  return Ptr(std::move(zone));
}

Result<TimeZone::Ptr> TimeZone::load(std::string_view name, std::string_view zoneinfo_dir) {
  int32_t custom_offset = 0;
  if (parse_java_custom_id(name, custom_offset)) return fixed(std::string(name), custom_offset);
  if (!plausible_zone_name(name))
    return make_error(
        fmt::format("unknown time zone \"{}\" (expected an IANA name such as Europe/Berlin, or "
                    "GMT+hh:mm)",
                    name));
  const std::string dir = default_zoneinfo_dir(zoneinfo_dir);
  std::string error;
  std::string bytes = read_whole_file(dir + "/" + std::string(name), error);
  if (!error.empty()) {
    for (const auto& [id, target] : kJavaShortIds)
      if (id == name) return load(target, zoneinfo_dir);
    return make_error(fmt::format("unknown time zone \"{}\": cannot read {}/{}: {}", name, dir, name, error));
  }
  return from_tzif(std::string(name), bytes);
}

Result<TimeZone::Ptr> TimeZone::local(std::string_view zoneinfo_dir) {
  const char* tz = std::getenv("TZ");
  if (tz && *tz) {
    std::string_view name(tz);
    if (name.front() == ':') name.remove_prefix(1);
    if (!name.empty() && name.front() == '/') {
      std::string error;
      std::string bytes = read_whole_file(std::string(name), error);
      if (!error.empty()) return make_error(fmt::format("local time zone: cannot read TZ={}: {}", tz, error));
      return from_tzif(std::string(name), bytes);
    }
    auto zone = load(name, zoneinfo_dir);
    if (zone) return zone;
    // TZ may hold a bare POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3").
    PosixTzRule rule;
    if (PosixTzRule::parse(name, rule)) {
      auto z = std::shared_ptr<TimeZone>(new TimeZone());
      z->name_ = std::string(name);
      z->initial_offset_s_ = rule.std_offset_s;
      z->rule_ = rule;
      z->has_rule_ = true;
      return Ptr(std::move(z));
    }
    return zone;
  }
  std::string error;
  std::string bytes = read_whole_file("/etc/localtime", error);
  if (!error.empty()) return utc();  // glibc's choice too
  return from_tzif("localtime", bytes);
}

ZonePeriod TimeZone::period_at(int64_t utc_s) const {
  const size_t n = transitions_.size();
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
  const size_t after = static_cast<size_t>(it - transitions_.begin());  // transitions <= utc_s
  if (after == 0 && n > 0) return {ZonePeriod::kSinceAlways, transitions_[0], initial_offset_s_};
  if (after < n) return {transitions_[after - 1], transitions_[after], offsets_[after - 1]};

  const int64_t last = n == 0 ? ZonePeriod::kSinceAlways : transitions_[n - 1];
  if (!has_rule_ || !rule_.has_dst) return {last, ZonePeriod::kForever, rule_.std_offset_s};

  const int64_t year = syslog::civil_from_days(floor_div(utc_s, kDayS)).year;
  if (year < -kRuleYearsMax || year > kRuleYearsMax) return {last, ZonePeriod::kForever, rule_.std_offset_s};
  // The changes of the years around utc_s, in time order (a stable sort keeps a year's end
  // before the next year's start when they coincide: DST all year).
  struct Change {
    int64_t at;
    int32_t offset;
  };
  std::array<Change, 8> changes{};
  size_t count = 0;
  for (int64_t y = year - 1; y <= year + 2; ++y) {
    changes[count++] = {rule_.dst_start_utc(y), rule_.dst_offset_s};
    changes[count++] = {rule_.dst_end_utc(y), rule_.std_offset_s};
  }
  // Insertion sort: stable, and unlike std::stable_sort it never allocates.
  for (size_t i = 1; i < count; ++i)
    for (size_t j = i; j > 0 && changes[j].at < changes[j - 1].at; --j) std::swap(changes[j], changes[j - 1]);
  ZonePeriod p;
  p.offset_s = changes[0].offset == rule_.dst_offset_s ? rule_.std_offset_s : rule_.dst_offset_s;
  p.begin_s = last;
  p.end_s = ZonePeriod::kForever;
  for (size_t i = 0; i < count; ++i) {
    if (changes[i].at <= utc_s) {
      p.offset_s = changes[i].offset;
      p.begin_s = std::max(changes[i].at, last);
    } else {
      p.end_s = changes[i].at;
      break;
    }
  }
  return p;
}

int64_t TimeZone::utc_from_local(int64_t local_s) const {
  // Java's rule: the offset of the last period whose start, read on its own wall clock, is not
  // after local_s. Offsets are within a day, so the periods that matter start within two days.
  constexpr int64_t kReachS = 2 * kDayS;
  const int64_t from = local_s > ZonePeriod::kSinceAlways + kReachS ? local_s - kReachS : ZonePeriod::kSinceAlways;
  ZonePeriod p = period_at(from);
  int32_t offset = p.offset_s;
  for (int i = 0; i < 64; ++i) {
    if (p.begin_s == ZonePeriod::kSinceAlways || p.begin_s + p.offset_s <= local_s) offset = p.offset_s;
    if (p.end_s == ZonePeriod::kForever || p.end_s > local_s + kReachS) break;
    p = period_at(p.end_s);
  }
  return local_s - offset;
}

}  // namespace sluice::sinks::hdfs
