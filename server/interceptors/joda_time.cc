#include "server/interceptors/joda_time.h"

#include <time.h>

#include <array>
#include <cctype>

#include <fmt/format.h>

#include "base/civil_time.h"

namespace sluice::interceptors {
namespace {

constexpr std::string_view kSupported = "yYMdDHhmsSEaZ";
constexpr int64_t kYearMax = 200'000;

bool is_numeric(char letter) {
  return letter != 0 && std::string_view("yYdDHhmsS").find(letter) != std::string_view::npos;
}

bool is_numeric_field(char letter, int count) { return is_numeric(letter) || (letter == 'M' && count <= 2); }

constexpr std::array<std::string_view, 12> kMonths = {"january",   "february", "march",    "april",
                                                      "may",       "june",     "july",     "august",
                                                      "september", "october",  "november", "december"};
constexpr std::array<std::string_view, 7> kDays = {"monday", "tuesday",  "wednesday", "thursday",
                                                   "friday", "saturday", "sunday"};

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// Reads a name (full, or its first three letters) from `names`; returns its index or -1.
int read_name(std::string_view& text, const auto& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (starts_with_ignoring_case(text, names[i])) {
      text.remove_prefix(names[i].size());
      return static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (starts_with_ignoring_case(text, names[i].substr(0, 3))) {
      text.remove_prefix(3);
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Reads 1 to `max_digits` digits (exactly `max_digits` when `exact`); -1 when there are none.
int64_t read_number(std::string_view& text, int max_digits, bool exact, int* digits_read = nullptr) {
  int64_t value = 0;
  int n = 0;
  while (n < max_digits && n < static_cast<int>(text.size()) && std::isdigit(static_cast<unsigned char>(text[n]))) {
    value = value * 10 + (text[n] - '0');
    ++n;
  }
  if (n == 0 || (exact && n != max_digits)) return -1;
  text.remove_prefix(static_cast<size_t>(n));
  if (digits_read != nullptr) *digits_read = n;
  return value;
}

// +hhmm, +hh:mm, or Z; in seconds east of UTC.
std::optional<int64_t> read_offset(std::string_view& text, bool with_colon) {
  if (!text.empty() && (text[0] == 'Z' || text[0] == 'z')) {
    text.remove_prefix(1);
    return 0;
  }
  if (text.empty() || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const int64_t sign = text[0] == '-' ? -1 : 1;
  text.remove_prefix(1);
  const int64_t hours = read_number(text, 2, true);
  if (hours < 0) return std::nullopt;
  if (with_colon) {
    if (text.empty() || text[0] != ':') return std::nullopt;
    text.remove_prefix(1);
  }
  const int64_t minutes = read_number(text, 2, true);
  if (minutes < 0 || hours > 23 || minutes > 59) return std::nullopt;
  return sign * (hours * 3600 + minutes * 60);
}

int64_t current_year() {
  const time_t now = time(nullptr);
  tm parts{};
  gmtime_r(&now, &parts);
  return parts.tm_year + 1900;
}

// Seconds since the epoch of a local civil time, through the zone's offset at about that time.
int64_t local_to_utc(int64_t local_seconds) {
  time_t guess = static_cast<time_t>(local_seconds);
  tm parts{};
  localtime_r(&guess, &parts);
  int64_t offset = parts.tm_gmtoff;
  guess = static_cast<time_t>(local_seconds - offset);
  localtime_r(&guess, &parts);
  if (parts.tm_gmtoff != offset) offset = parts.tm_gmtoff;
  return local_seconds - offset;
}

}  // namespace

Result<JodaPattern> JodaPattern::compile(std::string_view p) {
  JodaPattern out;
  auto add_literal = [&](std::string_view text) {
    if (!out.fields_.empty() && out.fields_.back().letter == 0) out.fields_.back().literal += text;
    else out.fields_.push_back(Field{.literal = std::string(text)});
  };
  for (size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (c == '\'') {
      // 'text' is literal; '' is a quote, inside quoted text or out of it.
      size_t j = i + 1;
      if (j < p.size() && p[j] == '\'') {
        add_literal("'");
        i = j + 1;
        continue;
      }
      std::string text;
      while (true) {
        if (j >= p.size()) return make_error(fmt::format("pattern '{}': unclosed quote", p));
        if (p[j] == '\'') {
          if (j + 1 < p.size() && p[j + 1] == '\'') {
            text += '\'';
            j += 2;
            continue;
          }
          break;
        }
        text += p[j++];
      }
      add_literal(text);
      i = j + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      add_literal(p.substr(i, 1));
      ++i;
      continue;
    }
    if (kSupported.find(c) == std::string_view::npos)
      return make_error(
          fmt::format("pattern '{}': the letter '{}' is not one sluice reads (it reads {})", p, c, kSupported));
    size_t end = i;
    while (end < p.size() && p[end] == c) ++end;
    const int count = static_cast<int>(end - i);
    if (c == 'Z' && count > 2)
      return make_error(fmt::format("pattern '{}': zone ids (ZZZ) are not read; use Z or ZZ for an offset", p));
    out.fields_.push_back(Field{.letter = c, .count = count});
    i = end;
  }
  for (size_t i = 0; i + 1 < out.fields_.size(); ++i) {
    Field& f = out.fields_[i];
    const Field& next = out.fields_[i + 1];
    f.fixed_width = is_numeric_field(f.letter, f.count) && is_numeric_field(next.letter, next.count);
  }
  return out;
}

std::optional<int64_t> JodaPattern::parse_ms(std::string_view text) const {
  int64_t year = 1970, month = 1, day = 1, day_of_year = 0, hour = 0, minute = 0, second = 0, millis = 0;
  int64_t half_day_hour = -1;  // h
  int pm = -1;                 // a
  std::optional<int64_t> offset;
  for (const Field& f : fields_) {
    if (f.letter == 0) {
      if (!text.starts_with(f.literal)) return std::nullopt;
      text.remove_prefix(f.literal.size());
      continue;
    }
    const int width = f.fixed_width ? f.count : 0;
    auto number = [&](int max_digits) { return read_number(text, width > 0 ? width : max_digits, width > 0); };
    switch (f.letter) {
      case 'y':
      case 'Y': {
        int digits = 0;
        if (f.count == 2) {
          year = read_number(text, 2, true, &digits);
          if (year < 0) return std::nullopt;
          // Joda: the two-digit year falls within 50 years either side of now.
          const int64_t now = current_year();
          year += (now - 50) / 100 * 100;
          if (year < now - 50) year += 100;
        } else {
          year = read_number(text, width > 0 ? width : 9, width > 0, &digits);
          if (year < 0) return std::nullopt;
        }
        break;
      }
      case 'M':
        if (f.count <= 2) month = number(2);
        else month = read_name(text, kMonths) + 1;
        if (month < 1 || month > 12) return std::nullopt;
        break;
      case 'd':
        day = number(2);
        if (day < 1) return std::nullopt;
        break;
      case 'D':
        day_of_year = number(3);
        if (day_of_year < 1 || day_of_year > 366) return std::nullopt;
        break;
      case 'H':
        hour = number(2);
        if (hour < 0 || hour > 23) return std::nullopt;
        break;
      case 'h':
        half_day_hour = number(2);
        if (half_day_hour < 1 || half_day_hour > 12) return std::nullopt;
        break;
      case 'm':
        minute = number(2);
        if (minute < 0 || minute > 59) return std::nullopt;
        break;
      case 's':
        second = number(2);
        if (second < 0 || second > 59) return std::nullopt;
        break;
      case 'S': {
        int digits = 0;
        const int64_t fraction = read_number(text, width > 0 ? width : 9, width > 0, &digits);
        if (fraction < 0) return std::nullopt;
        millis = fraction;
        for (int d = digits; d < 3; ++d) millis *= 10;
        for (int d = digits; d > 3; --d) millis /= 10;
        break;
      }
      case 'E':
        if (read_name(text, kDays) < 0) return std::nullopt;
        break;
      case 'a':
        if (starts_with_ignoring_case(text, "am")) pm = 0;
        else if (starts_with_ignoring_case(text, "pm")) pm = 1;
        else return std::nullopt;
        text.remove_prefix(2);
        break;
      case 'Z':
        offset = read_offset(text, f.count == 2);
        if (!offset) return std::nullopt;
        break;
      default: return std::nullopt;
    }
  }
  if (!text.empty()) return std::nullopt;  // Joda reads the whole value
  // Far enough for any log, and milliseconds since the epoch stay far inside int64.
  if (year > kYearMax) return std::nullopt;
  if (half_day_hour >= 0) hour = half_day_hour % 12 + (pm == 1 ? 12 : 0);
  else if (pm == 1 && hour < 12) hour += 12;
  int64_t days = 0;
  if (day_of_year > 0) {
    days = syslog::days_from_civil(year, 1, 1) + day_of_year - 1;
  } else {
    if (day > syslog::days_in_month(year, static_cast<int>(month))) return std::nullopt;
    days = syslog::days_from_civil(year, static_cast<int>(month), static_cast<int>(day));
  }
  const int64_t civil_seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  const int64_t utc_seconds = offset ? civil_seconds - *offset : local_to_utc(civil_seconds);
  return utc_seconds * 1000 + millis;
}

}  // namespace sluice::interceptors
