// Option definitions shared by several component types' tables (server/app/components/), and
// the checks they use. Pure functions: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/config/schema.h"

namespace sluice::config {

inline constexpr int64_t kKiB = int64_t{1} << 10;
inline constexpr int64_t kMiB = int64_t{1} << 20;
inline constexpr int64_t kGiB = int64_t{1} << 30;

// Flume's keepFields: none|all (true|false, deprecated) or a list of header fields to keep.
std::string check_keep_fields(std::string_view value);
// Flume's ipFilterRules syntax (base/ip_filter.h).
std::string check_ip_filter_rules(std::string_view value);

// host (0.0.0.0): the syslog sources' listening address.
OptionSpec host_option();
// bind (0.0.0.0, also host): Flume's name for the http and avro sources' listening address.
OptionSpec bind_option();
// maxConnections per shard (10000).
OptionSpec max_connections_option();
// sendTimeout (30s): the stream layer's timeout for answers a client does not read.
OptionSpec send_timeout_option();
// port: required, 1 to 65535.
OptionSpec port_option();
// eventSize of the syslog sources.
OptionSpec event_size_option(std::string_view default_value, int64_t max);
OptionSpec keep_fields_option();
OptionSpec client_ip_header_option();
OptionSpec syslog_headers_option();
// The JSON serializers' rule for bodies that are not UTF-8, under the key `name`.
OptionSpec invalid_utf8_option(std::string_view name);

}  // namespace sluice::config
