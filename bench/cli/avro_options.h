// Options of `sluice-bench avro`: the option table, its --help text and the checks of their
// combinations.
//
// Threads: main thread, at start-up.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "bench/cli/options.h"

namespace sluice::bench {

struct AvroOptions {
  LoadOptions load;
  RequestOptions request;
  Endpoint target;
  bool deflate = false;  // Flume's compression-type = deflate
};

struct AvroCommand {
  bool help = false;  // --help was asked for; nothing else is set
  AvroOptions options;
};

Result<AvroCommand> parse_avro_options(std::span<const std::string_view> args);
std::string avro_usage();

}  // namespace sluice::bench
