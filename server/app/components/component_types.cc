#include "server/app/components/component_type.h"

#include "base/assert.h"

namespace sluice::app {

ComponentType::ComponentType(config::ComponentSpec spec, SourceBuilder build) : spec_(std::move(spec)), build_(build) {
  SLUICE_ASSERT(spec_.kind == config::ComponentKind::source && build != nullptr, "a source type needs its builder");
}

ComponentType::ComponentType(config::ComponentSpec spec, ChannelBuilder build) : spec_(std::move(spec)), build_(build) {
  SLUICE_ASSERT(spec_.kind == config::ComponentKind::channel && build != nullptr, "a channel type needs its builder");
}

ComponentType::ComponentType(config::ComponentSpec spec, SinkBuilder build) : spec_(std::move(spec)), build_(build) {
  SLUICE_ASSERT(spec_.kind == config::ComponentKind::sink && build != nullptr, "a sink type needs its builder");
}

ComponentType::ComponentType(config::ComponentSpec spec, InterceptorBuilder build)
    : spec_(std::move(spec)), build_(build) {
  SLUICE_ASSERT(spec_.kind == config::ComponentKind::interceptor && build != nullptr,
                "an interceptor type needs its builder");
}

ComponentType::ComponentType(config::ComponentSpec spec, SinkGroupBuilder build)
    : spec_(std::move(spec)), build_(build) {
  SLUICE_ASSERT(spec_.kind == config::ComponentKind::sink_group && build != nullptr,
                "a sink processor type needs its builder");
}

const std::vector<ComponentType>& component_types() {
  static const std::vector<ComponentType> types = [] {
    std::vector<ComponentType> all;
    all.push_back(syslog_tcp_source_type());
    all.push_back(syslog_udp_source_type());
    all.push_back(http_source_type());
    all.push_back(avro_source_type());
    all.push_back(seq_source_type());
    all.push_back(netcat_source_type());
    all.push_back(netcat_udp_source_type());
    all.push_back(taildir_source_type());
    all.push_back(memory_channel_type());
    all.push_back(file_channel_type());
    all.push_back(file_roll_sink_type());
    all.push_back(kafka_sink_type());
    all.push_back(avro_sink_type());
    all.push_back(hdfs_sink_type());
    all.push_back(logger_sink_type());
    all.push_back(null_sink_type());
    all.push_back(timestamp_interceptor_type());
    all.push_back(host_interceptor_type());
    all.push_back(static_interceptor_type());
    all.push_back(remove_header_interceptor_type());
    all.push_back(uuid_interceptor_type());
    all.push_back(search_replace_interceptor_type());
    all.push_back(regex_filter_interceptor_type());
    all.push_back(regex_extractor_interceptor_type());
    all.push_back(default_sink_processor_type());
    all.push_back(failover_sink_processor_type());
    all.push_back(load_balance_sink_processor_type());
    return all;
  }();
  return types;
}

const config::Catalog& component_catalog() {
  static const config::Catalog catalog = [] {
    std::vector<const config::ComponentSpec*> specs;
    for (const ComponentType& t : component_types()) specs.push_back(&t.spec());
    return config::Catalog(std::move(specs));
  }();
  return catalog;
}

const ComponentType& component_type_of(const config::ComponentConfig& c) {
  for (const ComponentType& t : component_types())
    if (&t.spec() == &c.spec()) return t;
  SLUICE_UNREACHABLE("a component configured from another catalog than component_catalog()");
}

}  // namespace sluice::app
