// The Java-properties subset that Flume configuration files use, parsed into ordered entries.
//
//   # comment            ! comment too (only where a line starts, after optional whitespace)
//   key = value          key: value          key value
//   a1.sources = r1 \   (a backslash ending a line continues the entry on the next line,
//                r2      whose leading blanks are dropped)
//
// Keys and values are trimmed. Escapes: \\ \t \n \r \f \= \: \# \! \<space> and \uXXXX (written
// out as UTF-8; surrogate pairs combine). Unlike java.util.Properties, an unknown escape such as
// "\d" is an error rather than silently dropping the backslash (a Windows path or a regex would
// otherwise change meaning without a word), and a key set twice is an error rather than "the
// last one wins".
//
// Pure functions: any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::config {

struct Property {
  std::string key;
  std::string value;
  int line = 0;  // 1-based; for a continued entry, the line it starts on

  bool operator==(const Property&) const = default;
};

// Entries in file order. On failure the error lists every problem found, one per line:
// "line 12: ..." or, with a `source_name`, "flume.conf: line 12: ...".
Result<std::vector<Property>> parse_properties(std::string_view text, std::string_view source_name = {});

}  // namespace sluice::config
