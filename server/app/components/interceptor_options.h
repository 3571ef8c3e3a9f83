// What the interceptor types' option tables share (header_interceptors.cc,
// body_interceptors.cc). Pure functions: any thread.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "server/interceptors/java_regex.h"

namespace sluice::app {

// An OptionCheck: a regular expression that RE2 runs as Java would (server/interceptors/java_regex.h).
inline std::string check_java_regex(std::string_view value) {
  auto compiled = interceptors::JavaRegex::compile(value);
  return compiled.ok() ? std::string()
                       : fmt::format("a regular expression sluice can run ({})", compiled.error().message);
}

}  // namespace sluice::app
