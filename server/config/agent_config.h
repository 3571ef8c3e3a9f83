// One agent's configuration, read from a Flume properties file and validated as a whole:
//
//   a1.sources = r1            a1.sources.r1.type = syslogtcp     a1.sources.r1.channels = c1
//   a1.channels = c1           a1.channels.c1.type = memory
//   a1.sinks = k1              a1.sinks.k1.type = file_roll       a1.sinks.k1.channel = c1
//   a1.sources.r1.interceptors = i1      a1.sources.r1.interceptors.i1.type = timestamp
//
// `sluice -f FILE -n a1` loads the keys that start with "a1."; other agents' keys in the same
// file are ignored, as Flume does. Every problem found is reported, one per line, each naming
// the file, the line and the key ("flume.conf: line 7: a1.sources.r1.port: expected ...").
//
// Threads: loading is a pure function (any thread, start-up only). An AgentConfig never changes
// once loaded; any thread may read it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "server/config/catalog.h"
#include "server/config/schema.h"

namespace sluice::config {

// One option of a component with its value resolved: from the file, or the default.
struct ResolvedOption {
  const OptionSpec* spec = nullptr;
  OptionValue value;
  int line = 0;  // the line that set it; 0 when the default applies
};

class ComponentConfig {
 public:
  // `options` holds every common and type-specific option of `spec` (see find_option()).
  ComponentConfig(std::string name, const ComponentSpec& spec, std::string key_prefix, std::string file_name, int line,
                  std::vector<ResolvedOption> options);

  const std::string& name() const { return name_; }
  ComponentKind kind() const { return spec_->kind; }
  // Canonical type name ("syslogtcp" even when the file says org.apache.flume.source.SyslogTcpSource).
  std::string_view type() const { return spec_->type; }
  const ComponentSpec& spec() const { return *spec_; }
  // The line of its type key, where the component is defined.
  int line() const { return line_; }

  // Values with defaults applied, by option name or alias. Asking for an option the component
  // does not have, or through the accessor of another type, is a programmer error (assertion).
  const std::string& get_string(std::string_view option) const;
  int64_t get_int(std::string_view option) const;
  uint64_t get_bytes(std::string_view option) const;
  int64_t get_duration_ms(std::string_view option) const;
  bool get_bool(std::string_view option) const;
  const std::vector<std::string>& get_list(std::string_view option) const;
  // The canonical spelling of the value ("TEXT" when the file says "text").
  const std::string& get_enum(std::string_view option) const;
  // The keys set under a prefixed option (the part after the prefix) with their values, in
  // file order.
  const KeyValues& get_prefixed(std::string_view option) const;

  // True when the file sets the option; false when the default applies.
  bool is_set(std::string_view option) const;
  // The line that sets the option, 0 when the default applies.
  int line_of(std::string_view option) const;
  // The full key: "a1.sources.r1.port".
  std::string key_of(std::string_view option) const;
  // For start-up errors about an option: "flume.conf: line 7: a1.sources.r1.port", or
  // "flume.conf: a1.sources.r1.host (default)".
  std::string locate(std::string_view option) const;

  const std::vector<ResolvedOption>& options() const { return options_; }

  // The line of `key` (the part after the component's prefix, any key the file gives it, those
  // under a prefixed option included), or 0 when the file does not set it.
  int line_of_key(std::string_view key) const;
  void set_key_lines(std::vector<std::pair<std::string, int>> key_lines) { key_lines_ = std::move(key_lines); }
  // "flume.conf: line 7: a1.sources.r1.interceptors.i1.serializers.s1.name" for any key.
  std::string locate_key(std::string_view key) const;

  // A source's interceptors, in the order of its `interceptors` key (empty for other kinds).
  const std::vector<ComponentConfig>& interceptors() const { return interceptors_; }
  void set_interceptors(std::vector<ComponentConfig> interceptors) { interceptors_ = std::move(interceptors); }

 private:
  const ResolvedOption& find(std::string_view option) const;
  const ResolvedOption& find_typed(std::string_view option, OptionType type) const;

  std::string name_;
  const ComponentSpec* spec_;
  std::string key_prefix_;  // "a1.sources.r1."
  std::string file_name_;
  int line_;
  std::vector<ResolvedOption> options_;
  std::vector<ComponentConfig> interceptors_;
  std::vector<std::pair<std::string, int>> key_lines_;
};

struct AgentConfig {
  std::string agent;
  std::string file_name;
  // Each in the order the agent's list (a1.sources, a1.channels, a1.sinks) names them.
  std::vector<ComponentConfig> sources;
  std::vector<ComponentConfig> channels;
  std::vector<ComponentConfig> sinks;
  std::vector<ComponentConfig> sink_groups;  // a1.sinkgroups, each of kind sink_group

  // nullptr when there is no such component.
  const ComponentConfig* find(ComponentKind kind, std::string_view name) const;
  // The group `sink` is in, or nullptr.
  const ComponentConfig* group_of(std::string_view sink) const;
};

// Largest configuration file accepted.
inline constexpr size_t config_file_bytes_max = 16u << 20;

// `file_name_for_messages` prefixes every error line; it is not opened. `catalog` says which
// component types exist (app::component_catalog() in the server); it must outlive the result.
Result<AgentConfig> load_agent_config(std::string_view text, std::string_view agent,
                                      std::string_view file_name_for_messages, const Catalog& catalog);

// Reads `path` (at most config_file_bytes_max) and loads it; errors name `path`.
Result<AgentConfig> load_agent_config_file(const std::string& path, std::string_view agent, const Catalog& catalog);

}  // namespace sluice::config
