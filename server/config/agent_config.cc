#include "server/config/agent_config.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "base/assert.h"
#include "server/config/errors.h"
#include "server/config/properties.h"
#include "server/config/selector.h"

namespace sluice::config {

// --- ComponentConfig ---

ComponentConfig::ComponentConfig(std::string name, const ComponentSpec& spec, std::string key_prefix,
                                 std::string file_name, int line, std::vector<ResolvedOption> options)
    : name_(std::move(name)),
      spec_(&spec),
      key_prefix_(std::move(key_prefix)),
      file_name_(std::move(file_name)),
      line_(line),
      options_(std::move(options)) {
  for (const ResolvedOption& o : options_) SLUICE_ASSERT(o.spec != nullptr, "ResolvedOption without spec");
}

const ResolvedOption& ComponentConfig::find(std::string_view option) const {
  const OptionSpec* spec = find_option(spec_->kind, spec_, option);
  SLUICE_ASSERT(spec != nullptr, "ComponentConfig: the component has no such option");
  for (const ResolvedOption& o : options_) {
    if (o.spec == spec) return o;
  }
  SLUICE_UNREACHABLE("ComponentConfig: option not resolved");
}

const ResolvedOption& ComponentConfig::find_typed(std::string_view option, OptionType type) const {
  const ResolvedOption& o = find(option);
  SLUICE_ASSERT(o.spec->type == type, "ComponentConfig: option read through the accessor of another type");
  return o;
}

const std::string& ComponentConfig::get_string(std::string_view option) const {
  return std::get<std::string>(find_typed(option, OptionType::string).value);
}

int64_t ComponentConfig::get_int(std::string_view option) const {
  return std::get<int64_t>(find_typed(option, OptionType::integer).value);
}

uint64_t ComponentConfig::get_bytes(std::string_view option) const {
  return static_cast<uint64_t>(std::get<int64_t>(find_typed(option, OptionType::bytes).value));
}

int64_t ComponentConfig::get_duration_ms(std::string_view option) const {
  return std::get<int64_t>(find_typed(option, OptionType::duration).value);
}

bool ComponentConfig::get_bool(std::string_view option) const {
  return std::get<bool>(find_typed(option, OptionType::boolean).value);
}

const std::vector<std::string>& ComponentConfig::get_list(std::string_view option) const {
  return std::get<std::vector<std::string>>(find_typed(option, OptionType::list).value);
}

const KeyValues& ComponentConfig::get_prefixed(std::string_view option) const {
  return std::get<KeyValues>(find_typed(option, OptionType::prefixed).value);
}

const std::string& ComponentConfig::get_enum(std::string_view option) const {
  return std::get<std::string>(find_typed(option, OptionType::enumeration).value);
}

bool ComponentConfig::is_set(std::string_view option) const { return find(option).line > 0; }

int ComponentConfig::line_of(std::string_view option) const { return find(option).line; }

std::string ComponentConfig::key_of(std::string_view option) const {
  return key_prefix_ + std::string(find(option).spec->name);
}

std::string ComponentConfig::locate(std::string_view option) const {
  const ResolvedOption& o = find(option);
  std::string key = key_prefix_ + std::string(o.spec->name);
  if (o.line > 0) return fmt::format("{}: line {}: {}", file_name_, o.line, key);
  return fmt::format("{}: {} (default)", file_name_, key);
}

int ComponentConfig::line_of_key(std::string_view key) const {
  for (const auto& [k, line] : key_lines_)
    if (k == key) return line;
  return 0;
}

std::string ComponentConfig::locate_key(std::string_view key) const {
  const int line = line_of_key(key);
  if (line > 0) return fmt::format("{}: line {}: {}{}", file_name_, line, key_prefix_, key);
  return fmt::format("{}: {}{}", file_name_, key_prefix_, key);
}

const ComponentConfig* AgentConfig::find(ComponentKind kind, std::string_view name) const {
  const std::vector<ComponentConfig>& list = kind == ComponentKind::source       ? sources
                                             : kind == ComponentKind::channel    ? channels
                                             : kind == ComponentKind::sink_group ? sink_groups
                                                                                 : sinks;
  for (const ComponentConfig& c : list) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

const ComponentConfig* AgentConfig::group_of(std::string_view sink) const {
  for (const ComponentConfig& g : sink_groups) {
    const std::vector<std::string>& members = g.get_list("sinks");
    if (std::find(members.begin(), members.end(), sink) != members.end()) return &g;
  }
  return nullptr;
}

// --- Loading ---

namespace {

constexpr std::array<ComponentKind, 4> kKinds = {ComponentKind::source, ComponentKind::channel, ComponentKind::sink,
                                                 ComponentKind::sink_group};

struct RawKey {
  std::string option;  // the part after "a1.sources.r1."
  std::string value;
  int line;
};

// Everything the file says about one component, before validation.
struct RawComponent {
  std::string name;
  std::vector<RawKey> keys;  // file order

  const RawKey* find(std::string_view option) const {
    for (const RawKey& k : keys) {
      if (k.option == option) return &k;
    }
    return nullptr;
  }
};

// An agent's list of components of one kind: "a1.sources = r1 r2".
struct Declaration {
  bool present = false;
  int line = 0;
  std::vector<std::string> names;  // valid, distinct names

  bool lists(std::string_view name) const { return std::find(names.begin(), names.end(), name) != names.end(); }
};

struct KindState {
  Declaration declared;
  std::vector<RawComponent> components;  // in order of first key

  RawComponent& component(std::string_view name) {
    for (RawComponent& c : components) {
      if (c.name == name) return c;
    }
    components.push_back(RawComponent{std::string(name), {}});
    return components.back();
  }
  const RawComponent* find(std::string_view name) const {
    for (const RawComponent& c : components) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out;
}

// The candidate closest to `word`, when it is close enough to be a likely typo: a swapped,
// missing or extra letter or two, wrong case, or a missing prefix ("rollInterval" for
// "sink.rollInterval").
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  size_t limit = std::clamp<size_t>(word.size() / 3, 1, 2);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best) return best;
  for (const std::string& c : candidates) {
    if (c.size() > word.size() && c.ends_with(word) && c[c.size() - word.size() - 1] == '.') return c;
  }
  return std::nullopt;
}

class Loader {
 public:
  Loader(std::string_view agent, std::string_view file_name, const Catalog& catalog)
      : agent_(agent), file_name_(file_name), catalog_(catalog) {}

  Result<AgentConfig> load(const std::vector<Property>& properties);

 private:
  KindState& state(ComponentKind kind) { return kinds_[static_cast<size_t>(kind)]; }
  std::string prefix(ComponentKind kind) const { return fmt::format("{}.{}.", agent_, kind_plural(kind)); }
  std::string list_key(ComponentKind kind) const { return fmt::format("{}.{}", agent_, kind_plural(kind)); }

  void take(const Property& p, std::string_view rest);
  void take_declaration(ComponentKind kind, const Property& p);
  void check_declarations(ComponentKind kind);
  // `raw` is what the file says about the component `name` (null: nothing), listed in `list_key`
  // on `listed_line`; its keys start with `key_prefix`.
  std::optional<ComponentConfig> resolve(ComponentKind kind, const RawComponent* raw, std::string_view name,
                                         const std::string& key_prefix, const std::string& list_key, int listed_line);
  // A source's `interceptors` list and the interceptors.<name>.* keys, `raw` in file order.
  std::vector<ComponentConfig> resolve_interceptors(const std::string& source_prefix, const ResolvedOption* list,
                                                    const std::vector<RawComponent>& raw);
  void check_unknown_key(ComponentKind kind, const ComponentSpec& spec, const RawKey& key, const std::string& full_key);
  void check_references();

  std::string agent_;
  std::string file_name_;
  const Catalog& catalog_;
  ErrorList errors_;
  std::array<KindState, kComponentKindCount> kinds_;  // interceptors are kept with their source
  bool reported_configfilters_ = false;
};

Result<AgentConfig> Loader::load(const std::vector<Property>& properties) {
  std::vector<std::string> agents_found;
  bool found = false;
  for (const Property& p : properties) {
    size_t dot = p.key.find('.');
    if (dot == std::string::npos || dot == 0) {
      errors_.add(p.line, fmt::format("key '{}' does not start with an agent name (as in {}.sources)", p.key, agent_));
      continue;
    }
    std::string_view agent = std::string_view(p.key).substr(0, dot);
    if (std::find(agents_found.begin(), agents_found.end(), agent) == agents_found.end()) {
      agents_found.emplace_back(agent);
    }
    if (agent != agent_) continue;  // another agent's key: not ours to judge
    found = true;
    take(p, std::string_view(p.key).substr(dot + 1));
  }
  if (!found) {
    std::string seen = agents_found.empty() ? "no agents found" : "agents found: " + join(agents_found);
    ErrorList only;
    only.add(0, fmt::format("no agent '{}' in the file ({})", agent_, seen));
    return only.to_error(file_name_);
  }

  AgentConfig config;
  config.agent = agent_;
  config.file_name = file_name_;
  for (ComponentKind kind : kKinds) {
    check_declarations(kind);
    std::vector<ComponentConfig>& out = kind == ComponentKind::source       ? config.sources
                                        : kind == ComponentKind::channel    ? config.channels
                                        : kind == ComponentKind::sink_group ? config.sink_groups
                                                                            : config.sinks;
    for (const std::string& name : state(kind).declared.names) {
      std::optional<ComponentConfig> c =
          resolve(kind, state(kind).find(name), name, fmt::format("{}{}.", prefix(kind), name), list_key(kind),
                  state(kind).declared.line);
      if (c) out.push_back(std::move(*c));
    }
  }
  check_references();

  if (!errors_.empty()) return errors_.to_error(file_name_);
  return config;
}

// Sorts one of the agent's keys (`rest` is the part after "a1.") by what it configures.
void Loader::take(const Property& p, std::string_view rest) {
  for (ComponentKind kind : kKinds) {
    std::string_view plural = kind_plural(kind);
    if (rest == plural) {
      take_declaration(kind, p);
      return;
    }
    if (rest.size() > plural.size() && rest.starts_with(plural) && rest[plural.size()] == '.') {
      std::string_view tail = rest.substr(plural.size() + 1);  // "r1.port"
      size_t dot = tail.find('.');
      if (dot == std::string_view::npos || dot == 0 || dot + 1 == tail.size()) {
        errors_.add(p.line, fmt::format("{}: expected {}<name>.<option>", p.key, prefix(kind)));
        return;
      }
      state(kind)
          .component(tail.substr(0, dot))
          .keys.push_back(RawKey{std::string(tail.substr(dot + 1)), p.value, p.line});
      return;
    }
  }
  auto is_family = [&](std::string_view family) {
    return rest == family || (rest.starts_with(family) && rest.size() > family.size() && rest[family.size()] == '.');
  };
  if (is_family("configfilters")) {
    if (!reported_configfilters_) errors_.add(p.line, fmt::format("{}: config filters are not supported yet", p.key));
    reported_configfilters_ = true;
    return;
  }
  std::string_view first = rest.substr(0, rest.find('.'));
  std::optional<std::string> hint = closest(first, {"sources", "channels", "sinks"});
  if (hint) {
    errors_.add(p.line, fmt::format("unknown key '{}' (did you mean '{}.{}{}'?)", p.key, agent_, *hint,
                                    rest.substr(first.size())));
  } else {
    errors_.add(p.line, fmt::format("unknown key '{}' (an agent's keys start with {}.sources, {}.channels or {}.sinks)",
                                    p.key, agent_, agent_, agent_));
  }
}

void Loader::take_declaration(ComponentKind kind, const Property& p) {
  Declaration& d = state(kind).declared;
  d.present = true;
  d.line = p.line;
  for (std::string& name : split_list(p.value)) {
    if (name.find('.') != std::string::npos) {
      errors_.add(p.line, fmt::format("{}: '{}' is not a valid {} name (names cannot contain '.')", p.key, name,
                                      kind_name(kind)));
    } else if (d.lists(name)) {
      errors_.add(p.line, fmt::format("{}: '{}' is listed twice", p.key, name));
    } else {
      d.names.push_back(std::move(name));
    }
  }
}

// The agent's list of `kind` against the keys the file has for components of that kind.
void Loader::check_declarations(ComponentKind kind) {
  const KindState& s = state(kind);
  std::string list = list_key(kind);
  if (!s.declared.present) {
    // Sink groups are optional; a group configured but not listed is reported below.
    if (kind != ComponentKind::sink_group)
      errors_.add(0, fmt::format("agent '{}' has no {} line (the list of its {})", agent_, list, kind_plural(kind)));
  } else if (s.declared.names.empty() && s.components.empty()) {
    errors_.add(s.declared.line, fmt::format("{}: lists no {}", list, kind_plural(kind)));
  }
  for (const RawComponent& c : s.components) {
    if (s.declared.lists(c.name)) continue;
    // Flume ignores such keys without a word; here they are a mistake worth stopping for.
    std::string where = s.declared.present ? fmt::format(" (line {})", s.declared.line) : std::string();
    std::vector<std::string> unconfigured;
    for (const std::string& n : s.declared.names) {
      if (s.find(n) == nullptr) unconfigured.push_back(n);
    }
    std::optional<std::string> hint = closest(c.name, unconfigured);
    std::string hint_text = hint ? fmt::format(" (did you mean '{}'?)", *hint) : std::string();
    const RawKey& first = c.keys.front();
    errors_.add(first.line,
                fmt::format("{}{}.{}: {} '{}' is configured but not listed in {}{}, so nothing runs it{}", prefix(kind),
                            c.name, first.option, kind_name(kind), c.name, list, where, hint_text));
  }
}

std::optional<ComponentConfig> Loader::resolve(ComponentKind kind, const RawComponent* raw, std::string_view name,
                                               const std::string& key_prefix, const std::string& list_key,
                                               int listed_line) {
  // A sink group's type is its processor.type, `default` when not given (as Flume's guide says).
  const std::string type_option = kind == ComponentKind::sink_group ? "processor.type" : "type";
  const RawKey* type_key = raw != nullptr ? raw->find(type_option) : nullptr;
  RawKey implied_type;
  if (type_key == nullptr && kind == ComponentKind::sink_group && raw != nullptr && !raw->keys.empty()) {
    implied_type = RawKey{type_option, "default", raw->keys.front().line};
    type_key = &implied_type;
  }
  if (type_key == nullptr) {
    errors_.add(listed_line, fmt::format("{}: {} '{}' is listed but never configured ({}{} is missing)", list_key,
                                         kind_name(kind), name, key_prefix, type_option));
    return std::nullopt;
  }
  const ComponentSpec* spec = catalog_.find(kind, type_key->value);
  if (spec == nullptr) {
    std::vector<std::string> known;
    for (const ComponentSpec* s : catalog_.specs()) {
      if (s->kind == kind) known.emplace_back(s->type);
    }
    std::string_view what = is_flume_type_not_supported(kind, type_key->value) ? "is not supported yet" : "is unknown";
    errors_.add(type_key->line, fmt::format("{}{}: {} type '{}' {} (sluice has: {})", key_prefix, type_option,
                                            kind_name(kind), type_key->value, what, join(known)));
    return std::nullopt;
  }

  size_t errors_before = errors_.size();
  std::vector<ResolvedOption> resolved;
  for (const std::vector<OptionSpec>* table : {&common_options(kind), &spec->options}) {
    for (const OptionSpec& o : *table) resolved.push_back(ResolvedOption{&o, {}, 0});
  }
  std::vector<std::string> set_by(resolved.size());  // the key that set each option
  std::vector<bool> mentioned(resolved.size());      // set, though perhaps to a bad value
  std::vector<RawComponent> raw_interceptors;        // a source's interceptors.<name>.* keys
  for (const RawKey& k : raw->keys) {
    if (&k == type_key) continue;
    std::string full_key = key_prefix + k.option;
    const OptionSpec* o = find_option(kind, spec, k.option);
    if (o == nullptr) {
      if (kind == ComponentKind::source && k.option.starts_with("interceptors.")) {
        std::string_view tail = std::string_view(k.option).substr(std::string_view("interceptors.").size());
        size_t dot = tail.find('.');
        if (dot == std::string_view::npos || dot == 0 || dot + 1 == tail.size()) {
          errors_.add(k.line, fmt::format("{}: expected {}interceptors.<name>.<option>", full_key, key_prefix));
          continue;
        }
        std::string_view interceptor = tail.substr(0, dot);
        auto it = std::find_if(raw_interceptors.begin(), raw_interceptors.end(),
                               [&](const RawComponent& c) { return c.name == interceptor; });
        if (it == raw_interceptors.end()) {
          raw_interceptors.push_back(RawComponent{std::string(interceptor), {}});
          it = raw_interceptors.end() - 1;
        }
        it->keys.push_back(RawKey{std::string(tail.substr(dot + 1)), k.value, k.line});
      } else {
        check_unknown_key(kind, *spec, k, full_key);
      }
      continue;
    }
    size_t i = 0;
    while (resolved[i].spec != o) ++i;
    if (o->type == OptionType::prefixed) {
      // Every key under the prefix is passed through as it is.
      if (!mentioned[i]) {
        resolved[i].value = KeyValues{};
        resolved[i].line = k.line;
        set_by[i] = full_key;
      }
      mentioned[i] = true;
      std::get<KeyValues>(resolved[i].value).emplace_back(k.option.substr(o->name.size()), k.value);
      continue;
    }
    if (mentioned[i]) {
      errors_.add(k.line,
                  fmt::format("{}: sets the same option as {} (line {})", full_key, set_by[i], resolved[i].line));
      continue;
    }
    mentioned[i] = true;
    set_by[i] = full_key;
    resolved[i].line = k.line;
    Result<OptionValue> v = parse_option_value(*o, k.value);
    if (!v.ok()) {
      errors_.add(k.line, fmt::format("{}: {}", full_key, v.error().message));
      continue;
    }
    resolved[i].value = std::move(v).value();
  }

  for (size_t i = 0; i < resolved.size(); ++i) {
    ResolvedOption& r = resolved[i];
    if (mentioned[i]) continue;
    if (r.spec->required) {
      errors_.add(type_key->line, fmt::format("{} '{}' ({}) is missing the required key {}{}", kind_name(kind), name,
                                              spec->type, key_prefix, r.spec->name));
      continue;
    }
    Result<OptionValue> v = parse_option_value(*r.spec, r.spec->default_value);
    SLUICE_ASSERT(v.ok(), "config table: a default does not parse");
    r.value = std::move(v).value();
  }
  std::vector<ComponentConfig> interceptors;
  if (kind == ComponentKind::source) {
    const ResolvedOption* list = nullptr;
    for (size_t i = 0; i < resolved.size(); ++i) {
      if (resolved[i].spec->name == "interceptors" && mentioned[i]) list = &resolved[i];
    }
    interceptors = resolve_interceptors(key_prefix, list, raw_interceptors);
  }
  if (errors_.size() != errors_before) return std::nullopt;
  ComponentConfig c(std::string(name), *spec, key_prefix, file_name_, type_key->line, std::move(resolved));
  c.set_interceptors(std::move(interceptors));
  std::vector<std::pair<std::string, int>> key_lines;
  for (const RawKey& k : raw->keys) key_lines.emplace_back(k.option, k.line);
  c.set_key_lines(std::move(key_lines));
  std::vector<ComponentProblem> problems;
  if (kind == ComponentKind::source) parse_selector(c, &problems);
  if (spec->check != nullptr) {
    std::vector<ComponentProblem> more = spec->check(c);
    problems.insert(problems.end(), more.begin(), more.end());
  }
  if (!problems.empty()) {
    for (const ComponentProblem& p : problems) {
      const int line = c.line_of_key(p.key);
      errors_.add(line > 0 ? line : type_key->line, fmt::format("{}{}: {}", key_prefix, p.key, p.message));
    }
    if (errors_.size() != errors_before) return std::nullopt;
  }
  return c;
}

std::vector<ComponentConfig> Loader::resolve_interceptors(const std::string& source_prefix, const ResolvedOption* list,
                                                          const std::vector<RawComponent>& raw) {
  const std::string list_key = source_prefix + "interceptors";
  std::vector<std::string> names;
  if (list != nullptr && std::holds_alternative<std::vector<std::string>>(list->value)) {
    for (const std::string& name : std::get<std::vector<std::string>>(list->value)) {
      if (name.find('.') != std::string::npos) {
        errors_.add(list->line,
                    fmt::format("{}: '{}' is not a valid interceptor name (names cannot contain '.')", list_key, name));
      } else if (std::find(names.begin(), names.end(), name) != names.end()) {
        errors_.add(list->line, fmt::format("{}: '{}' is listed twice", list_key, name));
      } else {
        names.push_back(name);
      }
    }
  }
  for (const RawComponent& c : raw) {
    if (std::find(names.begin(), names.end(), c.name) != names.end()) continue;
    // As for components: Flume would ignore it; here it is a mistake worth stopping for.
    std::string where = list != nullptr ? fmt::format(" (line {})", list->line) : std::string();
    errors_.add(c.keys.front().line,
                fmt::format("{}interceptors.{}.{}: interceptor '{}' is configured but not listed in {}{}, so it "
                            "never runs",
                            source_prefix, c.name, c.keys.front().option, c.name, list_key, where));
  }
  std::vector<ComponentConfig> out;
  for (const std::string& name : names) {
    auto it = std::find_if(raw.begin(), raw.end(), [&](const RawComponent& c) { return c.name == name; });
    std::optional<ComponentConfig> c =
        resolve(ComponentKind::interceptor, it == raw.end() ? nullptr : &*it, name,
                fmt::format("{}interceptors.{}.", source_prefix, name), list_key, list->line);
    if (c) out.push_back(std::move(*c));
  }
  return out;
}

void Loader::check_unknown_key(ComponentKind kind, const ComponentSpec& spec, const RawKey& key,
                               const std::string& full_key) {
  const auto& unsupported = spec.flume_options_not_supported;
  if (std::find(unsupported.begin(), unsupported.end(), key.option) != unsupported.end()) {
    // Flume keys whose job a sluice option does differently get a pointer to it.
    std::string_view instead;
    if (key.option == "fsyncPerTransaction" || key.option == "fsyncInterval")
      instead = "; sluice's durability (os or fsync) and groupCommitInterval take its place";
    errors_.add(key.line, fmt::format("{}: Flume's {} is not supported yet by the {} {}{}", full_key, key.option,
                                      spec.type, kind_name(kind), instead));
    return;
  }
  std::vector<std::string> candidates = {"type"};
  for (const std::vector<OptionSpec>* table : {&common_options(kind), &spec.options}) {
    for (const OptionSpec& o : *table) {
      candidates.emplace_back(o.name);
      for (std::string_view alias : o.aliases) candidates.emplace_back(alias);
    }
  }
  std::optional<std::string> hint = closest(key.option, candidates);
  std::string hint_text = hint ? fmt::format(" (did you mean '{}'?)", *hint) : std::string();
  errors_.add(key.line, fmt::format("{}: unknown key for a {} {}{}", full_key, spec.type, kind_name(kind), hint_text));
}

// Wiring between components, from what the file says (so that a component with another error
// still has its references checked, and no error is reported twice).
void Loader::check_references() {
  const Declaration& channels = state(ComponentKind::channel).declared;
  std::string channels_key = list_key(ComponentKind::channel);
  std::string listed = channels.present ? fmt::format("{} lists: {}", channels_key, join(channels.names))
                                        : fmt::format("there is no {} line", channels_key);
  auto check_exists = [&](const std::string& full_key, int line, const std::string& channel) {
    if (!channels.lists(channel)) {
      errors_.add(line, fmt::format("{}: channel '{}' does not exist ({})", full_key, channel, listed));
    }
  };

  const KindState& sources = state(ComponentKind::source);
  for (const std::string& name : sources.declared.names) {
    const RawComponent* raw = sources.find(name);
    const RawKey* k = raw != nullptr ? raw->find("channels") : nullptr;
    if (k == nullptr) continue;
    std::string full_key = fmt::format("{}{}.channels", prefix(ComponentKind::source), name);
    std::vector<std::string> seen;
    for (const std::string& channel : split_list(k->value)) {
      if (std::find(seen.begin(), seen.end(), channel) != seen.end()) {
        errors_.add(k->line, fmt::format("{}: channel '{}' is listed twice", full_key, channel));
        continue;
      }
      seen.push_back(channel);
      check_exists(full_key, k->line, channel);
    }
  }

  const KindState& sinks = state(ComponentKind::sink);
  std::set<std::string> read;
  for (const std::string& name : sinks.declared.names) {
    const RawComponent* raw = sinks.find(name);
    const RawKey* k = raw != nullptr ? raw->find("channel") : nullptr;
    if (k == nullptr) continue;
    std::vector<std::string> names = split_list(k->value);
    if (names.size() != 1) continue;  // reported as a bad value
    read.insert(names[0]);
    check_exists(fmt::format("{}{}.channel", prefix(ComponentKind::sink), name), k->line, names[0]);
  }

  // Sink groups: their sinks exist, each is in one group at most, and a group reads one channel.
  const KindState& groups = state(ComponentKind::sink_group);
  std::map<std::string, std::string> group_of_sink;
  for (const std::string& group : groups.declared.names) {
    const RawComponent* raw = groups.find(group);
    const RawKey* k = raw != nullptr ? raw->find("sinks") : nullptr;
    if (k == nullptr) continue;  // reported as a missing required key
    const std::string full_key = fmt::format("{}{}.sinks", prefix(ComponentKind::sink_group), group);
    std::string channel_of_group;
    for (const std::string& sink : split_list(k->value)) {
      if (!sinks.declared.lists(sink)) {
        errors_.add(k->line, fmt::format("{}: sink '{}' does not exist ({} lists: {})", full_key, sink,
                                         list_key(ComponentKind::sink), join(sinks.declared.names)));
        continue;
      }
      auto [it, inserted] = group_of_sink.emplace(sink, group);
      if (!inserted) {
        errors_.add(k->line,
                    fmt::format("{}: sink '{}' is already in group '{}' (a sink is in one group at most; Flume "
                                "would silently leave it out of one of them)",
                                full_key, sink, it->second));
        continue;
      }
      const RawComponent* sink_raw = sinks.find(sink);
      const RawKey* channel = sink_raw != nullptr ? sink_raw->find("channel") : nullptr;
      if (channel == nullptr) continue;
      if (channel_of_group.empty()) {
        channel_of_group = channel->value;
      } else if (channel->value != channel_of_group) {
        errors_.add(k->line, fmt::format("{}: sink '{}' reads channel '{}', the group's other sinks '{}': a group's "
                                         "sinks read one channel in sluice",
                                         full_key, sink, channel->value, channel_of_group));
      }
    }
  }

  // A channel nobody drains fills up and then stops its sources: a silent outage in the making.
  const KindState& channel_state = state(ComponentKind::channel);
  for (const std::string& name : channels.names) {
    const RawComponent* raw = channel_state.find(name);
    const RawKey* type_key = raw != nullptr ? raw->find("type") : nullptr;
    if (type_key == nullptr || read.count(name) > 0) continue;  // no type: reported already
    errors_.add(type_key->line,
                fmt::format("{}{}.type: channel '{}' is read by no sink (no {}<name>.channel = {}); it would fill "
                            "up and then block its sources",
                            prefix(ComponentKind::channel), name, name, prefix(ComponentKind::sink), name));
  }
}

}  // namespace

Result<AgentConfig> load_agent_config(std::string_view text, std::string_view agent,
                                      std::string_view file_name_for_messages, const Catalog& catalog) {
  Result<std::vector<Property>> properties = parse_properties(text, file_name_for_messages);
  if (!properties.ok()) return properties.error();
  return Loader(agent, file_name_for_messages, catalog).load(properties.value());
}

Result<AgentConfig> load_agent_config_file(const std::string& path, std::string_view agent, const Catalog& catalog) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return make_error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (text.size() > config_file_bytes_max) {
      return make_error(fmt::format("cannot read {}: larger than {} bytes", path, config_file_bytes_max));
    }
    if (n < sizeof buffer) break;
  }
  if (std::ferror(file.get())) return make_error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  return load_agent_config(text, agent, path, catalog);
}

}  // namespace sluice::config
