// Options of `sluice-bench http`: the option table, its --help text and the checks of their
// combinations.
//
// Threads: main thread, at start-up.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "bench/cli/http_request.h"
#include "bench/cli/options.h"

namespace sluice::bench {

inline constexpr uint32_t kPipelineMax = 64;

struct HttpOptions {
  LoadOptions load;
  RequestOptions request;
  HttpUrl url;
  HttpFormat format = HttpFormat::json;
  bool gzip = false;
  uint32_t pipeline = 1;  // requests in flight per connection
};

struct HttpCommand {
  bool help = false;  // --help was asked for; nothing else is set
  HttpOptions options;
};

Result<HttpCommand> parse_http_options(std::span<const std::string_view> args);
std::string http_usage();

}  // namespace sluice::bench
