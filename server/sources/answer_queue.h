// What the request/response sources (HTTP, Avro RPC) share: the answers a connection owes its
// client, in request order, where an answer for stored events is held back until every
// channel log the source writes has made those events durable (safe_sequence() reaches the
// sequence after them). So "200" or "OK" means stored, and for a channel in fsync mode, on disk.
//
// Threads: one queue per connection, used by the shard that owns the connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/assert.h"
#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "ringbuf/record.h"

namespace sluice::sources {

// Most channels one source may write to (each answer remembers a sequence per channel).
inline constexpr size_t kAnswerLogsMax = 16;

// A bounded ring of protocol-specific `Answer`s. push() hands out a slot as it was left by
// its last use, so that buffers in it (a response body) keep their capacity: reset what you use.
template <typename Answer, size_t Capacity>
class AnswerQueue {
 public:
  explicit AnswerQueue(std::span<ringbuf::Log* const> logs) : logs_(logs) {
    SLUICE_ASSERT(logs.size() <= kAnswerLogsMax, "more channels than an answer tracks");
  }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == Capacity; }

  // An answer to send once those before it are sent.
  Answer& push() {
    SLUICE_ASSERT(count_ < Capacity, "answer queue overflow");
    Slot& s = slots_[(head_ + count_) % Capacity];
    ++count_;
    s.waiting = false;
    return s.answer;
  }
  // The same, and it also waits until what the logs hold now is durable.
  Answer& push_after_durable() {
    Answer& a = push();
    Slot& s = slots_[(head_ + count_ - 1) % Capacity];
    s.waiting = true;
    for (size_t i = 0; i < logs_.size(); ++i) s.targets[i] = logs_[i]->next_sequence();
    return a;
  }
  Answer& back() {
    SLUICE_ASSERT(count_ > 0, "back() of an empty answer queue");
    return slots_[(head_ + count_ - 1) % Capacity].answer;
  }

  // The oldest answer if it may be sent now, else nullptr.
  const Answer* ready_front() const {
    if (count_ == 0) return nullptr;
    const Slot& s = slots_[head_];
    if (s.waiting)
      for (size_t i = 0; i < logs_.size(); ++i)
        if (logs_[i]->safe_sequence() < s.targets[i]) return nullptr;
    return &s.answer;
  }
  void pop_front() {
    SLUICE_ASSERT(count_ > 0, "pop_front() of an empty answer queue");
    head_ = (head_ + 1) % Capacity;
    --count_;
  }
  // Drops every answer (nothing after a closing answer is sent).
  void clear() { count_ = 0; }
  // The oldest answer waits for durability: ask again after the next batch.
  bool front_waits_for_durability() const { return count_ > 0 && slots_[head_].waiting; }
  // The oldest answer waits for events that will never be durable: a log it waits for was
  // fail-stopped (a failed fdatasync) before reaching them. The answer must not be sent.
  bool front_never_durable() const {
    if (!front_waits_for_durability()) return false;
    const Slot& s = slots_[head_];
    for (size_t i = 0; i < logs_.size(); ++i)
      if (logs_[i]->safe_sequence() < s.targets[i] && logs_[i]->failed()) return true;
    return false;
  }

 private:
  struct Slot {
    Answer answer{};
    bool waiting = false;
    std::array<uint64_t, kAnswerLogsMax> targets{};
  };

  std::span<ringbuf::Log* const> logs_;
  std::array<Slot, Capacity> slots_{};
  size_t head_ = 0;
  size_t count_ = 0;
};

using ringbuf::event_time;  // ringbuf/append.h

}  // namespace sluice::sources
