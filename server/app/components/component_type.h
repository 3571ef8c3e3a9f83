// A component type: its option table and its builder, made together in one file per type
// under server/app/components/ (as a Vector component's config builds the component). A
// ComponentType can only be made from both, so a type the config accepts always has a builder.
//
// Threads: the types are made once, on first use of component_types(); builders run on the
// main thread while the agent is built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "ringbuf/channel.h"
#include "server/config/agent_config.h"
#include "server/config/catalog.h"
#include "server/config/schema.h"
#include "server/interceptors/interceptor.h"
#include "sinks/common/sink.h"
#include "sinks/common/sink_runner.h"

namespace sluice::app {

class Assembly;

// Builds a source of `c` on every shard into `assembly` (listeners, per-shard parts, probes).
using SourceBuilder = Status (*)(const config::ComponentConfig& c, Assembly& assembly);

// Completes `common` (name, capacities, readers, shards and segmentSize, set by the agent for
// every channel) with what the type needs, checks it and opens the channel.
using ChannelBuilder = Result<std::unique_ptr<ringbuf::Channel>> (*)(const config::ComponentConfig& c,
                                                                     ringbuf::ChannelOptions common);

// A sink as its builder makes it; the agent runs it in a SinkRunner.
struct BuiltSink {
  std::unique_ptr<sinks::Sink> sink;
  size_t batch_events_max = sinks::SinkRunnerOptions{}.batch_events_max;  // the type's batch-size key
  std::string description;                                                // for the start-up log and the status page
};
using SinkBuilder = Result<BuiltSink> (*)(const config::ComponentConfig& c, uint32_t shards);

// A sink of a group, as its own builder made it.
struct GroupMemberSink {
  std::string name;
  std::string type;
  BuiltSink built;
};
// Makes the group's members one sink (its processor), which the agent runs in one SinkRunner.
using SinkGroupBuilder = Result<BuiltSink> (*)(const config::ComponentConfig& group,
                                               std::vector<GroupMemberSink> members);

// Builds one shard's instance of an interceptor (called once per shard, on the main thread).
using InterceptorBuilder = Result<std::unique_ptr<interceptors::Interceptor>> (*)(const config::ComponentConfig& c,
                                                                                  uint32_t shard);

class ComponentType {
 public:
  ComponentType(config::ComponentSpec spec, SourceBuilder build);
  ComponentType(config::ComponentSpec spec, ChannelBuilder build);
  ComponentType(config::ComponentSpec spec, SinkBuilder build);
  ComponentType(config::ComponentSpec spec, InterceptorBuilder build);
  ComponentType(config::ComponentSpec spec, SinkGroupBuilder build);

  const config::ComponentSpec& spec() const { return spec_; }
  // The builder of the type's kind (asserts the kind).
  SourceBuilder source_builder() const { return std::get<SourceBuilder>(build_); }
  ChannelBuilder channel_builder() const { return std::get<ChannelBuilder>(build_); }
  SinkBuilder sink_builder() const { return std::get<SinkBuilder>(build_); }
  InterceptorBuilder interceptor_builder() const { return std::get<InterceptorBuilder>(build_); }
  SinkGroupBuilder sink_group_builder() const { return std::get<SinkGroupBuilder>(build_); }

 private:
  config::ComponentSpec spec_;
  std::variant<SourceBuilder, ChannelBuilder, SinkBuilder, InterceptorBuilder, SinkGroupBuilder> build_;
};

// Every type sluice has, in documentation order (component_types.cc lists them).
const std::vector<ComponentType>& component_types();
// Their option tables, for the config loader and the reference.
const config::Catalog& component_catalog();
// The type a loaded component was configured as (its spec came from component_catalog()).
const ComponentType& component_type_of(const config::ComponentConfig& c);

// --- One function per type, each defined in its own file next to its builder ---
ComponentType syslog_tcp_source_type();
ComponentType syslog_udp_source_type();
ComponentType http_source_type();
ComponentType avro_source_type();
ComponentType seq_source_type();
ComponentType netcat_source_type();
ComponentType netcat_udp_source_type();
ComponentType taildir_source_type();
ComponentType memory_channel_type();
ComponentType file_channel_type();
ComponentType file_roll_sink_type();
ComponentType kafka_sink_type();
ComponentType avro_sink_type();
ComponentType hdfs_sink_type();
ComponentType logger_sink_type();
ComponentType null_sink_type();
ComponentType timestamp_interceptor_type();
ComponentType host_interceptor_type();
ComponentType static_interceptor_type();
ComponentType remove_header_interceptor_type();
ComponentType uuid_interceptor_type();
ComponentType search_replace_interceptor_type();
ComponentType regex_filter_interceptor_type();
ComponentType regex_extractor_interceptor_type();
ComponentType default_sink_processor_type();
ComponentType failover_sink_processor_type();
ComponentType load_balance_sink_processor_type();

}  // namespace sluice::app
