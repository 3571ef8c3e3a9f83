// Flume's `seq` source (SequenceGeneratorSource), for tests and demos: events whose bodies are
// a counter in decimal, 0, 1, 2, ... up to totalEvents, no headers, batchSize per channel put.
// A refused batch (channel full) is offered again, so every number is stored once, in order.
// It runs on one shard (Flume's is one thread) and idles once totalEvents are stored.
//
// Threads: built on the main thread, then used only by its shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringbuf/append.h"
#include "server/sources/event_writer.h"
#include "server/sources/shard_context.h"
#include "server/sources/source_probe.h"

namespace sluice::sources {

struct SeqSourceOptions {
  std::string name;
  uint64_t total_events = INT64_MAX;  // Flume's Long.MAX_VALUE
  uint32_t batch_size = 1;
  // Most events stored per shard loop turn, so a fast generator never holds up the shard's
  // other sources, timers and publishes for long.
  uint32_t events_per_turn = 4096;
};

class SeqSource final : public ShardSource {
 public:
  SeqSource(const SeqSourceOptions& options, EventWriter writer, SourceProbe& probe);

  Status start(ShardContext& context) override;
  void begin_batch(int64_t now_ms) override { now_ms_ = now_ms; }
  // Generates up to events_per_turn events, batch by batch, until a channel refuses.
  void after_batch() override;
  // More to generate: the shard comes back within a millisecond instead of sleeping.
  bool waiting_for_space() const override { return !stopping_ && next_ < options_.total_events; }
  void stop() override { stopping_ = true; }
  bool stopped() const override { return stopping_; }

  uint64_t next_number() const { return next_; }

 private:
  // Stores the batch starting at next_; false when a channel refused it (try again later).
  bool write_batch();

  const SeqSourceOptions& options_;
  EventWriter writer_;
  SourceProbe& probe_;
  uint64_t next_ = 0;  // the number of the next event to store
  int64_t now_ms_ = 0;
  bool stopping_ = false;
  // One batch, capacity kept: the digits of every body, and the events pointing into them.
  std::vector<char> digits_;
  std::vector<ringbuf::PreparedEvent> events_;
};

}  // namespace sluice::sources
