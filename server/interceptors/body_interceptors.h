// Flume's interceptors that read the body with a regular expression: search_replace (rewrites
// it), regex_filter (keeps or drops the event) and regex_extractor (copies matched groups into
// headers, through a serializer each). Patterns are Java's, run on RE2 (java_regex.h); bodies
// are read as UTF-8, as Flume's tests and nearly all configs use (bytes that are not UTF-8 are
// kept as they are, where Flume's decoding would replace them with U+FFFD).
//
// Threads: options and construction on the main thread; intercept() on the owning shard only
// (each instance keeps its own scratch space).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/logger.h"
#include "base/result.h"
#include "server/interceptors/interceptor.h"
#include "server/interceptors/java_regex.h"
#include "server/interceptors/joda_time.h"

namespace sluice::interceptors {

// A Java replacement string ($1, ${name}, \$) cut into literal text and group references once,
// so that each match is rewritten without parsing it again.
class Replacement {
 public:
  static Result<Replacement> compile(const JavaRegex& regex, std::string_view java_replacement);
  // Appends the replacement for one match (`groups[0]` the whole match) to `out`.
  void append(const re2::StringPiece* groups, std::string& out) const;
  int groups_needed() const { return groups_needed_; }

 private:
  struct Part {
    std::string literal;
    int group = -1;  // >= 0: the group's text instead of `literal`
  };
  std::vector<Part> parts_;
  int groups_needed_ = 0;
};

// Replaces every match of a pattern in the body, as Java's Matcher.replaceAll does.
class SearchReplaceInterceptor final : public Interceptor {
 public:
  SearchReplaceInterceptor(JavaRegex search, Replacement replacement)
      : search_(std::move(search)), replacement_(std::move(replacement)) {}
  bool intercept(EventEdit& event) override;

  // replaceAll over `text` into `out` (cleared first); false when nothing matched.
  bool replace_all(std::string_view text, std::string& out) const;

 private:
  JavaRegex search_;
  Replacement replacement_;
  std::string scratch_;  // keeps its capacity between events
};

// Keeps the events whose body contains a match (excludeEvents: drops them instead).
class RegexFilterInterceptor final : public Interceptor {
 public:
  RegexFilterInterceptor(JavaRegex regex, bool exclude) : regex_(std::move(regex)), exclude_(exclude) {}
  bool intercept(EventEdit& event) override;

 private:
  JavaRegex regex_;
  bool exclude_;
};

// How a regex_extractor group becomes a header value.
struct ExtractorSerializer {
  std::string header;                 // serializers.<s>.name
  std::optional<JodaPattern> millis;  // the millis serializer's pattern; none: the value as it is
};

// Sets a header from each capturing group of the first match in the body, in group order, one
// serializer per group (extra groups or serializers are ignored, as in Flume).
class RegexExtractorInterceptor final : public Interceptor {
 public:
  static constexpr int kGroupsMax = 16;

  // `name` names the interceptor in the log lines about values the millis serializer cannot read.
  RegexExtractorInterceptor(std::string name, JavaRegex regex, std::vector<ExtractorSerializer> serializers);
  bool intercept(EventEdit& event) override;

 private:
  std::string name_;
  JavaRegex regex_;
  std::vector<ExtractorSerializer> serializers_;
  std::vector<HeaderKey> keys_;
  int groups_ = 0;  // capturing groups read: min(the pattern's, serializers, kGroupsMax)
  base::RateLimitedLog unreadable_log_;
};

}  // namespace sluice::interceptors
