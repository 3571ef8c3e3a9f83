// Flume's sink processors for sink groups (default, failover, load_balance): their options and
// builders. The processors themselves are sinks/common/sink_group.h.
#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "base/time.h"
#include "server/app/components/component_type.h"
#include "sinks/common/sink_group.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentProblem;
using config::ComponentSpec;
using config::DurationUnit;
using config::OptionType;

int64_t monotonic_ms() { return base::monotonic_ms(); }

size_t member_count(const config::ComponentConfig& g) { return g.get_list("sinks").size(); }

// The members' sinks for a processor; the group's batch is the smallest of theirs (each sink
// takes a batch its own size allows).
std::vector<sinks::GroupMember> take_members(std::vector<GroupMemberSink>& members, BuiltSink& group) {
  std::vector<sinks::GroupMember> out;
  group.batch_events_max = members.front().built.batch_events_max;
  for (GroupMemberSink& m : members) {
    group.batch_events_max = std::min(group.batch_events_max, m.built.batch_events_max);
    out.push_back({m.name, m.type, std::move(m.built.sink), 0});
  }
  return out;
}

// --- default ---

std::vector<ComponentProblem> check_default(const config::ComponentConfig& g) {
  if (member_count(g) <= 1) return {};
  return {{"sinks",
           "the default processor runs one sink; for several choose processor.type failover or "
           "load_balance (sinks outside any group already share their channel's events)"}};
}

ComponentSpec default_spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink_group,
      .type = "default",
      .type_aliases = {"org.apache.flume.sink.DefaultSinkProcessor"},
      .description = "One sink, as if it had no group.",
      .check = check_default,
  };
}

Result<BuiltSink> build_default(const config::ComponentConfig&, std::vector<GroupMemberSink> members) {
  return std::move(members.front().built);
}

// --- failover ---

// The priority.<sink> keys: integers, for the group's sinks, none given twice.
std::vector<ComponentProblem> check_failover(const config::ComponentConfig& g) {
  std::vector<ComponentProblem> problems;
  const std::vector<std::string>& sinks = g.get_list("sinks");
  std::vector<std::pair<int64_t, std::string>> seen;
  for (const auto& [sink, value] : g.get_prefixed("processor.priority.")) {
    const std::string key = "processor.priority." + sink;
    int64_t priority = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), priority);
    if (ec != std::errc() || end != value.data() + value.size()) {
      problems.push_back({key, fmt::format("expected an integer, got '{}'", value)});
    } else if (std::find(sinks.begin(), sinks.end(), sink) == sinks.end()) {
      problems.push_back({key, fmt::format("sink '{}' is not in the group (sinks: {})", sink, fmt::join(sinks, ", "))});
    } else {
      for (const auto& [p, other] : seen)
        if (p == priority)
          problems.push_back({key, fmt::format("priority {} is also sink {}'s: Flume would silently never use one "
                                               "of them; give each sink its own",
                                               priority, other)});
      seen.emplace_back(priority, sink);
    }
  }
  return problems;
}

ComponentSpec failover_spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink_group,
      .type = "failover",
      .type_aliases = {"org.apache.flume.sink.FailoverSinkProcessor"},
      .description =
          "Every batch to the sink of highest priority that works. A sink whose delivery fails sits out "
          "min(maxpenalty, 1 s << its consecutive failures) and the batch goes to the next; once its time is "
          "up it is tried first again. Sinks without a priority rank below those with one, in the order of "
          "the group's sinks key (Flume ranks them -1, -2, ... in hash order).",
      .options = {{.name = "processor.priority.",
                   .type = OptionType::prefixed,
                   .description = "processor.priority.<sink> = an integer; higher goes first."},
                  {.name = "processor.maxpenalty",
                   .type = OptionType::duration,
                   .default_value = "30000",
                   .description = "The longest a failed sink sits out.",
                   .min = 1,
                   .unit = DurationUnit::milliseconds}},
      .check = check_failover,
  };
}

Result<BuiltSink> build_failover(const config::ComponentConfig& g, std::vector<GroupMemberSink> members) {
  const config::KeyValues& priorities = g.get_prefixed("processor.priority.");
  BuiltSink out;
  std::vector<sinks::GroupMember> group = take_members(members, out);
  for (size_t i = 0; i < group.size(); ++i) {
    // Unset priorities rank below every set one, in the sinks key's order.
    group[i].priority = std::numeric_limits<int32_t>::min() - static_cast<int64_t>(i);
    for (const auto& [sink, value] : priorities)
      if (sink == group[i].name) std::from_chars(value.data(), value.data() + value.size(), group[i].priority);
  }
  auto failover = std::make_unique<sinks::FailoverSinks>(g.name(), std::move(group),
                                                         g.get_duration_ms("processor.maxpenalty"), &monotonic_ms);
  out.description = fmt::format("sink group {} (failover): {}, active {}", g.name(),
                                fmt::join(g.get_list("sinks"), ", "), failover->active());
  out.sink = std::move(failover);
  return out;
}

// --- load_balance ---

std::vector<ComponentProblem> check_load_balance(const config::ComponentConfig& g) {
  if (member_count(g) >= 2) return {};
  return {{"sinks", "load_balance needs two sinks or more"}};
}

ComponentSpec load_balance_spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink_group,
      .type = "load_balance",
      .type_aliases = {"org.apache.flume.sink.LoadBalancingSinkProcessor"},
      .description =
          "Batches spread over the sinks: round_robin moves the first sink to try on by one each batch, "
          "random shuffles them; a failed batch goes to the next sink. With backoff, a failed sink sits "
          "out min(maxTimeOut, 1 s << its consecutive failures).",
      .options = {{.name = "processor.backoff",
                   .type = OptionType::boolean,
                   .default_value = "false",
                   .description = "Leave failed sinks out for a while."},
                  {.name = "processor.selector",
                   .type = OptionType::enumeration,
                   .default_value = "round_robin",
                   .description = "round_robin or random (Flume's custom selector classes are not supported).",
                   .values = {"round_robin", "random"}},
                  {.name = "processor.selector.maxTimeOut",
                   .type = OptionType::duration,
                   .default_value = "30000",
                   .description = "With backoff: the longest a failed sink sits out.",
                   .min = 1,
                   .unit = DurationUnit::milliseconds}},
      .check = check_load_balance,
  };
}

Result<BuiltSink> build_load_balance(const config::ComponentConfig& g, std::vector<GroupMemberSink> members) {
  BuiltSink out;
  std::vector<sinks::GroupMember> group = take_members(members, out);
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) seed = base::monotonic_ms();
  out.sink = std::make_unique<sinks::LoadBalancedSinks>(
      g.name(), std::move(group), g.get_enum("processor.selector") == "random", g.get_bool("processor.backoff"),
      g.get_duration_ms("processor.selector.maxTimeOut"), &monotonic_ms, seed);
  out.description =
      fmt::format("sink group {} (load_balance, {}{}): {}", g.name(), g.get_enum("processor.selector"),
                  g.get_bool("processor.backoff") ? ", backoff" : "", fmt::join(g.get_list("sinks"), ", "));
  return out;
}

}  // namespace

ComponentType default_sink_processor_type() { return {default_spec(), &build_default}; }
ComponentType failover_sink_processor_type() { return {failover_spec(), &build_failover}; }
ComponentType load_balance_sink_processor_type() { return {load_balance_spec(), &build_load_balance}; }

}  // namespace sluice::app
