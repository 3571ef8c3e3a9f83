// Flume's interceptors that read the body with a regular expression (search_replace,
// regex_filter, regex_extractor and its serializers): their options and their builders.
#include <fmt/format.h>

#include "server/app/components/component_type.h"
#include "server/app/components/interceptor_options.h"
#include "server/interceptors/body_interceptors.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentProblem;
using config::ComponentSpec;
using config::OptionType;
namespace ic = interceptors;

constexpr std::string_view kPassThrough = "org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer";
constexpr std::string_view kMillis = "org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer";

// Options' checks ran first, so a regex option that is set compiles.
ic::JavaRegex compiled(const config::ComponentConfig& c, std::string_view option) {
  auto regex = ic::JavaRegex::compile(c.get_string(option));
  SLUICE_ASSERT(regex.ok(), "a regex option that its check let through does not compile");
  return std::move(regex).value();
}

// --- search_replace ---

std::string check_charset(std::string_view value) {
  for (std::string_view name : {"UTF-8", "UTF8", "US-ASCII", "ASCII"})
    if (base::equals_ignoring_case(value, name)) return {};
  return "UTF-8 or US-ASCII (sluice's search_replace reads bodies as UTF-8)";
}

std::vector<ComponentProblem> check_search_replace(const config::ComponentConfig& c) {
  auto replacement = ic::Replacement::compile(compiled(c, "searchPattern"), c.get_string("replaceString"));
  if (replacement.ok()) return {};
  return {{"replaceString", replacement.error().message}};
}

ComponentSpec search_replace_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "search_replace",
      .type_aliases = {"org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder"},
      .description =
          "Replaces every match of a regular expression in the body, as Java's replaceAll does "
          "(`$1` and `${name}` in the replacement name groups, `\\$` is a dollar).",
      .options = {{.name = "searchPattern",
                   .description = "The regular expression to look for.",
                   .required = true,
                   .check = check_java_regex},
                  {.name = "replaceString", .description = "What each match becomes; empty removes the match."},
                  {.name = "charset",
                   .default_value = "UTF-8",
                   .description = "The body's character set: UTF-8 (or its subset US-ASCII); Flume's other "
                                  "Java charsets are refused.",
                   .check = check_charset}},
      .check = check_search_replace,
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_search_replace(const config::ComponentConfig& c, uint32_t) {
  ic::JavaRegex search = compiled(c, "searchPattern");
  auto replacement = ic::Replacement::compile(search, c.get_string("replaceString"));
  if (!replacement.ok())
    return make_error(fmt::format("{}: {}", c.locate("replaceString"), replacement.error().message));
  return std::unique_ptr<ic::Interceptor>(
      std::make_unique<ic::SearchReplaceInterceptor>(std::move(search), std::move(replacement).value()));
}

// --- regex_filter ---

ComponentSpec regex_filter_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "regex_filter",
      .type_aliases = {"org.apache.flume.interceptor.RegexFilteringInterceptor$Builder"},
      .description =
          "Keeps the events whose body contains a match of a regular expression (anywhere: Java's "
          "find()) and drops the others, or the other way round with excludeEvents; dropped events "
          "are counted in sluice_source_filtered_events_total.",
      .options = {{.name = "regex",
                   .default_value = ".*",
                   .description = "The regular expression looked for in the body.",
                   .check = check_java_regex},
                  {.name = "excludeEvents",
                   .type = OptionType::boolean,
                   .default_value = "false",
                   .description = "true: drop the events that match and keep the rest."}},
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_regex_filter(const config::ComponentConfig& c, uint32_t) {
  return std::unique_ptr<ic::Interceptor>(
      std::make_unique<ic::RegexFilterInterceptor>(compiled(c, "regex"), c.get_bool("excludeEvents")));
}

// --- regex_extractor ---

// The serializers listed in `serializers` with their serializers.<id>.* keys; each problem
// goes to `problems` (when given) and leaves the serializer out.
std::vector<ic::ExtractorSerializer> parse_serializers(const config::ComponentConfig& c,
                                                       std::vector<ComponentProblem>* problems) {
  auto problem = [&](std::string key, std::string message) {
    if (problems) problems->push_back({std::move(key), std::move(message)});
  };
  const std::vector<std::string>& ids = c.get_list("serializers");
  const config::KeyValues& keys = c.get_prefixed("serializers.");
  for (const auto& [key, value] : keys) {
    const size_t dot = key.find('.');
    const std::string id = key.substr(0, dot);
    const std::string option = dot == std::string::npos ? std::string() : key.substr(dot + 1);
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
      problem("serializers." + key, fmt::format("serializer '{}' is not listed in serializers", id));
    } else if (option != "name" && option != "type" && option != "pattern") {
      problem("serializers." + key,
              "unknown key for a serializer (it has name, type and, for the millis "
              "serializer, pattern)");
    }
  }
  auto value_of = [&](const std::string& id, std::string_view option) -> const std::string* {
    const std::string key = id + "." + std::string(option);
    for (const auto& [k, v] : keys)
      if (k == key) return &v;
    return nullptr;
  };
  std::vector<ic::ExtractorSerializer> out;
  for (const std::string& id : ids) {
    const std::string prefix = "serializers." + id + ".";
    const std::string* name = value_of(id, "name");
    if (name == nullptr || name->empty()) {
      problem(name == nullptr ? "serializers" : prefix + "name",
              fmt::format("serializer '{}' needs {}name: the header it sets", id, prefix));
      continue;
    }
    const std::string* type = value_of(id, "type");
    const std::string* pattern = value_of(id, "pattern");
    ic::ExtractorSerializer s{.header = *name};
    const bool millis = type != nullptr && base::equals_ignoring_case(*type, kMillis);
    if (type != nullptr && !millis && !base::equals_ignoring_case(*type, "DEFAULT") &&
        !base::equals_ignoring_case(*type, kPassThrough)) {
      problem(prefix + "type", fmt::format("unknown serializer type '{}' (sluice has DEFAULT, {} and {})", *type,
                                           kPassThrough, kMillis));
      continue;
    }
    if (millis) {
      if (pattern == nullptr || pattern->empty()) {
        problem(prefix + "type",
                fmt::format("the millis serializer needs {}pattern (such as yyyy-MM-dd HH:mm)", prefix));
        continue;
      }
      auto joda = ic::JodaPattern::compile(*pattern);
      if (!joda.ok()) {
        problem(prefix + "pattern", joda.error().message);
        continue;
      }
      s.millis = std::move(joda).value();
    } else if (pattern != nullptr) {
      problem(prefix + "pattern", "only the millis serializer reads a pattern");
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<ComponentProblem> check_regex_extractor(const config::ComponentConfig& c) {
  std::vector<ComponentProblem> problems;
  parse_serializers(c, &problems);
  return problems;
}

ComponentSpec regex_extractor_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "regex_extractor",
      .type_aliases = {"org.apache.flume.interceptor.RegexExtractorInterceptor$Builder"},
      .description =
          "Sets headers from the capturing groups of the first match in the body: group 1 through the first "
          "serializer, group 2 through the second, and so on (extra groups or serializers are ignored; no "
          "match leaves the event as it is). Each serializers.<id>.name is the header; .type DEFAULT (any "
          "case, where Flume takes only upper case) passes the text through, the millis serializer's class "
          "name reads it as a time with .pattern (Joda-Time letters y M d H h a m s S E D Z, in the local "
          "time zone unless the pattern has Z) into milliseconds since the epoch; a value that does not fit "
          "leaves that header unset (logged), where Flume fails the whole batch.",
      .options = {{.name = "regex",
                   .description = "The regular expression whose groups are extracted.",
                   .required = true,
                   .check = check_java_regex},
                  {.name = "serializers",
                   .type = OptionType::list,
                   .description = "Serializer ids, one per capturing group, in group order.",
                   .required = true},
                  {.name = "serializers.",
                   .type = OptionType::prefixed,
                   .description = "serializers.<id>.name, .type and .pattern for each id."}},
      .check = check_regex_extractor,
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_regex_extractor(const config::ComponentConfig& c, uint32_t) {
  std::vector<ComponentProblem> problems;
  std::vector<ic::ExtractorSerializer> serializers = parse_serializers(c, &problems);
  if (!problems.empty()) return make_error(fmt::format("{}: {}", c.locate_key(problems[0].key), problems[0].message));
  return std::unique_ptr<ic::Interceptor>(
      std::make_unique<ic::RegexExtractorInterceptor>(c.name(), compiled(c, "regex"), std::move(serializers)));
}

}  // namespace

ComponentType search_replace_interceptor_type() { return {search_replace_spec(), &build_search_replace}; }
ComponentType regex_filter_interceptor_type() { return {regex_filter_spec(), &build_regex_filter}; }
ComponentType regex_extractor_interceptor_type() { return {regex_extractor_spec(), &build_regex_extractor}; }

}  // namespace sluice::app
