// The syslogtcp and syslogudp sources (Flume's SyslogTcpSource and SyslogUDPSource): their
// options and their builder.
#include <netinet/in.h>

#include <algorithm>

#include <fmt/format.h>
#include <liburing.h>

#include "protocols/syslog/syslog_event.h"
#include "server/app/assembly.h"
#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"
#include "server/sources/syslog_ingest.h"
#include "server/sources/syslog_tcp_source.h"
#include "server/sources/syslog_udp_source.h"

namespace sluice::app {
namespace {

using config::client_ip_header_option;
using config::ComponentKind;
using config::ComponentSpec;
using config::DurationUnit;
using config::event_size_option;
using config::host_option;
using config::keep_fields_option;
using config::kMiB;
using config::max_connections_option;
using config::OptionType;
using config::port_option;
using config::syslog_headers_option;

ComponentSpec tcp_spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "syslogtcp",
      .type_aliases = {"org.apache.flume.source.SyslogTcpSource"},
      .description =
          "Syslog over TCP: RFC 5424 and RFC 3164 messages, one per line or framed by "
          "octet counting (RFC 6587).",
      .options = {host_option(),
                  port_option(),
                  event_size_option("64k", 16 * kMiB),
                  keep_fields_option(),
                  client_ip_header_option(),
                  syslog_headers_option(),
                  max_connections_option(),
                  {.name = "idleTimeout",
                   .type = OptionType::duration,
                   .default_value = "10m",
                   .description = "sluice: close a connection that sent nothing for this long (a "
                                  "message begun is kept, as at the end of a stream; counted as an "
                                  "idle timeout); 0 never does. Flume has no such limit.",
                   .min = 0,
                   .unit = DurationUnit::seconds}},
      .flume_options_not_supported = {"clientHostnameHeader", "ssl", "keystore", "keystore-password", "keystore-type",
                                      "exclude-protocols", "include-protocols", "exclude-cipher-suites",
                                      "include-cipher-suites"},
  };
}

ComponentSpec udp_spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "syslogudp",
      .type_aliases = {"org.apache.flume.source.SyslogUDPSource"},
      .description =
          "Syslog over UDP: one RFC 5424 or RFC 3164 message per datagram. eventSize "
          "defaults to the largest UDP payload, 65507 bytes.",
      .options = {host_option(), port_option(), event_size_option("65507", 65507), keep_fields_option(),
                  client_ip_header_option(), syslog_headers_option()},
      .flume_options_not_supported = {"clientHostnameHeader"},
  };
}

// A syslog event's record can hold the message twice (header values are substrings of it, and
// the body is at most the message) plus fixed overhead.
size_t syslog_record_bytes_max(size_t event_bytes_max, size_t client_ip_header_bytes) {
  return 2 * event_bytes_max + client_ip_header_bytes + 1024;
}

Status build_syslog_source(const config::ComponentConfig& c, Assembly& assembly) {
  auto o = std::make_unique<sources::SyslogSourceOptions>();
  o->name = c.name();
  o->type = std::string(c.type());
  o->host = c.get_string("host");
  o->port = static_cast<uint16_t>(c.get_int("port"));
  o->event_bytes_max = c.get_bytes("eventSize");
  auto keep = syslog::parse_keep_fields(c.get_string("keepFields"));
  if (!keep.ok()) return make_error(fmt::format("{}: {}", c.locate("keepFields"), keep.error().message));
  o->event.keep_fields = keep.value();
  o->event.syslog_headers = c.get_bool("syslogHeaders");
  o->event.client_ip_header = c.get_string("clientIPHeader");
  o->event.body_bytes_max = o->event_bytes_max;
  const bool tcp = c.type() == "syslogtcp";
  if (tcp) {
    o->connections_max = static_cast<uint32_t>(c.get_int("maxConnections"));
    o->idle_timeout_ms = c.get_duration_ms("idleTimeout");
  }
  if (Status s =
          assembly.check_record_size(c, "eventSize", o->event_bytes_max,
                                     syslog_record_bytes_max(o->event_bytes_max, o->event.client_ip_header.size()));
      !s)
    return s;
  if (!tcp) {
    // Room for the datagram, the recvmsg header and the sender's address.
    assembly.need_datagram_buffers(static_cast<uint32_t>(std::min<uint64_t>(o->event_bytes_max, 65507) +
                                                         sizeof(io_uring_recvmsg_out) + sizeof(sockaddr_in6) + 64));
  }
  auto writers = assembly.writers_of(c);
  if (!writers.ok()) return writers.error();
  std::vector<int> fds;
  if (Status s = assembly.open_listeners(c, tcp ? base::Transport::tcp : base::Transport::udp, o->host, o->port, fds);
      !s)
    return s;
  const sources::SyslogSourceOptions& options = assembly.keep(std::move(o));
  for (uint32_t shard = 0; shard < assembly.shards(); ++shard) {
    auto& probe = assembly.add_source_probe(options.name, options.type, shard);
    auto writer = std::move(writers.value()[shard]);
    if (tcp)
      assembly.add_shard_source(
          shard, std::make_unique<sources::SyslogTcpSource>(options, fds[shard], std::move(writer), probe));
    else
      assembly.add_shard_source(
          shard, std::make_unique<sources::SyslogUdpSource>(options, fds[shard], std::move(writer), probe));
  }
  return {};
}

}  // namespace

ComponentType syslog_tcp_source_type() { return {tcp_spec(), &build_syslog_source}; }
ComponentType syslog_udp_source_type() { return {udp_spec(), &build_syslog_source}; }

}  // namespace sluice::app
