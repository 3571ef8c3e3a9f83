// Options of `sluice-bench verify`: where to read (text files and directories, or a Kafka
// topic), what was sent (optional), and the output format.
//
// Threads: main thread, at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bench/cli/kafka_event_reader.h"

namespace sluice::bench {

struct VerifyOptions {
  std::vector<std::string> files;  // files and directories
  bool include_in_use = false;     // read *.tmp files found in directories too
  std::optional<KafkaInputOptions> kafka;
  // Events sent per connection (connection i sent sequence numbers 0 .. expected[i] - 1);
  // nullopt: unknown, loss is judged from the gaps alone.
  std::optional<std::vector<uint64_t>> expected;
  bool json = false;
};

struct VerifyCommand {
  bool help = false;  // --help was asked for; nothing else is set
  VerifyOptions options;
};

Result<VerifyCommand> parse_verify_options(std::span<const std::string_view> args);
std::string verify_usage();

}  // namespace sluice::bench
