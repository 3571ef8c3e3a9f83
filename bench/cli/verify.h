// `sluice-bench verify`: reads what a sink wrote (text files, a Kafka topic), feeds every
// event's marker into a SequenceLedger and reports loss, duplicates and order per connection.
//
// Threads: main thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bench/cli/sequence_ledger.h"
#include "bench/cli/verify_options.h"

namespace sluice::bench {

struct VerifyReport {
  uint64_t files = 0;
  uint64_t files_compressed = 0;
  uint32_t partitions = 0;
  uint64_t events_read = 0;     // lines and records
  uint64_t without_marker = 0;  // of those, the ones with no conn=/seq= marker
  bool expectation = false;     // lost counts against what was sent, not only the gaps
  std::vector<ConnectionTally> connections;
  std::vector<std::string> warnings;

  // The sums over every connection (lost_ranges and conn are left empty).
  ConnectionTally total() const;
};

// Reads every input; an error when one cannot be read (exit status 3).
Result<VerifyReport> verify_inputs(const VerifyOptions& options);

std::string format_verify_text(const VerifyReport& report);
// One line: a JSON object.
std::string format_verify_json(const VerifyReport& report);

// The subcommand; returns the exit status (0 nothing lost, 1 lost, 2 usage, 3 unreadable input).
int run_verify(std::span<const std::string_view> args);

}  // namespace sluice::bench
