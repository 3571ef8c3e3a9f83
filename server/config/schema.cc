#include "server/config/schema.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "base/assert.h"

namespace sluice::config {
namespace {

constexpr int64_t kKiB = int64_t{1} << 10;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kTiB = int64_t{1} << 40;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = base::to_lower_ascii(c);
  return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\n' || c == '\r'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Leading decimal digits of `s` as a non-negative value; nullopt-like false on none or overflow.
bool take_digits(std::string_view& s, int64_t& out) {
  size_t i = 0;
  int64_t v = 0;
  while (i < s.size() && is_digit(s[i])) {
    int d = s[i] - '0';
    if (v > (std::numeric_limits<int64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
    ++i;
  }
  if (i == 0) return false;
  out = v;
  s.remove_prefix(i);
  return true;
}

bool multiply(int64_t v, int64_t factor, int64_t& out) {
  if (v > std::numeric_limits<int64_t>::max() / factor) return false;
  out = v * factor;
  return true;
}

int64_t unit_ms(DurationUnit unit) {
  switch (unit) {
    case DurationUnit::milliseconds: return 1;
    case DurationUnit::seconds: return 1000;
    case DurationUnit::minutes: return 60'000;
  }
  SLUICE_UNREACHABLE("bad DurationUnit");
}

constexpr int64_t kNoMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();

std::string format_limit(const OptionSpec& option, int64_t v) {
  switch (option.type) {
    case OptionType::bytes: return format_bytes(v);
    case OptionType::duration: return format_duration_ms(v);
    default: return fmt::format("{}", v);
  }
}

std::string join(const std::vector<std::string_view>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace

std::string_view kind_name(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::source: return "source";
    case ComponentKind::channel: return "channel";
    case ComponentKind::sink: return "sink";
    case ComponentKind::interceptor: return "interceptor";
    case ComponentKind::sink_group: return "sink group";
  }
  SLUICE_UNREACHABLE("bad ComponentKind");
}

std::string_view kind_plural(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::source: return "sources";
    case ComponentKind::channel: return "channels";
    case ComponentKind::sink: return "sinks";
    case ComponentKind::interceptor: return "interceptors";
    case ComponentKind::sink_group: return "sinkgroups";
  }
  SLUICE_UNREACHABLE("bad ComponentKind");
}

std::string_view duration_unit_name(DurationUnit unit) {
  switch (unit) {
    case DurationUnit::milliseconds: return "milliseconds";
    case DurationUnit::seconds: return "seconds";
    case DurationUnit::minutes: return "minutes";
  }
  SLUICE_UNREACHABLE("bad DurationUnit");
}

std::string_view option_type_name(OptionType type) {
  switch (type) {
    case OptionType::string: return "string";
    case OptionType::integer: return "int";
    case OptionType::bytes: return "bytes";
    case OptionType::duration: return "duration";
    case OptionType::boolean: return "bool";
    case OptionType::enumeration: return "enum";
    case OptionType::list: return "list";
    case OptionType::prefixed: return "map";
  }
  SLUICE_UNREACHABLE("bad OptionType");
}

size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  // Optimal string alignment over three rows; keys are short, so the quadratic cost is nothing.
  std::string a = lowercase(a_in);
  std::string b = lowercase(b_in);
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

Result<int64_t> parse_integer(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int64_t v = 0;
  if (!take_digits(s, v) || !s.empty()) {
    return make_error(fmt::format("expected an integer, got '{}'", text));
  }
  return negative ? -v : v;
}

Result<int64_t> parse_bytes(std::string_view text) {
  std::string_view s = text;
  int64_t v = 0;
  auto fail = [&] {
    return make_error(fmt::format("expected a size in bytes such as 65536, 64k or 16m, got '{}'", text));
  };
  if (!take_digits(s, v)) return fail();
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  std::string suffix = lowercase(s);
  int64_t factor = 0;
  if (suffix.empty() || suffix == "b") factor = 1;
  else if (suffix == "k" || suffix == "kb" || suffix == "kib") factor = kKiB;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib") factor = kMiB;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib") factor = kGiB;
  else if (suffix == "t" || suffix == "tb" || suffix == "tib") factor = kTiB;
  else return fail();
  int64_t out = 0;
  if (!multiply(v, factor, out)) return fail();
  return out;
}

Result<int64_t> parse_duration_ms(std::string_view text, DurationUnit bare_unit) {
  std::string_view s = text;
  int64_t v = 0;
  auto fail = [&] {
    return make_error(fmt::format("expected a duration such as 30 ({}), 30s, 500ms or 5m, got '{}'",
                                  duration_unit_name(bare_unit), text));
  };
  if (!take_digits(s, v)) return fail();
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  std::string suffix = lowercase(s);
  int64_t factor = 0;
  if (suffix.empty()) factor = unit_ms(bare_unit);
  else if (suffix == "ms") factor = 1;
  else if (suffix == "s") factor = 1000;
  else if (suffix == "m") factor = 60'000;
  else if (suffix == "h") factor = 3'600'000;
  else return fail();
  int64_t out = 0;
  if (!multiply(v, factor, out)) return fail();
  return out;
}

Result<bool> parse_bool(std::string_view text) {
  if (equals_ignoring_case(text, "true")) return true;
  if (equals_ignoring_case(text, "false")) return false;
  return make_error(fmt::format("expected true or false, got '{}'", text));
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_blank(text[i])) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

namespace {

struct Range {
  std::optional<std::string> min, max;
};

Range range_of(const OptionSpec& option) {
  // Sizes and durations cannot be negative, so a minimum of zero says nothing there.
  bool unsigned_type = option.type == OptionType::bytes || option.type == OptionType::duration;
  Range r;
  if (option.min != kNoMin && !(unsigned_type && option.min <= 0)) r.min = format_limit(option, option.min);
  if (option.max != kNoMax) r.max = format_limit(option, option.max);
  return r;
}

}  // namespace

std::string describe_range(const OptionSpec& option) {
  Range r = range_of(option);
  if (r.min && r.max) return fmt::format("{} to {}", *r.min, *r.max);
  if (r.min) return fmt::format("at least {}", *r.min);
  if (r.max) return fmt::format("at most {}", *r.max);
  return {};
}

std::string describe_expected(const OptionSpec& option) {
  Range r = range_of(option);
  std::string range = r.min && r.max ? fmt::format(" from {} to {}", *r.min, *r.max)
                      : r.min        ? fmt::format(" of at least {}", *r.min)
                      : r.max        ? fmt::format(" of at most {}", *r.max)
                                     : std::string();
  switch (option.type) {
    case OptionType::string: return "a string";
    case OptionType::integer: return fmt::format("an integer{}", range);
    case OptionType::bytes: return fmt::format("a size in bytes{} (such as 65536, 64k or 16m)", range);
    case OptionType::duration:
      return fmt::format("a duration{} (such as 30, 30s, 500ms or 5m; a bare number is in {})", range,
                         duration_unit_name(option.unit));
    case OptionType::boolean: return "true or false";
    case OptionType::enumeration: return fmt::format("one of {}", join(option.values, ", "));
    case OptionType::list: return "a list of names separated by blanks";
    case OptionType::prefixed: return "any value (passed through)";
  }
  SLUICE_UNREACHABLE("bad OptionType");
}

Result<OptionValue> parse_option_value(const OptionSpec& option, std::string_view text) {
  if (option.required && text.empty()) return make_error("a value is required");
  auto expected = [&] { return make_error(fmt::format("expected {}, got '{}'", describe_expected(option), text)); };

  OptionValue value;
  switch (option.type) {
    case OptionType::string: value = std::string(text); break;
    case OptionType::integer:
    case OptionType::bytes:
    case OptionType::duration: {
      Result<int64_t> n = option.type == OptionType::integer ? parse_integer(text)
                          : option.type == OptionType::bytes ? parse_bytes(text)
                                                             : parse_duration_ms(text, option.unit);
      if (!n.ok() || n.value() < option.min || n.value() > option.max) return expected();
      value = n.value();
      break;
    }
    case OptionType::boolean: {
      Result<bool> b = parse_bool(text);
      if (!b.ok()) return expected();
      value = b.value();
      break;
    }
    case OptionType::enumeration: {
      auto match = [&](std::string_view v) { return equals_ignoring_case(v, text); };
      auto it = std::find_if(option.values.begin(), option.values.end(), match);
      if (it == option.values.end()) {
        auto unsupported = std::find_if(option.values_not_supported.begin(), option.values_not_supported.end(), match);
        if (unsupported != option.values_not_supported.end()) {
          return make_error(fmt::format("'{}' is not supported yet (sluice has: {})", text, join(option.values, ", ")));
        }
        return expected();
      }
      value = std::string(*it);
      break;
    }
    case OptionType::list:
      value = split_list(text);
      if (option.required && std::get<std::vector<std::string>>(value).empty()) {
        return make_error("a value is required");
      }
      break;
    case OptionType::prefixed:
      // Only the default (empty) comes through here; the loader collects the keys.
      value = KeyValues{};
      break;
  }
  if (option.check != nullptr) {
    std::string problem = option.check(text);
    if (!problem.empty()) return make_error(fmt::format("expected {}, got '{}'", problem, text));
  }
  return value;
}

std::string format_bytes(int64_t bytes) {
  if (bytes > 0) {
    if (bytes % kTiB == 0) return fmt::format("{}t", bytes / kTiB);
    if (bytes % kGiB == 0) return fmt::format("{}g", bytes / kGiB);
    if (bytes % kMiB == 0) return fmt::format("{}m", bytes / kMiB);
    if (bytes % kKiB == 0) return fmt::format("{}k", bytes / kKiB);
  }
  return fmt::format("{}", bytes);
}

std::string format_duration_ms(int64_t ms) {
  if (ms == 0) return "0";
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

const OptionSpec* find_option(ComponentKind kind, const ComponentSpec* spec, std::string_view key) {
  auto search = [&](const std::vector<OptionSpec>& options) -> const OptionSpec* {
    for (const OptionSpec& o : options) {
      if (o.name == key) return &o;
      if (o.type == OptionType::prefixed && key.size() > o.name.size() && key.starts_with(o.name)) return &o;
      if (std::find(o.aliases.begin(), o.aliases.end(), key) != o.aliases.end()) return &o;
    }
    return nullptr;
  };
  if (const OptionSpec* o = search(common_options(kind))) return o;
  return spec != nullptr ? search(spec->options) : nullptr;
}

}  // namespace sluice::config
