// The configuration sluice runs when started without -f: syslog on UDP and TCP port 5514 into a
// durable file channel under ./var/channel, written as JSON lines under ./var/out. `sluice --print-default-config`
// prints it as a starting point for a file of one's own.
#pragma once

#include <string_view>

namespace sluice::app {

inline constexpr std::string_view kDefaultAgentName = "sluice";

inline constexpr std::string_view kDefaultConfig = R"(# sluice's embedded default configuration (agent "sluice").
sluice.sources = syslog_udp syslog_tcp
sluice.channels = channel
sluice.sinks = files

# Syslog over UDP and TCP (RFC 3164 and RFC 5424; TCP with LF or octet-counting framing).
sluice.sources.syslog_udp.type = syslogudp
sluice.sources.syslog_udp.host = 0.0.0.0
sluice.sources.syslog_udp.port = 5514
sluice.sources.syslog_udp.channels = channel

sluice.sources.syslog_tcp.type = syslogtcp
sluice.sources.syslog_tcp.host = 0.0.0.0
sluice.sources.syslog_tcp.port = 5514
sluice.sources.syslog_tcp.channels = channel

# A file channel: what was accepted survives a restart (and, with durability fsync, a power cut);
# sinks resume where they stopped.
sluice.channels.channel.type = file
sluice.channels.channel.dataDirs = ./var/channel
sluice.channels.channel.durability = fsync

# One JSON object per event (headers and body), a new file every 30 seconds.
sluice.sinks.files.type = file_roll
sluice.sinks.files.channel = channel
sluice.sinks.files.sink.directory = ./var/out
sluice.sinks.files.sink.serializer = json
sluice.sinks.files.sink.rollInterval = 30
)";

}  // namespace sluice::app
