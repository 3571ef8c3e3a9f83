// `sluice-bench syslog`: RFC 5424 load over TCP (octet-counted or LF-framed) or UDP.
//
// Each connection sends from its own pre-built MessageBuffer on its own thread: TCP with large
// send()s over whole runs of messages, UDP with sendmmsg() batches of one datagram per message.
// Between passes over the buffer only the sequence digits are patched.
//
// Threads: run_syslog() on the main thread.
#pragma once

#include <span>
#include <string_view>

namespace sluice::bench {

// The whole subcommand: arguments after "syslog"; returns the process exit status.
int run_syslog(std::span<const std::string_view> args);

}  // namespace sluice::bench
