// The durability work of one file-channel log on its shard: group commit (fsync mode) and
// checkpoints, both issued through the shard's io_uring so that a slow disk never blocks
// the shard's event loop.
//
// Group commit: once appended bytes have waited groupCommitInterval, or groupCommitBytes of
// them are waiting, one fdatasync per touched segment file (plus the directory when files were
// created) covers every append so far; when all complete, the log's durable position moves and
// the new events become visible to sinks. One group commit is in flight at a time; appends
// go on meanwhile and join the next one.
//
// A failed sync fail-stops the channel's log on this shard (Log::fail_stop): after an fdatasync
// error the kernel may have dropped the dirty pages and a retry could succeed without the data
// ever reaching the disk (PostgreSQL's "fsyncgate"), so nothing written since the last good
// sync is ever made durable or visible, and new appends are refused. Events that were durable
// before stay readable by the sinks. A restart recovers whatever the files really hold.
//
// Checkpoints: every checkpointInterval, if a sink has moved, the next checkpoint slot is
// written (and, in fsync mode, synced).
//
// Threads: constructed on the main thread; everything else on the owning shard's thread.
#pragma once

#include <cstdint>
#include <string>

#include "ringbuf/channel.h"
#include "ringbuf/checkpoint.h"
#include "ringbuf/file_segment_store.h"
#include "ringbuf/log.h"
#include "server/reactor/reactor.h"

namespace sluice::app {

// A blocking sync of one open file: fdatasync when `data_only`, else fsync. Returns 0 or the
// errno. system_sync is the real one.
using SyncFunction = int (*)(int fd, bool data_only);
int system_sync(int fd, bool data_only);

class LogDurability final : public reactor::IoHandler {
 public:
  // `sync`: nullptr (in production) sends group commits through the shard's io_uring and makes
  // flush() call system_sync; a test passes its own function, which then does every sync of
  // group commits and flush() inline.
  explicit LogDurability(ringbuf::Channel& channel, uint32_t shard, SyncFunction sync = nullptr);

  void start(reactor::Reactor& reactor) { reactor_ = &reactor; }
  // After every completion batch: starts a group commit when one is due.
  void after_batch(int64_t now_ms);
  // Periodically: writes a checkpoint when one is due.
  void tick(int64_t now_ms);
  // Nanoseconds the shard may sleep before after_batch() has work again (-1: no limit).
  int64_t wait_budget_ns(int64_t now_ms) const;
  // No request of ours is in flight.
  bool idle() const { return syncs_in_flight_ == 0 && checkpoint_writes_in_flight_ == 0; }
  // At stop, once idle(): makes every append durable (blocking) and visible.
  void flush();

  void on_completion(uint8_t op, const io_uring_cqe& cqe) override;

 private:
  // kSegmentSync + i: the sync of the i-th segment file of a group commit, for the message when
  // it fails (the tag has 3 bits, so the last value, reactor::kOpMask, stands for that segment
  // and every later one).
  enum Op : uint8_t { kCheckpointWrite = 1, kDirectorySync = 2, kSegmentSync = 3 };
  static_assert(kSegmentSync <= reactor::kOpMask, "operation codes must fit the tag");
  void start_group_commit(int64_t now_ms);
  void issue_sync(int fd, bool data_only, uint8_t op);
  void sync_completed(uint8_t op, int res);
  void group_commit_done();
  void fail_stop(int err, const std::string& file);
  std::string file_of(uint8_t op) const;

  ringbuf::Channel& channel_;
  const uint32_t shard_;
  ringbuf::Log& log_;
  ringbuf::FileSegmentStore& store_;
  ringbuf::ChannelShardProbe& probe_;
  const bool fsync_mode_;
  const SyncFunction sync_;
  reactor::Reactor* reactor_ = nullptr;

  // Group commit.
  int64_t first_unsynced_ms_ = 0;  // when appends were first seen waiting (0: none wait)
  uint32_t syncs_in_flight_ = 0;
  int sync_error_ = 0;
  uint8_t sync_error_op_ = 0;  // which file failed first
  uint64_t sync_first_segment_ = 0;
  uint64_t sync_target_position_ = 0;
  uint64_t sync_target_sequence_ = 0;
  int64_t sync_started_ns_ = 0;

  // Checkpoints.
  alignas(64) std::byte checkpoint_slot_[ringbuf::kCheckpointSlotBytes];
  uint32_t checkpoint_writes_in_flight_ = 0;
  int64_t next_checkpoint_ms_ = 0;
  uint64_t last_checkpoint_fingerprint_ = ~uint64_t{0};
};

}  // namespace sluice::app
