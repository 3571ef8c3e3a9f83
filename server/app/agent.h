// The running agent: channels, sinks (each on its own thread), shards (each on its own core)
// with their sources, and the admin endpoint, built from one AgentConfig.
//
// Threads: build(), start(), stop() and the accessors are for the main thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/admin/admin_server.h"
#include "base/fd_budget.h"
#include "ringbuf/channel.h"
#include "server/app/shard.h"
#include "base/metrics.h"
#include "base/result.h"
#include "server/config/agent_config.h"
#include "base/net.h"
#include "server/sources/avro_source.h"
#include "server/sources/http_source.h"
#include "server/sources/source_probe.h"
#include "server/sources/syslog_ingest.h"
#include "sinks/common/sink_runner.h"

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
  const base::MetricsRegistry& metrics() const { return metrics_; }

 private:
  Agent(const config::AgentConfig& config, const AgentOptions& options);
  Status build_channels();
  Status build_sinks();
  Status build_sources();
  Status build_syslog_source(const config::ComponentConfig& c);
  Status build_http_source(const config::ComponentConfig& c);
  Status build_avro_source(const config::ComponentConfig& c);
  std::vector<ringbuf::Channel*> channels_of(const config::ComponentConfig& c);
  static std::vector<ringbuf::Log*> logs_of(const std::vector<ringbuf::Channel*>& channels, uint32_t shard);
  // Fails unless every channel of the source can hold a record of `record_bytes`.
  Status check_record_size(const config::ComponentConfig& c, std::string_view option, uint64_t event_bytes,
                           uint64_t record_bytes);
  // One SO_REUSEPORT socket per shard on the source's address (after checking nobody else has it).
  Status open_listeners(const config::ComponentConfig& c, base::Transport transport, const std::string& host,
                        uint16_t port, std::vector<int>& fds);
  void register_metrics();
  // Sizes the budget of descriptors for accepted connections from the limit and what is open
  // now (the channels' segments, the listeners, the sinks' sockets), and logs it.
  void budget_connection_fds();
  std::string status_page() const;

  const config::AgentConfig& config_;
  const AgentOptions options_;
  std::vector<std::unique_ptr<ringbuf::Channel>> channels_;
  std::vector<std::unique_ptr<sinks::SinkRunner>> sink_runners_;
  std::vector<std::unique_ptr<sources::SyslogSourceOptions>> syslog_options_;
  std::vector<std::unique_ptr<sources::HttpSourceOptions>> http_options_;
  std::vector<std::unique_ptr<sources::AvroSourceOptions>> avro_options_;
  std::vector<std::unique_ptr<sources::HttpProbe>> http_probes_;
  std::vector<std::unique_ptr<sources::SourceProbe>> source_probes_;
  // Per shard, the sources' parts built for it (moved into the shard on start()).
  std::vector<std::vector<std::unique_ptr<sources::ShardSource>>> shard_sources_;
  // Before shards_: their connections give descriptors back to it as they are deleted.
  base::FdBudget connection_fds_;
  uint64_t open_files_limit_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<admin::AdminServer> admin_;
  base::MetricsRegistry metrics_;
  std::vector<std::string> descriptions_;
  uint32_t datagram_buffer_bytes_ = 0;
  int64_t started_ms_ = 0;
  bool started_ = false;
};

}  // namespace sluice::app
