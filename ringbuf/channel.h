// A channel: one Log per shard (each shard appends only to its own), one doorbell its sinks
// sleep on, and the channel's metrics. A memory channel keeps its logs in anonymous memory; a
// file channel keeps each shard's log in its own directory of segment files and recovers it at
// start-up (ringbuf/file_segment_store.h).
//
// Threads: open() and finish() on the main thread (start-up, and after the sinks have stopped);
// in between each Log follows its own contract (ringbuf/log.h), probe(shard) is written by that
// shard's thread, and collect() runs on the admin thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/counter.h"
#include "base/metrics.h"
#include "base/result.h"
#include "ringbuf/doorbell.h"
#include "ringbuf/file_segment_store.h"
#include "ringbuf/log.h"

namespace sluice::ringbuf {

enum class Durability : uint8_t {
  none,   // memory channel
  os,     // file channel: stored once in the page cache
  fsync,  // file channel: visible (and acknowledged) once fdatasync'd; group commit
};

struct ChannelOptions {
  std::string name;
  std::string type;                        // memory | file
  uint64_t capacity_bytes = 256ull << 20;  // whole channel; each shard gets an equal share
  uint64_t capacity_events = 0;            // whole channel, 0: bounded by bytes only
  uint32_t segment_bytes = 4u << 20;
  uint32_t shards = 1;
  std::vector<std::string> readers;  // the sinks reading the channel, in reader order
  // File channels.
  Durability durability = Durability::none;
  std::vector<std::string> data_dirs;  // shard n uses data_dirs[n % size]/<name>/shard-<n>
  std::string checkpoint_dir;          // empty: next to the segments
  int64_t group_commit_interval_ms = 10;
  uint64_t group_commit_bytes = 16u << 20;
  int64_t checkpoint_interval_ms = 1000;
  uint64_t minimum_free_bytes = 0;
};

// What a shard's durability work did, written by that shard, read by the admin thread.
struct ChannelShardProbe {
  base::Counter fsyncs, fsync_errors, fsync_nanoseconds, checkpoints, checkpoint_errors;
  base::Gauge fsync_nanoseconds_max, unsynced_bytes;
};

class Channel {
 public:
  // Builds the channel; for a file channel, opens and recovers every shard's directory (logging
  // what recovery found). Errors name the channel and the directory.
  static Result<std::unique_ptr<Channel>> open(const ChannelOptions& options);

  const std::string& name() const { return options_.name; }
  const ChannelOptions& options() const { return options_; }
  ringbuf::Log& log(uint32_t shard) { return *logs_.at(shard); }
  ringbuf::Doorbell& doorbell() { return doorbell_; }
  uint32_t shards() const { return options_.shards; }
  bool durable() const { return options_.durability != Durability::none; }
  // The shard's file store (nullptr for a memory channel).
  ringbuf::FileSegmentStore* store(uint32_t shard) const { return stores_.empty() ? nullptr : stores_[shard]; }
  ChannelShardProbe& probe(uint32_t shard) { return *probes_.at(shard); }
  // The largest event record a shard's log can hold.
  size_t record_bytes_max() const { return logs_.front()->record_bytes_max(); }

  // Main thread, after every shard and sink has stopped: releases what the sinks have passed and
  // saves every sink's position (synced in fsync mode), so that a restart repeats nothing.
  void finish();

  void collect(base::MetricsWriter& out) const;

 private:
  explicit Channel(const ChannelOptions& options) : options_(options) {}
  Status open_shards();
  std::string shard_directory(uint32_t shard) const;

  const ChannelOptions options_;
  ringbuf::Doorbell doorbell_;
  std::vector<std::unique_ptr<ringbuf::Log>> logs_;
  std::vector<ringbuf::FileSegmentStore*> stores_;  // owned by the logs
  std::vector<ringbuf::RecoveryReport> recovery_;
  std::vector<std::unique_ptr<ChannelShardProbe>> probes_;
};

}  // namespace sluice::ringbuf
