// Joda-Time DateTimeFormat patterns, as Flume's RegexExtractorInterceptorMillisSerializer takes
// them ("yyyy-MM-dd HH:mm"), for reading a time out of text. The letters below are understood;
// any other letter is refused when the pattern is compiled, naming it.
//
//   y, Y  year (yy: two digits, within 50 years of now, as Joda reads them)
//   M     month: M or MM a number, MMM a short English name (Jan), MMMM a full one (January)
//   d     day of the month          D  day of the year
//   H     hour 0-23                 h  hour 1-12, with a (AM or PM)
//   m     minute                    s  second              S  fraction of a second (SSS: ms)
//   E     day of the week's name (read and ignored, as it is implied by the date)
//   Z     UTC offset: Z +0800, ZZ +08:00 (also Z for UTC)
//   'x'   literal text ('' is a quote); any other character is itself
//
// Fields the pattern lacks take their values from 1970-01-01T00:00:00.000. Without a Z field
// the text is read in the local time zone, as Flume reads it in the JVM's default zone.
//
// Threads: compile() anywhere; a compiled pattern is immutable and parse_ms() is safe from any
// thread (it reads the time zone through localtime_r).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::interceptors {

class JodaPattern {
 public:
  static Result<JodaPattern> compile(std::string_view pattern);

  // The instant `text` names, in ms since the epoch; nullopt when the whole of `text` does not
  // fit the pattern or names no valid time.
  std::optional<int64_t> parse_ms(std::string_view text) const;

 private:
  struct Field {
    char letter = 0;  // 0: literal text
    int count = 0;    // how many times the letter is repeated
    std::string literal;
    bool fixed_width = false;  // followed at once by another number: read exactly `count` digits
  };
  std::vector<Field> fields_;
};

}  // namespace sluice::interceptors
