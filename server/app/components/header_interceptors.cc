// Flume's header interceptors (timestamp, host, static, remove_header, and the morphline
// module's UUIDInterceptor): their options and their builders.
#include <sys/random.h>

#include <fmt/format.h>

#include "base/logger.h"
#include "server/app/components/component_type.h"
#include "server/app/components/interceptor_options.h"
#include "server/interceptors/header_interceptors.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::OptionSpec;
using config::OptionType;
namespace ic = interceptors;

std::string check_header_name(std::string_view value) { return value.empty() ? "a header name" : std::string(); }

OptionSpec preserve_existing_option(std::string_view default_value, std::string_view what) {
  return {.name = "preserveExisting", .type = OptionType::boolean, .default_value = default_value, .description = what};
}

OptionSpec header_name_option(std::string_view name, std::string_view default_value) {
  return {
      .name = name, .default_value = default_value, .description = "The header to set.", .check = check_header_name};
}

// --- timestamp ---

ComponentSpec timestamp_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "timestamp",
      .type_aliases = {"org.apache.flume.interceptor.TimestampInterceptor$Builder"},
      .description =
          "Sets a header to the time the event passed through, in milliseconds since the epoch (the "
          "event's record time too, when the header is `timestamp`).",
      .options = {header_name_option("headerName", "timestamp"),
                  preserve_existing_option("false", "Leave an event that already has the header as it is.")},
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_timestamp(const config::ComponentConfig& c, uint32_t) {
  ic::TimestampInterceptor::Options o;
  o.header_name = c.get_string("headerName");
  o.preserve_existing = c.get_bool("preserveExisting");
  return std::unique_ptr<ic::Interceptor>(std::make_unique<ic::TimestampInterceptor>(o));
}

// --- host ---

ComponentSpec host_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "host",
      .type_aliases = {"org.apache.flume.interceptor.HostInterceptor$Builder"},
      .description =
          "Sets a header to this machine's IP address or host name, looked up once at start-up (when "
          "the name does not resolve, a warning is logged and, as in Flume, no header is set).",
      .options = {header_name_option("hostHeader", "host"),
                  {.name = "useIP",
                   .type = OptionType::boolean,
                   .default_value = "true",
                   .description = "true: the address of this machine's name; false: its canonical host name."},
                  preserve_existing_option("false", "Leave an event that already has the header as it is.")},
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_host(const config::ComponentConfig& c, uint32_t shard) {
  ic::HostInterceptor::Options o;
  o.host_header = c.get_string("hostHeader");
  o.use_ip = c.get_bool("useIP");
  o.preserve_existing = c.get_bool("preserveExisting");
  auto value = ic::HostInterceptor::local_host_value(o.use_ip);
  std::optional<std::string> host;
  if (value.ok()) host = std::move(value).value();
  else if (shard == 0)
    base::log_warn("interceptor {}: {}; its {} header will not be set", c.name(), value.error().message, o.host_header);
  return std::unique_ptr<ic::Interceptor>(std::make_unique<ic::HostInterceptor>(o, std::move(host)));
}

// --- static ---

ComponentSpec static_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "static",
      .type_aliases = {"org.apache.flume.interceptor.StaticInterceptor$Builder"},
      .description = "Sets one header to a fixed value (chain several for several headers).",
      .options = {header_name_option("key", "key"),
                  {.name = "value", .default_value = "value", .description = "The header's value."},
                  preserve_existing_option("true", "Leave an event that already has the header as it is.")},
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_static(const config::ComponentConfig& c, uint32_t) {
  ic::StaticInterceptor::Options o;
  o.key = c.get_string("key");
  o.value = c.get_string("value");
  o.preserve_existing = c.get_bool("preserveExisting");
  return std::unique_ptr<ic::Interceptor>(std::make_unique<ic::StaticInterceptor>(o));
}

// --- remove_header ---

std::string check_list_separator(std::string_view value) {
  if (std::string problem = check_java_regex(value); !problem.empty()) return problem;
  auto compiled = ic::JavaRegex::compile(value);
  if (re2::RE2::FullMatch("", compiled.value().re2()))
    return "a separator that cannot match an empty string (it would split between every character)";
  return {};
}

ComponentSpec remove_header_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "remove_header",
      .type_aliases = {"org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder"},
      .description =
          "Removes headers: one by name, a list of names, and those whose whole name matches a "
          "regular expression (any of the three, or all).",
      .options = {{.name = "withName", .description = "A header to remove."},
                  {.name = "fromList", .description = "Headers to remove, separated by fromListSeparator."},
                  {.name = "fromListSeparator",
                   .default_value = "\\s*,\\s*",
                   .description = "The regular expression that separates fromList's names.",
                   .aliases = {"listSeparator"},
                   .check = check_list_separator},
                  {.name = "matching",
                   .description = "Remove every header whose whole name matches this regular expression.",
                   .check = check_java_regex}},
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_remove_header(const config::ComponentConfig& c, uint32_t) {
  ic::RemoveHeaderInterceptor::Options o;
  o.with_name = c.get_string("withName");
  if (const std::string& list = c.get_string("fromList"); !list.empty()) {
    auto separator = ic::JavaRegex::compile(c.get_string("fromListSeparator"));
    if (!separator.ok())
      return make_error(fmt::format("{}: {}", c.locate("fromListSeparator"), separator.error().message));
    o.from_list = ic::RemoveHeaderInterceptor::split_list(list, separator.value());
  }
  if (const std::string& matching = c.get_string("matching"); !matching.empty()) {
    auto compiled = ic::JavaRegex::compile(matching);
    if (!compiled.ok()) return make_error(fmt::format("{}: {}", c.locate("matching"), compiled.error().message));
    o.matching = std::move(compiled).value();
  }
  return std::unique_ptr<ic::Interceptor>(std::make_unique<ic::RemoveHeaderInterceptor>(std::move(o)));
}

// --- UUID ---

ComponentSpec uuid_spec() {
  return ComponentSpec{
      .kind = ComponentKind::interceptor,
      .type = "uuid",
      .type_aliases = {"org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder"},
      .description =
          "Sets a header to a new random (version 4) UUID per event, after an optional prefix. Flume "
          "has it in its morphline Solr sink's module, under its class name only; `uuid` is sluice's "
          "short name.",
      .options = {header_name_option("headerName", "id"),
                  {.name = "prefix", .description = "Text put before the UUID."},
                  preserve_existing_option("true", "Leave an event that already has the header as it is.")},
  };
}

Result<std::unique_ptr<ic::Interceptor>> build_uuid(const config::ComponentConfig& c, uint32_t) {
  ic::UuidInterceptor::Options o;
  o.header_name = c.get_string("headerName");
  o.prefix = c.get_string("prefix");
  o.preserve_existing = c.get_bool("preserveExisting");
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed))
    return make_error("cannot read the kernel's random source for UUIDs");
  return std::unique_ptr<ic::Interceptor>(std::make_unique<ic::UuidInterceptor>(o, seed));
}

}  // namespace

ComponentType timestamp_interceptor_type() { return {timestamp_spec(), &build_timestamp}; }
ComponentType host_interceptor_type() { return {host_spec(), &build_host}; }
ComponentType static_interceptor_type() { return {static_spec(), &build_static}; }
ComponentType remove_header_interceptor_type() { return {remove_header_spec(), &build_remove_header}; }
ComponentType uuid_interceptor_type() { return {uuid_spec(), &build_uuid}; }

}  // namespace sluice::app
