// Where a source's decoded events go on one shard: through the source's interceptor chain, when
// it has one, then into every channel log of the source, all or none.
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

namespace sluice::sources {

class EventWriter {
 public:
  // Implicit on purpose: a source without interceptors is given just its logs.
  EventWriter(std::vector<ringbuf::Log*> logs, interceptors::Chain* chain = nullptr)  // NOLINT
      : logs_(std::move(logs)), chain_(chain) {}

  std::span<ringbuf::Log* const> logs() const { return logs_; }

  struct Written {
    // none: every event the interceptors kept is stored (in every log). Otherwise nothing of the
    // batch is stored and the caller may offer the same batch again later.
    ringbuf::AppendRefusal refusal = ringbuf::AppendRefusal::none;
    // Events the interceptors dropped (meaningful when refusal is none).
    size_t filtered = 0;
  };

  // Writes a batch; its events' bytes must stay put until this returns.
  Written write(std::span<const ringbuf::PreparedEvent> events, int64_t now_ms) {
    Written out;
    if (chain_ != nullptr) {
      std::span<const ringbuf::PreparedEvent> kept = chain_->run(events, now_ms);
      out.filtered = events.size() - kept.size();
      events = kept;
    }
    if (events.size() == 1) {
      // One syslog message: the cheaper single-event append (no room check over the batch).
      ringbuf::Log* refused = nullptr;
      if (!ringbuf::append_event(logs_, events[0], &refused)) out.refusal = refused->refusal();
    } else {
      out.refusal = ringbuf::append_batch(logs_, events);
    }
    return out;
  }

 private:
  std::vector<ringbuf::Log*> logs_;
  interceptors::Chain* chain_;
};

}  // namespace sluice::sources
