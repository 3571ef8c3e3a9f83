// The running agent: channels, sinks (each on its own thread), shards (each on its own core)
// with their sources, and the admin endpoint, built from one AgentConfig. Each component is
// made by its type's builder (server/app/components/) into an Assembly; the agent owns it and
// runs the lifecycle: start, drain, stop.
//
// Threads: build(), start(), stop() and the accessors are for the main thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/fd_budget.h"
#include "base/metrics.h"
#include "base/result.h"
#include "server/admin/admin_server.h"
#include "server/app/assembly.h"
#include "server/app/shard.h"
#include "server/config/agent_config.h"

namespace sluice::app {

struct AgentOptions {
  uint32_t shards = 1;
  bool pin_shards = true;
  bool admin_enabled = true;
  std::string admin_host = "127.0.0.1";
  uint16_t admin_port = 9595;
  // How long SIGTERM waits for the sinks to drain the channels before giving up.
  int64_t drain_timeout_ms = 30'000;
  // Descriptors kept back from accepted connections; -1: base::fd_reserve() of the limit.
  int64_t fd_reserve = -1;
};

class Agent {
 public:
  // Validates what the config cannot check alone (sizes against each other), opens every
  // listening socket and prepares every component. Nothing runs yet.
  static Result<std::unique_ptr<Agent>> build(const config::AgentConfig& config, const AgentOptions& options);
  ~Agent();

  // Opens the sinks, starts the sink threads, the shards and the admin endpoint.
  Status start();
  // Graceful stop: sources stop reading, sinks drain the channels (up to drain_timeout_ms),
  // everything is joined. Returns false when the drain timed out (events were left behind).
  bool stop();

  // One line per source, sink and endpoint: what listens where, where output goes.
  std::vector<std::string> describe() const;
  const base::MetricsRegistry& metrics() const { return parts_.metrics(); }

 private:
  Agent(const config::AgentConfig& config, const AgentOptions& options);
  Status build_channels();
  Status build_sinks();
  // Logs a warning when several sinks outside groups share `channel` (they used to get every event).
  void warn_if_shared(const std::string& channel, const std::vector<std::string>& sinks) const;
  Status build_sources();
  void register_metrics();
  // Sizes the budget of descriptors for accepted connections from the limit and what is open
  // now (the channels' segments, the listeners, the sinks' sockets), and logs it.
  void budget_connection_fds();
  std::string status_page() const;

  const config::AgentConfig& config_;
  const AgentOptions options_;
  // Channels, sink runners and the sources' per-shard parts (moved into the shards on start()).
  Assembly parts_;
  // Before shards_: their connections give descriptors back to it as they are deleted.
  base::FdBudget connection_fds_;
  uint64_t open_files_limit_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<admin::AdminServer> admin_;
  int64_t started_ms_ = 0;
  bool started_ = false;
};

}  // namespace sluice::app
