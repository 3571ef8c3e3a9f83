// Flume's regular expressions (java.util.regex syntax, as written in Flume configs) on RE2:
// the common subset compiles to the same matches; what RE2 cannot do in linear time
// (backreferences, lookahead and lookbehind, possessive quantifiers, atomic groups) is refused
// at start-up with a message naming the construct and its offset, instead of a different
// match at run time. Java's named groups (?<name>...) become RE2's (?P<name>...).
//
// Replacement strings use Java's Matcher syntax ($1, ${name}, \$ for a dollar); to_rewrite()
// turns one into RE2's rewrite string (\1, \\ for a backslash).
//
// Threads: compile() at start-up on the main thread; a compiled JavaRegex is immutable and may
// be used from any thread (RE2 is thread-safe for matching).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "base/result.h"

namespace sluice::interceptors {

class JavaRegex {
 public:
  // Errors name the pattern and what in it RE2 does not do.
  static Result<JavaRegex> compile(std::string_view java_pattern);

  const re2::RE2& re2() const { return *re2_; }
  // The pattern in RE2's syntax (for logs and tests).
  const std::string& translated() const { return translated_; }
  // Java's Matcher.replaceAll replacement `java_replacement` as an RE2 rewrite string for this
  // pattern (group numbers and names checked against it).
  Result<std::string> to_rewrite(std::string_view java_replacement) const;

 private:
  std::string translated_;
  std::shared_ptr<const re2::RE2> re2_;
};

}  // namespace sluice::interceptors
