// Option definitions that several component types share, so that each reads the same
// everywhere (the tables that use them are under server/app/components/).
#include "server/config/option_blocks.h"

#include <string>

#include "base/ip_filter.h"

namespace sluice::config {

// --- Checks beyond the type ---

// Flume's keepFields: none|all (true|false, deprecated) or a list of header fields to keep.
std::string check_keep_fields(std::string_view value) {
  static constexpr std::string_view kExpected = "none, all, or a list of priority, version, timestamp, hostname";
  std::vector<std::string> words = split_list(value);
  if (words.empty()) return std::string(kExpected);
  if (words.size() == 1) {
    for (std::string_view whole : {"none", "all", "true", "false"}) {
      if (equals_ignoring_case(words[0], whole)) return {};
    }
  }
  for (const std::string& w : words) {
    bool known = false;
    for (std::string_view field : {"priority", "version", "timestamp", "hostname"}) {
      known = known || equals_ignoring_case(w, field);
    }
    if (!known) return std::string(kExpected);
  }
  return {};
}

std::string check_ip_filter_rules(std::string_view value) {
  if (value.empty()) return {};  // only needed with ipFilter = true; the agent checks that
  auto rules = base::parse_ip_filter_rules(value);
  return rules.ok() ? std::string() : "rules like allow:ip:127.*,deny:ip:* (" + rules.error().message + ")";
}

// --- Options shared by several types ---

OptionSpec host_option() {
  return {.name = "host", .default_value = "0.0.0.0", .description = "Address to listen on."};
}

// Flume's name for the listening address of the http and avro sources (host is accepted too).
OptionSpec bind_option() {
  return {.name = "bind", .default_value = "0.0.0.0", .description = "Address to listen on.", .aliases = {"host"}};
}

OptionSpec max_connections_option() {
  return {.name = "maxConnections",
          .type = OptionType::integer,
          .default_value = "10000",
          .description = "Most open connections, per shard.",
          .min = 1,
          .max = 1'000'000};
}

// The stream layer's timeout for answers a client does not read (http, avro).
OptionSpec send_timeout_option() {
  return {.name = "sendTimeout",
          .type = OptionType::duration,
          .default_value = "30s",
          .description =
              "sluice: close a connection whose answers made no progress for this long "
              "(the client does not read them; counted as a send timeout); 0 never does.",
          .min = 0,
          .unit = DurationUnit::seconds};
}

OptionSpec port_option() {
  return {.name = "port",
          .type = OptionType::integer,
          .description = "Port to listen on.",
          .required = true,
          .min = 1,
          .max = 65535};
}

OptionSpec event_size_option(std::string_view default_value, int64_t max) {
  return {.name = "eventSize",
          .type = OptionType::bytes,
          .default_value = default_value,
          .description =
              "Longest message accepted; a longer one is truncated to this size and marked "
              "Incomplete in the flume.syslog.status header. Flume's default is 2500.",
          .min = 64,
          .max = max};
}

OptionSpec keep_fields_option() {
  return {.name = "keepFields",
          .default_value = "none",
          .description =
              "Parts of the syslog header kept at the start of the body: none, all, or a "
              "space-separated list of priority, version, timestamp, hostname. Flume's "
              "deprecated true and false mean all and none.",
          .check = check_keep_fields};
}

OptionSpec client_ip_header_option() {
  return {.name = "clientIPHeader",
          .description =
              "Header to store the client's IP address in; none when empty. Do not use a "
              "syslog header name such as host: it would be overwritten."};
}

OptionSpec syslog_headers_option() {
  return {.name = "syslogHeaders",
          .type = OptionType::boolean,
          .default_value = "true",
          .description =
              "sluice: store the RFC 5424 app-name, procid, msgid and structured data as the "
              "headers syslog.appname, syslog.procid, syslog.msgid and syslog.sd."};
}

// The file_roll and HDFS JSON serializers' rule for bodies that are not UTF-8 (sinks/common/utf8.h).
OptionSpec invalid_utf8_option(std::string_view name) {
  return {.name = name,
          .type = OptionType::enumeration,
          .default_value = "replace",
          .description =
              "sluice, JSON only: a body that is not valid UTF-8 is written with U+FFFD "
              "(replace) or, to keep its bytes, as \"bodyBase64\" with the base64 of the "
              "raw body in place of \"body\" (base64). Headers are always replaced.",
          .values = {"replace", "base64"}};
}

}  // namespace sluice::config
