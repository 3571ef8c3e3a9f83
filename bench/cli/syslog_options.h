// Options of `sluice-bench syslog`: the option table, its --help text and the checks of their
// combinations (framing is TCP only, a message must hold its fixed part, a UDP message must
// fit a datagram).
//
// Threads: main thread, at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "bench/cli/options.h"
#include "bench/cli/size_distribution.h"
#include "bench/cli/syslog_message.h"

namespace sluice::bench {

enum class Transport : uint8_t { tcp, udp };

inline constexpr size_t kUdpMessageBytesMax = 65'507;  // IPv4 UDP payload limit
inline constexpr size_t kTcpMessageBytesMax = 1u << 20;

struct SyslogOptions {
  LoadOptions load;
  Transport transport = Transport::tcp;
  Endpoint target;
  size_t message_bytes = 200;
  std::optional<SizeDistribution> size_dist;              // --size-dist; message_bytes is not used then
  SyslogFraming framing = SyslogFraming::octet_counting;  // SyslogFraming::none for UDP
};

struct SyslogCommand {
  bool help = false;  // --help was asked for; nothing else is set
  SyslogOptions options;
};

Result<SyslogCommand> parse_syslog_options(std::span<const std::string_view> args);
std::string syslog_usage();

std::string_view transport_name(Transport transport);
std::string_view framing_name(SyslogFraming framing);  // "octet", "lf", "" for none

}  // namespace sluice::bench
