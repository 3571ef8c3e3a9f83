// A source's interceptors on one shard, run in their configured order over each batch the
// source decodes (one syslog message, an HTTP request's events, an Avro appendBatch), before the
// batch is written to the channels. The kept events refer to the input's bytes and to the
// chain's own (scratch headers and an arena), kept between batches so that a shard in steady
// state allocates nothing.
//
// Threads: built on the main thread, then used only by its shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ringbuf/append.h"
#include "server/interceptors/arena.h"
#include "server/interceptors/interceptor.h"

namespace sluice::interceptors {

class Chain {
 public:
  explicit Chain(std::vector<std::unique_ptr<Interceptor>> interceptors);
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  size_t size() const { return interceptors_.size(); }

  // Runs every interceptor over every event of `events`, in order. Returns the events kept, in
  // their order, valid until the next run() (and only while `events`' bytes are). An event whose
  // `timestamp` header is a number of milliseconds after the chain gets it as its record time,
  // as sources do for events that arrive with one.
  std::span<const ringbuf::PreparedEvent> run(std::span<const ringbuf::PreparedEvent> events, int64_t now_ms);

 private:
  std::vector<std::unique_ptr<Interceptor>> interceptors_;
  Arena arena_;
  std::vector<ringbuf::Header> scratch_;  // one event's headers while the interceptors run
  std::vector<ringbuf::Header> kept_headers_;
  std::vector<size_t> kept_header_starts_;
  std::vector<ringbuf::PreparedEvent> kept_;
};

}  // namespace sluice::interceptors
