// The interface of Flume's interceptors as a source's shard runs them: one event at a time (all
// of Flume's built-in interceptors work event by event), changing its headers or body in place
// or dropping it, before the event is written to any channel. Chain (chain.h) runs a source's
// interceptors in their configured order.
//
// Threads: an Interceptor is built on the main thread, one instance per shard, and then used
// only by that shard's thread (so an interceptor may keep per-shard state, a random generator
// say, without locks).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ringbuf/record.h"
#include "server/interceptors/arena.h"

namespace sluice::interceptors {

// A header key an interceptor sets, looked up in the record's well-known keys once, when the
// interceptor is built.
struct HeaderKey {
  explicit HeaderKey(std::string_view key) : name(key), id(ringbuf::well_known_key_id(key)) {}
  std::string_view name;  // must outlive the interceptor's use (it points into its options)
  ringbuf::WellKnownKey id;
};

// One event while it passes through the chain. Header keys and values and the body refer to
// bytes that live until the batch has been written: the received buffer, the interceptor's
// options, or the arena.
class EventEdit {
 public:
  EventEdit(std::vector<ringbuf::Header>& headers, std::string_view body, Arena& arena, int64_t now_ms)
      : headers_(headers), body_(body), arena_(arena), now_ms_(now_ms) {}

  std::span<const ringbuf::Header> headers() const { return headers_; }
  // The value of the header `key`, or nullptr.
  const std::string_view* find(std::string_view key) const {
    for (const ringbuf::Header& h : headers_) {
      if (h.key == key) return &h.value;
    }
    return nullptr;
  }
  // Sets `key` to `value`, replacing its value if the event has it (as a Flume event's header
  // map does).
  void set(const HeaderKey& key, std::string_view value) {
    if (key.id == ringbuf::WellKnownKey::timestamp) timestamp_changed_ = true;
    for (ringbuf::Header& h : headers_) {
      if (h.key == key.name) {
        h.value = value;
        return;
      }
    }
    headers_.push_back({key.name, value, key.id, true});
  }
  // Removes every header for which `remove(key)` is true; returns how many went.
  template <typename Predicate>
  size_t remove_if(Predicate&& remove) {
    size_t kept = 0;
    for (size_t i = 0; i < headers_.size(); ++i) {
      if (remove(headers_[i].key)) continue;
      headers_[kept++] = headers_[i];
    }
    const size_t removed = headers_.size() - kept;
    if (removed > 0) timestamp_changed_ = true;  // it may have been among them
    headers_.resize(kept);
    return removed;
  }
  // The `timestamp` header may have changed (the record time is then read from it again).
  bool timestamp_changed() const { return timestamp_changed_; }

  std::string_view body() const { return body_; }
  void set_body(std::string_view body) { body_ = body; }

  // For bytes that must live until the batch is written (new header values, a new body).
  Arena& arena() { return arena_; }
  // Wall-clock time of the shard's current batch, in ms since the epoch.
  int64_t now_ms() const { return now_ms_; }

 private:
  std::vector<ringbuf::Header>& headers_;
  std::string_view body_;
  Arena& arena_;
  int64_t now_ms_;
  bool timestamp_changed_ = false;
};

class Interceptor {
 public:
  Interceptor() = default;
  // Interceptors keep views of their own options (HeaderKey): they never move.
  Interceptor(const Interceptor&) = delete;
  Interceptor& operator=(const Interceptor&) = delete;
  virtual ~Interceptor() = default;
  // Changes `event` in place; false drops it (it is counted as filtered, not stored).
  virtual bool intercept(EventEdit& event) = 0;
};

}  // namespace sluice::interceptors
