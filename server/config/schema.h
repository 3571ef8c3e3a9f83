// Option tables: what each component type accepts, as one table per type in the Fluent Bit
// style ({name, type, default, description, aliases}). The tables are the schema, the validation
// and the documentation (reference.h renders them), so they cannot drift apart.
//
// The tables live with each component type's builder (server/app/components/) and are gathered
// into a Catalog (catalog.h). They are built once and never change afterwards: any thread may
// read them. The parsers below are pure functions: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/ascii.h"
#include "base/result.h"

namespace sluice::config {

// An interceptor belongs to a source: a1.sources.r1.interceptors.i1.type. A sink group's type is
// its processor.type: a1.sinkgroups.g1.processor.type.
enum class ComponentKind : uint8_t { source, channel, sink, interceptor, sink_group };
inline constexpr size_t kComponentKindCount = 5;

// "source", "channel", "sink", "interceptor", "sink group".
std::string_view kind_name(ComponentKind kind);
// "sources", "channels", "sinks", "interceptors", "sinkgroups": the key segment, as in
// a1.sources.r1.type.
std::string_view kind_plural(ComponentKind kind);

enum class OptionType : uint8_t {
  string,
  integer,      // decimal, optional sign, within [min, max]
  bytes,        // 65536, 64k, 64K, 64KiB, 64KB, 16m, 1g, 1t: 1024-based, case-insensitive
  duration,     // 30 (in the option's unit), 30s, 500ms, 5m, 1h; kept in milliseconds
  boolean,      // true or false, case-insensitive
  enumeration,  // one of `values`, case-insensitive, kept in its canonical spelling
  list,         // names separated by blanks
  // A family of keys under a prefix (the option's name ends with '.'), passed through as
  // key/value pairs: Flume's kafka.producer.* settings, say. Its default is empty.
  prefixed,
};

// "string", "int", "bytes", "duration", "bool", "enum", "list".
std::string_view option_type_name(OptionType type);

enum class DurationUnit : uint8_t { milliseconds, seconds, minutes };

// "milliseconds", "seconds", "minutes".
std::string_view duration_unit_name(DurationUnit unit);

// A check beyond the type (e.g. keepFields' vocabulary). Returns what was expected, or an empty
// string when `value` is fine.
using OptionCheck = std::string (*)(std::string_view value);

struct OptionSpec {
  std::string_view name{};
  OptionType type = OptionType::string;
  // As a user would write it, parsed the same way (an assertion checks every table at first
  // use). Ignored when `required`.
  std::string_view default_value{};
  std::string_view description{};
  // Other keys that set the same option (e.g. Flume spellings).
  std::vector<std::string_view> aliases{};
  bool required = false;
  // Range for integer (the value), bytes (bytes) and duration (milliseconds), inclusive.
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  // duration: the unit of a bare number (Flume's rollInterval is in seconds).
  DurationUnit unit = DurationUnit::seconds;
  // enumeration: the accepted values in canonical spelling.
  std::vector<std::string_view> values{};
  // enumeration: values Flume accepts that sluice does not have yet ("not supported yet").
  std::vector<std::string_view> values_not_supported{};
  OptionCheck check = nullptr;
};

class ComponentConfig;  // agent_config.h

// A problem a component's check finds across its keys, about the key `key` (the part after the
// component's prefix: "serializers.s1.name"), which names the line in the error.
struct ComponentProblem {
  std::string key;
  std::string message;
};
// Checks what one option's table cannot express (keys under a prefix that must come in sets,
// say), after every option parsed. Returns the problems found (none: fine).
using ComponentCheck = std::vector<ComponentProblem> (*)(const ComponentConfig& c);

struct ComponentSpec {
  ComponentKind kind = ComponentKind::source;
  // Canonical type name, e.g. "syslogtcp".
  std::string_view type{};
  // Other accepted type names (Flume's class names); all matched ignoring case.
  std::vector<std::string_view> type_aliases{};
  std::string_view description{};
  std::vector<OptionSpec> options{};
  // Flume keys of this type that sluice does not have yet: rejected as "not supported yet"
  // rather than as unknown keys.
  std::vector<std::string_view> flume_options_not_supported{};
  ComponentCheck check = nullptr;
};

// A parsed option value. Which alternative is held follows the option's type: string and
// enumeration hold std::string; integer, bytes and duration (ms) hold int64_t; boolean holds
// bool; list holds the names.
using KeyValues = std::vector<std::pair<std::string, std::string>>;
using OptionValue = std::variant<std::string, int64_t, bool, std::vector<std::string>, KeyValues>;

// --- Options of every component of a kind, and Flume's names (catalog.cc) ---

// Keys every component of `kind` has besides `type` (sources: channels, selector.type; sinks:
// channel; channels: none).
const std::vector<OptionSpec>& common_options(ComponentKind kind);

// True for Flume's built-in type names of `kind` that sluice does not have yet ("avro",
// "hdfs", "file"...), so that the error can say "not supported yet" instead of "unknown".
bool is_flume_type_not_supported(ComponentKind kind, std::string_view type_name);

// The common or type-specific option that `key` names (by name or alias), or nullptr.
// `spec` may be null (the type is not known): then only the common options are searched.
const OptionSpec* find_option(ComponentKind kind, const ComponentSpec* spec, std::string_view key);

// --- Parsers; errors say what was expected, without location ---

Result<int64_t> parse_integer(std::string_view text);
Result<int64_t> parse_bytes(std::string_view text);
Result<int64_t> parse_duration_ms(std::string_view text, DurationUnit bare_unit);
Result<bool> parse_bool(std::string_view text);
std::vector<std::string> split_list(std::string_view text);

// Parses `text` as a value of `option`, range, enumeration and check included.
Result<OptionValue> parse_option_value(const OptionSpec& option, std::string_view text);

// The option's range for a table: "1 to 65535", "at least 1", "64 to 16m", or "" when only the
// type's own limits apply. Meaningful for integer, bytes and duration.
std::string describe_range(const OptionSpec& option);
// How a type (with its range) reads in an error message: "an integer from 1 to 65535".
std::string describe_expected(const OptionSpec& option);
// 65536 -> "64k", 16777216 -> "16m", 65507 -> "65507".
std::string format_bytes(int64_t bytes);
// 30000 -> "30s", 300000 -> "5m", 1500 -> "1500ms".
std::string format_duration_ms(int64_t ms);

// Levenshtein distance with transpositions, ignoring ASCII case: for "did you mean" hints.
size_t edit_distance(std::string_view a, std::string_view b);
using base::equals_ignoring_case;  // base/ascii.h

}  // namespace sluice::config
