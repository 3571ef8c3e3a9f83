// Which of a source's channels each event is written to (Flume's channel selectors), as masks
// over the source's channel logs in the order of its `channels` key: every required channel
// takes the event or the write waits or fails as a whole; optional channels take it when they
// can. Built from the selector's config (server/config/selector.h) with channel indexes.
//
// Threads: one per source per shard (load_balancing keeps its turn there), built on the main
// thread and then used only by that shard's thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/record.h"

namespace sluice::sources {

struct ChannelChoice {
  ringbuf::LogMask required = 0;
  ringbuf::LogMask optional = 0;
};

class ChannelSelector {
 public:
  enum class Type : uint8_t { replicating, multiplexing, load_balancing };
  struct Mapping {
    std::string value;
    ChannelChoice choice;
  };
  struct Options {
    Type type = Type::replicating;
    uint32_t channels = 1;  // how many logs the masks are over
    // replicating: the optional channels (the rest are required).
    ringbuf::LogMask optional = 0;
    // multiplexing.
    std::string header;
    std::vector<Mapping> mappings;
    ChannelChoice default_choice;  // no header, or no mapping for its value
    // load_balancing.
    bool random = false;
  };

  ChannelSelector(Options options, uint64_t seed);

  // The channels of one event (after the source's interceptors).
  ChannelChoice select(std::span<const ringbuf::Header> headers) {
    switch (options_.type) {
      case Type::replicating: return fixed_;
      case Type::multiplexing: return by_header(headers);
      case Type::load_balancing: return {next_channel(), 0};
    }
    return fixed_;
  }
  // Every event gets the same choice (replicating): the writer's fast path.
  bool fixed() const { return options_.type == Type::replicating; }
  const ChannelChoice& fixed_choice() const { return fixed_; }
  // Channels some event may require: what acknowledgements wait on.
  ringbuf::LogMask may_require() const;
  const Options& options() const { return options_; }

 private:
  ChannelChoice by_header(std::span<const ringbuf::Header> headers) const;
  ringbuf::LogMask next_channel();

  const Options options_;
  ChannelChoice fixed_;
  uint32_t turn_ = 0;
  uint64_t random_state_;
};

}  // namespace sluice::sources
