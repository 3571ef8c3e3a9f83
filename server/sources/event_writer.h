// Where a source's decoded events go on one shard: through the source's interceptor chain, when
// it has one, then to the channels its selector chooses: every required channel or none (the
// batch waits or fails as a whole), then the optional ones where they have room.
//
// Threads: one per source per shard, used only by that shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "server/interceptors/chain.h"
#include "server/sources/channel_selector.h"

namespace sluice::sources {

class EventWriter {
 public:
  // Implicit on purpose: a source without interceptors or selector is given just its logs,
  // every one of them required.
  EventWriter(std::vector<ringbuf::Log*> logs, interceptors::Chain* chain = nullptr,  // NOLINT
              ChannelSelector* selector = nullptr);

  std::span<ringbuf::Log* const> logs() const { return logs_; }
  // The logs an acknowledgement waits on: those some event may be required in (an optional
  // channel's failure must never hold up an answer).
  std::span<ringbuf::Log* const> acknowledged_logs() const { return acknowledged_logs_; }

  struct Written {
    // none: every event the interceptors kept is stored in each of its required channels.
    // Otherwise nothing of the batch is stored and the caller may offer it again later.
    ringbuf::AppendRefusal refusal = ringbuf::AppendRefusal::none;
    // Meaningful when refusal is none:
    size_t filtered = 0;          // events the interceptors dropped
    size_t unrouted = 0;          // events the selector sent nowhere (multiplexing, no default)
    size_t optional_dropped = 0;  // copies an optional channel could not take
  };

  // Writes a batch; its events' bytes must stay put until this returns.
  Written write(std::span<const ringbuf::PreparedEvent> events, int64_t now_ms);

 private:
  Written write_fixed(std::span<const ringbuf::PreparedEvent> events, Written out);
  Written write_routed(std::span<const ringbuf::PreparedEvent> events, Written out);

  std::vector<ringbuf::Log*> logs_;
  interceptors::Chain* chain_;
  ChannelSelector* selector_;
  std::vector<ringbuf::Log*> required_logs_;      // a fixed selector's required logs
  ringbuf::LogMask fixed_optional_ = 0;           // and its optional ones
  std::vector<ringbuf::Log*> acknowledged_logs_;  // see acknowledged_logs()
  // Scratch for routed writes, capacity kept between batches.
  std::vector<ringbuf::LogMask> required_masks_, optional_masks_;
};

}  // namespace sluice::sources
