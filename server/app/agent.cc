#include "server/app/agent.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "base/logger.h"
#include "base/time.h"
#include "ringbuf/checkpoint.h"
#include "server/app/components/component_type.h"

namespace sluice::app {
namespace {

std::vector<int> available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

}  // namespace

Agent::Agent(const config::AgentConfig& config, const AgentOptions& options)
    : config_(config), options_(options), parts_(options.shards) {}

Agent::~Agent() {
  if (started_) stop();
}

Result<std::unique_ptr<Agent>> Agent::build(const config::AgentConfig& config, const AgentOptions& options) {
  SLUICE_ASSERT(options.shards >= 1, "at least one shard");
  std::unique_ptr<Agent> agent(new Agent(config, options));
  if (Status s = agent->build_channels(); !s) return Error{s.message()};
  if (Status s = agent->build_sinks(); !s) return Error{s.message()};
  if (Status s = agent->build_sources(); !s) return Error{s.message()};
  agent->register_metrics();
  return agent;
}

Status Agent::build_channels() {
  for (const config::ComponentConfig& c : config_.channels) {
    ringbuf::ChannelOptions o;
    o.name = c.name();
    o.type = std::string(c.type());
    o.capacity_bytes = c.get_bytes("byteCapacity");
    o.capacity_events = static_cast<uint64_t>(c.get_int("capacity"));
    o.shards = options_.shards;
    // One reader, whatever number of sinks read the channel: they share its events, as in
    // Flume. It is named after the first of them, so that adding a sink keeps the position.
    std::vector<std::string> sinks_reading;
    for (const auto& s : config_.sinks)
      if (s.get_string("channel") == c.name()) sinks_reading.push_back(s.name());
    o.readers.push_back(sinks_reading.front());
    warn_if_shared(c.name(), sinks_reading);
    uint64_t segment = c.get_bytes("segmentSize");
    if (segment % 8 != 0)
      return make_error(fmt::format("{}: segmentSize must be a multiple of 8", c.locate("segmentSize")));
    o.segment_bytes = static_cast<uint32_t>(segment);  // the tables cap it at 1 GiB
    auto channel = component_type_of(c).channel_builder()(c, std::move(o));
    if (!channel.ok()) return Error{channel.error().message};
    parts_.channels().push_back(std::move(channel).value());
  }
  return {};
}

void Agent::warn_if_shared(const std::string& channel, const std::vector<std::string>& sinks) const {
  std::vector<std::string> alone;
  for (const std::string& sink : sinks)
    if (config_.group_of(sink) == nullptr) alone.push_back(sink);
  if (alone.size() < 2) return;
  base::log_warn(
      "channel {} is read by sinks {} outside any group: they share its events, each delivered by one of them, "
      "as in Flume (earlier sluice versions gave each sink every event; for a copy per sink give each its own channel, "
      "and the source a replicating selector)",
      channel, fmt::join(alone, ", "));
}

// A channel's consumers are its sinks outside groups and its groups, each one SinkRunner.
Status Agent::build_sinks() {
  struct Consumer {
    std::string name, type;
    BuiltSink built;
  };
  std::vector<std::vector<Consumer>> consumers(parts_.channels().size());
  auto channel_index = [&](const config::ComponentConfig& sink) {
    size_t index = 0;
    while (parts_.channels()[index]->name() != sink.get_string("channel")) ++index;
    return index;
  };
  std::vector<std::string> grouped;
  for (const config::ComponentConfig& c : config_.sinks) {
    const config::ComponentConfig* group = config_.group_of(c.name());
    if (group == nullptr) {
      auto built = component_type_of(c).sink_builder()(c, options_.shards);
      if (!built.ok()) return Error{built.error().message};
      parts_.describe(std::move(built->description));
      consumers[channel_index(c)].push_back({c.name(), std::string(c.type()), std::move(built).value()});
      continue;
    }
    if (std::find(grouped.begin(), grouped.end(), group->name()) != grouped.end()) continue;
    grouped.push_back(group->name());
    std::vector<GroupMemberSink> members;
    for (const std::string& name : group->get_list("sinks")) {
      const config::ComponentConfig& member = *config_.find(config::ComponentKind::sink, name);
      auto built = component_type_of(member).sink_builder()(member, options_.shards);
      if (!built.ok()) return Error{built.error().message};
      if (built->sink->pipelined() && group->get_list("sinks").size() > 1)
        return make_error(
            fmt::format("sink group {}: sink {} ({}) keeps events in flight and cannot be in a group "
                        "with other sinks; outside a group, sinks on one channel share its events",
                        group->name(), name, member.type()));
      parts_.describe(std::move(built->description));
      members.push_back({name, std::string(member.type()), std::move(built).value()});
    }
    auto built = component_type_of(*group).sink_group_builder()(*group, std::move(members));
    if (!built.ok()) return Error{built.error().message};
    parts_.describe(std::move(built->description));
    consumers[channel_index(c)].push_back({group->name(), std::string(group->type()), std::move(built).value()});
  }

  for (size_t index = 0; index < consumers.size(); ++index) {
    ringbuf::Channel& channel = *parts_.channels()[index];
    std::vector<sinks::SharedLogReader*> shared;
    if (consumers[index].size() > 1) {
      for (uint32_t shard = 0; shard < options_.shards; ++shard)
        shared.push_back(&parts_.keep(std::make_unique<sinks::SharedLogReader>(channel.log(shard).reader(0))));
      parts_.metrics().add([shared, name = channel.name()](base::MetricsWriter& out) {
        uint64_t redelivered = 0;
        for (const auto* r : shared) redelivered += r->redelivered_events();
        out.counter("sluice_channel_redelivered_events_total",
                    "Events one of the channel's sinks gave back (it failed and stopped) and another took again.",
                    {{"component", name}}, redelivered);
      });
    }
    for (Consumer& consumer : consumers[index]) {
      sinks::SinkRunnerOptions runner;
      runner.name = consumer.name;
      runner.type = consumer.type;
      runner.batch_events_max = consumer.built.batch_events_max;
      std::vector<std::unique_ptr<sinks::EventPort>> ports;
      for (uint32_t shard = 0; shard < options_.shards; ++shard) {
        if (shared.empty()) ports.push_back(std::make_unique<sinks::DirectPort>(channel.log(shard).reader(0)));
        else ports.push_back(shared[shard]->port());
      }
      parts_.sink_runners().push_back(std::make_unique<sinks::SinkRunner>(
          std::move(runner), std::move(consumer.built.sink), std::move(ports), &channel.doorbell()));
    }
  }
  return {};
}

Status Agent::build_sources() {
  for (const config::ComponentConfig& c : config_.sources) {
    if (Status s = component_type_of(c).source_builder()(c, parts_); !s) return s;
  }
  return {};
}

void Agent::register_metrics() {
  base::MetricsRegistry& metrics = parts_.metrics();
  for (auto& ch : parts_.channels()) metrics.add([c = ch.get()](base::MetricsWriter& out) { c->collect(out); });
  for (auto& runner : parts_.sink_runners())
    metrics.add([r = runner.get()](base::MetricsWriter& out) { r->collect(out); });
  for (auto& probe : parts_.source_probes())
    metrics.add([p = probe.get()](base::MetricsWriter& out) { p->collect(out); });
  metrics.add([this](base::MetricsWriter& out) {
    out.gauge("sluice_shards", "Shards (threads with their own io_uring) running.", {},
              static_cast<double>(options_.shards));
    out.gauge("sluice_uptime_seconds", "Seconds since start.", {},
              static_cast<double>(base::realtime_ms() - started_ms_) / 1000.0);
    out.gauge("sluice_process_open_files_limit", "The soft RLIMIT_NOFILE the process runs with.", {},
              static_cast<double>(open_files_limit_));
    out.gauge("sluice_process_connection_fds",
              "Descriptors held by accepted connections of all sources (the rest of the limit is kept "
              "for channels, sinks and the admin endpoint).",
              {}, static_cast<double>(connection_fds_.in_use()));
    out.gauge("sluice_process_connection_fds_max", "The most descriptors accepted connections may hold.", {},
              static_cast<double>(connection_fds_.capacity()));
  });
}

void Agent::budget_connection_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  open_files_limit_ = limit.rlim_cur;
  const uint64_t open_now = base::count_open_fds();
  const uint64_t reserve =
      options_.fd_reserve >= 0 ? static_cast<uint64_t>(options_.fd_reserve) : base::fd_reserve(limit.rlim_cur);
  connection_fds_.set_capacity(base::connection_fd_capacity(limit.rlim_cur, open_now, reserve));
  base::log_info(
      "open files: limit {}, {} open; accepted connections may hold {}, {} kept for channels, sinks "
      "and the admin endpoint",
      limit.rlim_cur, open_now, connection_fds_.capacity(), reserve);
}

Status Agent::start() {
  started_ms_ = base::realtime_ms();
  for (auto& runner : parts_.sink_runners()) {
    Status opened = runner->open();
    if (!opened) return make_error(fmt::format("sink {}: {}", runner->name(), opened.message()));
  }
  for (auto& runner : parts_.sink_runners()) runner->start();
  started_ = true;
  budget_connection_fds();

  std::vector<int> cpus = available_cpus();
  for (uint32_t i = 0; i < options_.shards; ++i) {
    ShardOptions so;
    so.id = i;
    so.cpu = options_.pin_shards && !cpus.empty() ? cpus[i % cpus.size()] : -1;
    so.datagram_buffer_bytes = parts_.datagram_buffer_bytes();
    so.connection_fds = &connection_fds_;
    std::vector<ringbuf::Log*> logs;
    std::vector<std::unique_ptr<LogDurability>> durability;
    for (auto& ch : parts_.channels()) {
      logs.push_back(&ch->log(i));
      if (ch->durable()) durability.push_back(std::make_unique<LogDurability>(*ch, i));
    }
    shards_.push_back(
        std::make_unique<Shard>(so, parts_.take_shard_sources(i), std::move(logs), std::move(durability)));
    Status s = shards_.back()->start();
    if (!s) return s;
  }

  if (options_.admin_enabled) {
    admin::AdminOptions ao;
    ao.host = options_.admin_host;
    ao.port = options_.admin_port;
    auto server = admin::AdminServer::start(ao, parts_.metrics(), [this] { return status_page(); });
    if (!server.ok()) return Error{server.error().message + " (use --admin HOST:PORT or --no-admin)"};
    admin_ = std::move(server).value();
    parts_.describe(fmt::format("admin endpoint on http://{}:{}/ (metrics at /metrics)", ao.host, admin_->port()));
  }
  return {};
}

bool Agent::stop() {
  if (!started_) return true;
  started_ = false;
  // Sources first: once every shard has stopped, every log is closed and sinks can tell that
  // they have read everything.
  for (auto& shard : shards_) shard->request_stop();
  for (auto& shard : shards_) shard->join();
  // Logs of shards that never started (a failed start) must be closed too, or sinks would wait.
  for (auto& ch : parts_.channels())
    for (uint32_t i = static_cast<uint32_t>(shards_.size()); i < options_.shards; ++i) ch->log(i).close();

  for (auto& runner : parts_.sink_runners()) runner->request_drain();
  const int64_t deadline = base::monotonic_ms() + options_.drain_timeout_ms;
  bool drained = true;
  for (auto& runner : parts_.sink_runners()) {
    while (!runner->finished() && base::monotonic_ms() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!runner->finished()) drained = false;
  }
  if (!drained) {
    base::MetricsWriter w;
    for (auto& ch : parts_.channels()) ch->collect(w);
    base::log_error("sinks did not drain the channels within {} ms; {} events are left undelivered",
                    options_.drain_timeout_ms, static_cast<uint64_t>(w.sum("sluice_channel_size_events")));
    for (auto& runner : parts_.sink_runners()) runner->request_abort();
  }
  for (auto& runner : parts_.sink_runners()) runner->join();
  // Every sink has stopped: save where each got to, so that a restart repeats nothing.
  for (auto& ch : parts_.channels()) ch->finish();
  if (admin_) admin_->stop();
  return drained;
}

std::vector<std::string> Agent::describe() const { return parts_.descriptions(); }

std::string Agent::status_page() const {
  std::string page = fmt::format("sluice agent '{}' from {}, {} shard(s), up {} s\n\n", config_.agent,
                                 config_.file_name, options_.shards, (base::realtime_ms() - started_ms_) / 1000);
  for (const auto& line : parts_.descriptions()) page += line + "\n";
  base::MetricsWriter w;
  parts_.metrics().collect_all(w);
  page += fmt::format("\nevents accepted: {}\nevents delivered by sinks: {}\nevents in channels: {}\n",
                      static_cast<uint64_t>(w.sum("sluice_source_accepted_events_total")),
                      static_cast<uint64_t>(w.sum("sluice_sink_drained_events_total")),
                      static_cast<uint64_t>(w.sum("sluice_channel_size_events")));
  return page;
}

}  // namespace sluice::app
