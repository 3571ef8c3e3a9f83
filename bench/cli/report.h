// The end-of-run summary: client-side totals and, when the server's metrics could be read,
// what the server accepted. Printed as text for people or as one JSON object for scripts.
//
// Threads: pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

struct RunSummary {
  std::string subcommand;  // "syslog"
  std::string transport;   // "tcp", "udp"
  std::string target;      // "127.0.0.1:5514"
  std::string framing;     // "octet", "lf"; empty where it does not apply (UDP)
  uint32_t connections = 0;
  uint64_t size = 0;         // message bytes, framing excluded
  uint64_t rate_target = 0;  // events/s; 0: unlimited
  double duration_target_s = 0;
  uint64_t count_target = 0;  // 0: none
  uint64_t events_sent = 0;
  uint64_t bytes_sent = 0;    // framing included
  double elapsed_s = 0;
  std::string stop_reason;    // "duration", "count", "interrupted", "error"
  // Set when the server's metrics were read before and after the run.
  std::optional<uint64_t> server_events_accepted;
  std::optional<double> server_events_per_s;  // from the first send to the last increase seen
  std::optional<double> server_window_s;      // that span
  std::string server_note;  // why the server numbers are missing or may be off
  std::vector<std::string> errors;
  std::vector<std::string> warnings;

  double events_per_s() const { return elapsed_s > 0 ? static_cast<double>(events_sent) / elapsed_s : 0; }
  double mb_per_s() const { return elapsed_s > 0 ? static_cast<double>(bytes_sent) / 1e6 / elapsed_s : 0; }
};

std::string format_summary_text(const RunSummary& summary);
// One line: a JSON object with a fixed set of fields; missing server numbers are null.
std::string format_summary_json(const RunSummary& summary);

// "12,345,678"
std::string group_thousands(uint64_t value);
// A JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace sluice::bench
