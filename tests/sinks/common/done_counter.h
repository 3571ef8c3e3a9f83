// A DoneCallback for tests of pipelined sinks: counts what a sink reports done, per shard, and
// what it reports rejected for good. One test thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sinks/common/sink.h"

namespace sluice::sinks::testing {

struct DoneCounter final : DoneCallback {
  std::map<uint32_t, size_t> done_by_shard;
  size_t total = 0;
  size_t rejected_total = 0;
  std::string last_rejection;
  void done(uint32_t shard, size_t count) override {
    done_by_shard[shard] += count;
    total += count;
  }
  void rejected(size_t count, std::string_view why) override {
    rejected_total += count;
    last_rejection = why;
  }
};

}  // namespace sluice::sinks::testing
