// What the component builders (server/app/components/) assemble while Agent::build runs: the
// channels, the sink runners, each shard's sources and what those sources keep referring to
// (their options, probes), plus the lines that describe them. The Agent owns one and runs it.
//
// Threads: main thread only (built before any shard or sink thread starts).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "base/net.h"
#include "base/result.h"
#include "ringbuf/channel.h"
#include "server/config/agent_config.h"
#include "server/sources/event_writer.h"
#include "server/sources/shard_context.h"
#include "server/sources/source_probe.h"
#include "sinks/common/sink_runner.h"

namespace sluice::app {

class Assembly {
 public:
  explicit Assembly(uint32_t shards) : shards_(shards), shard_sources_(shards) {}
  Assembly(const Assembly&) = delete;
  Assembly& operator=(const Assembly&) = delete;

  uint32_t shards() const { return shards_; }

  // --- For source builders ---

  // The channels a source writes to (its `channels` key), in that order.
  std::vector<ringbuf::Channel*> channels_of(const config::ComponentConfig& c) const;
  // Each channel's log on `shard`.
  static std::vector<ringbuf::Log*> logs_of(const std::vector<ringbuf::Channel*>& channels, uint32_t shard);
  // What the source writes through on each shard: its interceptor chain (built here, one per
  // shard, kept alive by the assembly) and its channels' logs. Fails when an interceptor
  // cannot be built, naming it.
  Result<std::vector<sources::EventWriter>> writers_of(const config::ComponentConfig& c);
  // Fails unless every channel of the source can hold a record of `record_bytes`.
  Status check_record_size(const config::ComponentConfig& c, std::string_view option, uint64_t event_bytes,
                           uint64_t record_bytes) const;
  // One SO_REUSEPORT socket per shard on the source's address (after checking nobody else has
  // it), and the line that describes the source.
  Status open_listeners(const config::ComponentConfig& c, base::Transport transport, const std::string& host,
                        uint16_t port, std::vector<int>& fds);
  // Keeps `object` (a source's options, say) alive as long as the agent; returns it.
  template <class T>
  T& keep(std::unique_ptr<T> object) {
    T& kept = *object;
    kept_.push_back(std::shared_ptr<T>(std::move(object)));
    return kept;
  }
  // A new probe (registered for /metrics) for the source `name` of `type` on `shard`.
  sources::SourceProbe& add_source_probe(const std::string& name, std::string_view type, uint32_t shard);
  void add_shard_source(uint32_t shard, std::unique_ptr<sources::ShardSource> source);
  // Datagram sources need provided buffers of at least `bytes` on every shard.
  void need_datagram_buffers(uint32_t bytes);

  // --- For every builder ---

  void describe(std::string line) { descriptions_.push_back(std::move(line)); }
  base::MetricsRegistry& metrics() { return metrics_; }

  // --- For the agent ---

  std::vector<std::unique_ptr<ringbuf::Channel>>& channels() { return channels_; }
  std::vector<std::unique_ptr<sinks::SinkRunner>>& sink_runners() { return sink_runners_; }
  // Moved into the shards when they start.
  std::vector<std::unique_ptr<sources::ShardSource>> take_shard_sources(uint32_t shard) {
    return std::move(shard_sources_.at(shard));
  }
  const std::vector<std::unique_ptr<sources::SourceProbe>>& source_probes() const { return source_probes_; }
  const std::vector<std::string>& descriptions() const { return descriptions_; }
  const base::MetricsRegistry& metrics() const { return metrics_; }
  uint32_t datagram_buffer_bytes() const { return datagram_buffer_bytes_; }

 private:
  const uint32_t shards_;
  // In the order they may be destroyed: what refers to something is declared after it.
  std::vector<std::unique_ptr<ringbuf::Channel>> channels_;
  std::vector<std::unique_ptr<sinks::SinkRunner>> sink_runners_;
  std::vector<std::shared_ptr<void>> kept_;
  std::vector<std::unique_ptr<sources::SourceProbe>> source_probes_;
  std::vector<std::vector<std::unique_ptr<sources::ShardSource>>> shard_sources_;
  std::vector<std::string> descriptions_;
  base::MetricsRegistry metrics_;
  uint32_t datagram_buffer_bytes_ = 0;
};

}  // namespace sluice::app
