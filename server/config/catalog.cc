// The catalog of component types and the options every component of a kind has.
#include "server/config/catalog.h"

#include <algorithm>
#include <array>
#include <string>

#include "base/assert.h"
#include "server/config/selector.h"

namespace sluice::config {
namespace {

std::string check_one_name(std::string_view value) {
  return split_list(value).size() == 1 ? std::string() : std::string("one channel name (a sink reads one channel)");
}

std::vector<OptionSpec> build_common_options(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::source: {
      std::vector<OptionSpec> options = {
          {.name = "channels",
           .type = OptionType::list,
           .description = "Channels the source writes every event to.",
           .required = true},
          {.name = "interceptors",
           .type = OptionType::list,
           .description = "Interceptors run on every event, in this order, before it is written to a channel; "
                          "each is configured under interceptors.<name>. (see Interceptors below)."},
      };
      for (OptionSpec& o : selector_options()) options.push_back(std::move(o));
      return options;
    }
    case ComponentKind::channel: return {};
    case ComponentKind::interceptor: return {};
    case ComponentKind::sink:
      return {
          {.name = "channel", .description = "Channel the sink reads.", .required = true, .check = check_one_name},
      };
    case ComponentKind::sink_group:
      return {
          {.name = "sinks",
           .type = OptionType::list,
           .description = "The group's sinks. They must read the same channel; a sink is in one group at most, "
                          "and runs only in it.",
           .required = true},
      };
  }
  SLUICE_UNREACHABLE("bad ComponentKind");
}

// Programmer errors in the tables stop the process at the first use rather than surfacing as a
// confusing message to a user (and the tests make the real catalog, so they stop CI too).
void assert_valid(ComponentKind kind, const ComponentSpec* spec, const std::vector<OptionSpec>& options) {
  for (const OptionSpec& o : options) {
    SLUICE_ASSERT(!o.name.empty(), "config table: an option has no name");
    SLUICE_ASSERT(!o.description.empty(), "config table: an option has no description");
    SLUICE_ASSERT(o.min <= o.max, "config table: min above max");
    SLUICE_ASSERT((o.type == OptionType::enumeration) == !o.values.empty(),
                  "config table: enumerations and only they list values");
    SLUICE_ASSERT(find_option(kind, spec, o.name) == &o, "config table: an option name is used twice");
    for (std::string_view alias : o.aliases) {
      SLUICE_ASSERT(find_option(kind, spec, alias) == &o, "config table: an alias is used twice");
    }
    if (!o.required) {
      SLUICE_ASSERT(parse_option_value(o, o.default_value).ok(), "config table: a default does not parse");
    }
  }
}

// A type's table, checked once when the catalog is made (see assert_valid).
void assert_valid_spec(const ComponentSpec& spec, const std::vector<const ComponentSpec*>& all) {
  SLUICE_ASSERT(!spec.description.empty(), "config table: a component has no description");
  assert_valid(spec.kind, &spec, spec.options);
  std::vector<std::string_view> names = spec.type_aliases;
  names.push_back(spec.type);
  for (std::string_view name : names) {
    int accepting = 0;
    for (const ComponentSpec* other : all) {
      if (other->kind != spec.kind) continue;
      bool accepts = equals_ignoring_case(other->type, name);
      for (std::string_view alias : other->type_aliases) accepts = accepts || equals_ignoring_case(alias, name);
      accepting += accepts ? 1 : 0;
    }
    SLUICE_ASSERT(accepting == 1, "config table: a type name is used twice");
  }
}

}  // namespace

const std::vector<OptionSpec>& common_options(ComponentKind kind) {
  static const std::array<std::vector<OptionSpec>, kComponentKindCount> tables = {
      build_common_options(ComponentKind::source),     build_common_options(ComponentKind::channel),
      build_common_options(ComponentKind::sink),       build_common_options(ComponentKind::interceptor),
      build_common_options(ComponentKind::sink_group),
  };
  return tables[static_cast<size_t>(kind)];
}

Catalog::Catalog(std::vector<const ComponentSpec*> specs) : specs_(std::move(specs)) {
  for (ComponentKind kind : {ComponentKind::source, ComponentKind::channel, ComponentKind::sink,
                             ComponentKind::interceptor, ComponentKind::sink_group}) {
    assert_valid(kind, nullptr, common_options(kind));
  }
  for (const ComponentSpec* spec : specs_) {
    SLUICE_ASSERT(spec != nullptr, "config catalog: a null spec");
    assert_valid_spec(*spec, specs_);
  }
}

const ComponentSpec* Catalog::find(ComponentKind kind, std::string_view type_name) const {
  for (const ComponentSpec* spec : specs_) {
    if (spec->kind != kind) continue;
    if (equals_ignoring_case(spec->type, type_name)) return spec;
    for (std::string_view alias : spec->type_aliases) {
      if (equals_ignoring_case(alias, type_name)) return spec;
    }
  }
  return nullptr;
}

bool is_flume_type_not_supported(ComponentKind kind, std::string_view type_name) {
  // Flume's built-in short names (SourceType, ChannelType, SinkType) and the Kafka classes,
  // less what sluice has. A type that gains a table above is found before this is asked.
  static constexpr std::string_view kSources[] = {
      "seq",    "netcat", "exec",    "multiport_syslogtcp", "spooldir",
      "thrift", "jms",    "taildir", "netcatudp",           "org.apache.flume.source.kafka.KafkaSource"};
  static constexpr std::string_view kChannels[] = {"jdbc", "spillablememory",
                                                   "org.apache.flume.channel.kafka.KafkaChannel"};
  static constexpr std::string_view kSinks[] = {"irc",    "thrift",         "elasticsearch", "hbase", "asynchbase",
                                                "hbase2", "morphline_solr", "hive",          "http"};
  // Flume's interceptors sluice does not have (its morphline module's).
  static constexpr std::string_view kInterceptors[] = {
      "org.apache.flume.sink.solr.morphline.MorphlineInterceptor$Builder"};
  auto contains = [&](auto& names) {
    return std::any_of(std::begin(names), std::end(names),
                       [&](std::string_view n) { return equals_ignoring_case(n, type_name); });
  };
  switch (kind) {
    case ComponentKind::source: return contains(kSources);
    case ComponentKind::channel: return contains(kChannels);
    case ComponentKind::sink: return contains(kSinks);
    case ComponentKind::interceptor: return contains(kInterceptors);
    case ComponentKind::sink_group: return false;
  }
  SLUICE_UNREACHABLE("bad ComponentKind");
}

}  // namespace sluice::config
