#include "server/config/selector.h"

#include <algorithm>

#include <fmt/format.h>

#include "server/config/agent_config.h"

namespace sluice::config {

std::vector<OptionSpec> selector_options() {
  return {
      {.name = "selector.type",
       .type = OptionType::enumeration,
       .default_value = "replicating",
       .description = "How events are spread over the channels: replicating writes each event to every channel "
                      "(but optional ones, best effort); multiplexing chooses by a header's value; "
                      "load_balancing writes each event to one channel in turn (Flume 1.10+; Flume's own "
                      "properties loader refuses it). Flume's class names work too.",
       .values = {"replicating", "multiplexing", "load_balancing",
                  "org.apache.flume.channel.ReplicatingChannelSelector",
                  "org.apache.flume.channel.MultiplexingChannelSelector",
                  "org.apache.flume.channel.LoadBalancingChannelSelector"}},
      {.name = "selector.optional",
       .type = OptionType::list,
       .description = "replicating: channels written to when they can take the event; one that is full or "
                      "failing never holds up or fails the others (counted in "
                      "sluice_source_optional_dropped_events_total)."},
      {.name = "selector.header",
       .default_value = "flume.selector.header",
       .description = "multiplexing: the header whose value chooses the channels."},
      {.name = "selector.default",
       .type = OptionType::list,
       .description = "multiplexing: the channels of an event whose header is missing or has no mapping. "
                      "Without it such events go nowhere, as in Flume (counted in "
                      "sluice_source_unrouted_events_total)."},
      {.name = "selector.mapping.",
       .type = OptionType::prefixed,
       .description = "multiplexing: selector.mapping.<value> = the channels of events whose header has that value."},
      {.name = "selector.optional.",
       .type = OptionType::prefixed,
       .description = "multiplexing: selector.optional.<value> = channels also written to, best effort, for that "
                      "value (those already required are left out)."},
      {.name = "selector.policy",
       .type = OptionType::enumeration,
       .default_value = "round_robin",
       .description = "load_balancing: round_robin takes the channels in turn, event by event; random picks one.",
       .values = {"round_robin", "random"}},
  };
}

namespace {

SelectorType type_of(std::string_view canonical) {
  if (canonical == "multiplexing" || canonical.ends_with("MultiplexingChannelSelector"))
    return SelectorType::multiplexing;
  if (canonical == "load_balancing" || canonical.ends_with("LoadBalancingChannelSelector"))
    return SelectorType::load_balancing;
  return SelectorType::replicating;
}

std::string_view type_name(SelectorType t) {
  switch (t) {
    case SelectorType::replicating: return "replicating";
    case SelectorType::multiplexing: return "multiplexing";
    case SelectorType::load_balancing: return "load_balancing";
  }
  return {};
}

}  // namespace

SelectorSpec parse_selector(const ComponentConfig& source, std::vector<ComponentProblem>* problems) {
  auto problem = [&](std::string key, std::string message) {
    if (problems) problems->push_back({std::move(key), std::move(message)});
  };
  SelectorSpec out;
  out.type = type_of(source.get_enum("selector.type"));
  const std::vector<std::string>& channels = source.get_list("channels");

  // Keys that belong to another selector type are a mistake worth stopping for (Flume would
  // ignore them).
  struct Owned {
    std::string_view option;
    SelectorType type;
  };
  for (const Owned& o :
       {Owned{"selector.optional", SelectorType::replicating}, Owned{"selector.header", SelectorType::multiplexing},
        Owned{"selector.default", SelectorType::multiplexing}, Owned{"selector.mapping.", SelectorType::multiplexing},
        Owned{"selector.optional.", SelectorType::multiplexing},
        Owned{"selector.policy", SelectorType::load_balancing}}) {
    if (!source.is_set(o.option) || o.type == out.type) continue;
    std::string key(o.option);
    if (key.ends_with('.')) key = key + source.get_prefixed(o.option).front().first;
    problem(key,
            fmt::format("belongs to the {} selector, but selector.type is {}", type_name(o.type), type_name(out.type)));
  }

  // A list of the source's channels, each once.
  auto channel_list = [&](const std::string& key, const std::vector<std::string>& names) {
    std::vector<std::string> checked;
    for (const std::string& name : names) {
      if (std::find(channels.begin(), channels.end(), name) == channels.end()) {
        problem(key,
                fmt::format("channel '{}' is not one of the source's channels ({})", name, fmt::join(channels, ", ")));
      } else if (std::find(checked.begin(), checked.end(), name) != checked.end()) {
        problem(key, fmt::format("channel '{}' is listed twice", name));
      } else {
        checked.push_back(name);
      }
    }
    return checked;
  };

  switch (out.type) {
    case SelectorType::replicating:
      out.optional = channel_list("selector.optional", source.get_list("selector.optional"));
      break;
    case SelectorType::load_balancing: out.random = source.get_enum("selector.policy") == "random"; break;
    case SelectorType::multiplexing: {
      out.header = source.get_string("selector.header");
      out.default_channels = channel_list("selector.default", source.get_list("selector.default"));
      for (const auto& [value, list] : source.get_prefixed("selector.mapping.")) {
        SelectorMapping m{.value = value};
        m.required = channel_list("selector.mapping." + value, split_list(list));
        if (m.required.empty() && split_list(list).empty()) problem("selector.mapping." + value, "lists no channel");
        out.mappings.push_back(std::move(m));
      }
      for (const auto& [value, list] : source.get_prefixed("selector.optional.")) {
        auto it = std::find_if(out.mappings.begin(), out.mappings.end(),
                               [&](const SelectorMapping& m) { return m.value == value; });
        if (it == out.mappings.end()) {
          // Optional channels for a value without a mapping: its required channels are the default.
          out.mappings.push_back(SelectorMapping{.value = value, .required = out.default_channels});
          it = out.mappings.end() - 1;
        }
        for (std::string& name : channel_list("selector.optional." + value, split_list(list))) {
          if (std::find(it->required.begin(), it->required.end(), name) == it->required.end())
            it->optional.push_back(std::move(name));
        }
      }
      break;
    }
  }
  return out;
}

}  // namespace sluice::config
