// The netcat and netcatudp sources (Flume's NetcatSource and NetcatUdpSource: text lines over
// TCP, one event per datagram over UDP): their options and their builders.
#include <liburing.h>
#include <netinet/in.h>

#include <memory>

#include <fmt/format.h>

#include "ringbuf/record.h"
#include "server/app/assembly.h"
#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"
#include "server/sources/netcat_source.h"
#include "server/sources/netcat_udp_source.h"

namespace sluice::app {
namespace {

using config::bind_option;
using config::ComponentKind;
using config::ComponentSpec;
using config::DurationUnit;
using config::kMiB;
using config::max_connections_option;
using config::OptionType;
using config::port_option;
using config::send_timeout_option;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "netcat",
      .type_aliases = {"org.apache.flume.source.NetcatSource"},
      .description =
          "Flume's netcat source: text lines over TCP (nc, telnet, a script), one event per line; only "
          "LF ends a line and a CR before it stays in the body, as in Flume. With ack-every-event each "
          "line is answered OK once stored (durable, for a channel in fsync mode). A line over "
          "max-line-length is answered FAILED and the connection closed, as in Flume. Unlike Flume, "
          "a full channel stops reading the connection (the line is stored late, never answered FAILED "
          "and lost), and a last line without LF at the end of the stream is stored.",
      .options =
          {
              bind_option(),
              port_option(),
              {.name = "max-line-length",
               .type = OptionType::integer,
               .default_value = "512",
               .description = "The longest line, its LF included, in bytes (Flume counts chars: the same for "
                              "ASCII).",
               .min = 2,
               .max = 16 * kMiB},
              {.name = "ack-every-event",
               .type = OptionType::boolean,
               .default_value = "true",
               .description = "Answer \"OK\\n\" to each line once it is stored."},
              {.name = "encoding",
               .type = OptionType::enumeration,
               .default_value = "utf-8",
               .description = "The text's charset; bodies are its bytes as received.",
               .values = {"utf-8"},
               .values_not_supported = {"utf-16", "utf-16be", "utf-16le", "iso-8859-1", "us-ascii"}},
              max_connections_option(),
              {.name = "idleTimeout",
               .type = OptionType::duration,
               .default_value = "10m",
               .description = "sluice: close a connection that sent nothing for this long (a line begun is "
                              "stored first; counted as an idle timeout); 0 never does. Flume has no such limit.",
               .min = 0,
               .unit = DurationUnit::seconds},
              send_timeout_option(),
          },
  };
}

Status build_netcat_source(const config::ComponentConfig& c, Assembly& assembly) {
  auto o = std::make_unique<sources::NetcatSourceOptions>();
  o->name = c.name();
  o->host = c.get_string("bind");
  o->port = static_cast<uint16_t>(c.get_int("port"));
  o->max_line_bytes = static_cast<size_t>(c.get_int("max-line-length"));
  o->ack_every_event = c.get_bool("ack-every-event");
  o->connections_max = static_cast<uint32_t>(c.get_int("maxConnections"));
  o->idle_timeout_ms = c.get_duration_ms("idleTimeout");
  o->send_timeout_ms = c.get_duration_ms("sendTimeout");
  const size_t body_max = o->max_line_bytes - 1;
  if (Status s = assembly.check_record_size(c, "max-line-length", body_max, ringbuf::record_size({}, body_max)); !s)
    return s;
  auto writers = assembly.writers_of(c);
  if (!writers.ok()) return writers.error();
  std::vector<int> fds;
  if (Status s = assembly.open_listeners(c, base::Transport::tcp, o->host, o->port, fds); !s) return s;
  const sources::NetcatSourceOptions& options = assembly.keep(std::move(o));
  for (uint32_t shard = 0; shard < assembly.shards(); ++shard) {
    auto& probe = assembly.add_source_probe(options.name, "netcat", shard);
    assembly.add_shard_source(
        shard, std::make_unique<sources::NetcatSource>(options, fds[shard], std::move(writers.value()[shard]), probe));
  }
  return {};
}

ComponentSpec udp_spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "netcatudp",
      .type_aliases = {"org.apache.flume.source.NetcatUdpSource"},
      .description =
          "Flume's netcatudp source: one event per UDP datagram, its body the bytes before the first LF "
          "(the LF and the rest of the datagram are dropped, as in Flume); nothing is answered. A "
          "datagram a full channel refuses is dropped and counted (UDP cannot push back).",
      .options =
          {
              bind_option(),
              port_option(),
              {.name = "remoteAddress",
               .description = "A header name: the sender's address goes there as Java prints it "
                              "(\"/127.0.0.1:54321\"). Unset: no header (Flume's guide calls it "
                              "remoteAddressHeader; the code reads remoteAddress).",
               .aliases = {"remoteAddressHeader"}},
          },
  };
}

Status build_netcat_udp_source(const config::ComponentConfig& c, Assembly& assembly) {
  auto o = std::make_unique<sources::NetcatUdpSourceOptions>();
  o->name = c.name();
  o->host = c.get_string("bind");
  o->port = static_cast<uint16_t>(c.get_int("port"));
  o->remote_address_header = c.get_string("remoteAddress");
  const ringbuf::Header address{o->remote_address_header,
                                std::string_view("/[0000:0000:0000:0000:0000:0000:0000:0000]:65535")};
  const size_t record_max =
      ringbuf::record_size(std::span<const ringbuf::Header>(&address, o->remote_address_header.empty() ? 0 : 1),
                           sources::kNetcatUdpPayloadMax);
  if (Status s = assembly.check_record_size(c, "port", sources::kNetcatUdpPayloadMax, record_max); !s) return s;
  // Room for the largest datagram, the recvmsg header and the sender's address.
  assembly.need_datagram_buffers(
      static_cast<uint32_t>(sources::kNetcatUdpPayloadMax + sizeof(io_uring_recvmsg_out) + sizeof(sockaddr_in6) + 64));
  auto writers = assembly.writers_of(c);
  if (!writers.ok()) return writers.error();
  std::vector<int> fds;
  if (Status s = assembly.open_listeners(c, base::Transport::udp, o->host, o->port, fds); !s) return s;
  const sources::NetcatUdpSourceOptions& options = assembly.keep(std::move(o));
  for (uint32_t shard = 0; shard < assembly.shards(); ++shard) {
    auto& probe = assembly.add_source_probe(options.name, "netcatudp", shard);
    assembly.add_shard_source(shard, std::make_unique<sources::NetcatUdpSource>(
                                         options, fds[shard], std::move(writers.value()[shard]), probe));
  }
  return {};
}

}  // namespace

ComponentType netcat_source_type() { return {spec(), &build_netcat_source}; }
ComponentType netcat_udp_source_type() { return {udp_spec(), &build_netcat_udp_source}; }

}  // namespace sluice::app
