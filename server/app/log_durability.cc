#include "server/app/log_durability.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/logger.h"
#include "base/time.h"

namespace sluice::app {

int system_sync(int fd, bool data_only) { return (data_only ? fdatasync(fd) : fsync(fd)) == 0 ? 0 : errno; }

LogDurability::LogDurability(ringbuf::Channel& channel, uint32_t shard, SyncFunction sync)
    : channel_(channel),
      shard_(shard),
      log_(channel.log(shard)),
      store_(*channel.store(shard)),
      probe_(channel.probe(shard)),
      fsync_mode_(channel.options().durability == ringbuf::Durability::fsync),
      sync_(sync) {}

void LogDurability::after_batch(int64_t now_ms) {
  if (!fsync_mode_) return;
  const uint64_t unsynced = log_.write_position() - log_.durable_position();
  probe_.unsynced_bytes.set(static_cast<int64_t>(unsynced));
  if (unsynced == 0) {
    first_unsynced_ms_ = 0;
    return;
  }
  if (first_unsynced_ms_ == 0) first_unsynced_ms_ = now_ms;
  if (syncs_in_flight_ > 0 || log_.failed()) return;
  const auto& o = channel_.options();
  if (unsynced >= o.group_commit_bytes || now_ms - first_unsynced_ms_ >= o.group_commit_interval_ms)
    start_group_commit(now_ms);
}

int64_t LogDurability::wait_budget_ns(int64_t now_ms) const {
  if (!fsync_mode_ || first_unsynced_ms_ == 0 || syncs_in_flight_ > 0 || log_.failed()) return -1;
  int64_t due_ms = first_unsynced_ms_ + channel_.options().group_commit_interval_ms;
  return std::max<int64_t>(0, due_ms - now_ms) * 1'000'000 + 100'000;
}

void LogDurability::start_group_commit(int64_t now_ms) {
  sync_target_position_ = log_.write_position();
  sync_target_sequence_ = log_.next_sequence();
  sync_error_ = 0;
  sync_started_ns_ = base::monotonic_ns();
  first_unsynced_ms_ = 0;
  // Held while issuing, so that syncs done inline cannot complete the commit half-way.
  ++syncs_in_flight_;
  // Every segment written since the last sync: usually one, two right after a roll.
  sync_first_segment_ = log_.segment_of(log_.durable_position());
  const uint64_t last = log_.segment_of(sync_target_position_);
  for (uint64_t k = sync_first_segment_; k <= last; ++k) {
    int fd = store_.segment_fd(k);
    if (fd < 0) continue;  // not created yet (the position sits at its very start)
    uint64_t slot = std::min<uint64_t>(k - sync_first_segment_, reactor::kOpMask - kSegmentSync);
    issue_sync(fd, /*data_only=*/true, static_cast<uint8_t>(kSegmentSync + slot));
  }
  // New segment files survive a power cut only once their directory entry does.
  if (store_.take_directory_changed()) issue_sync(store_.directory_fd(), /*data_only=*/false, kDirectorySync);
  sync_completed(kDirectorySync, 0);  // the hold
  (void)now_ms;
}

void LogDurability::issue_sync(int fd, bool data_only, uint8_t op) {
  ++syncs_in_flight_;
  if (sync_) {
    int err = sync_(fd, data_only);
    sync_completed(op, -err);
    return;
  }
  io_uring_sqe* sqe = reactor_->sqe();
  io_uring_prep_fsync(sqe, fd, data_only ? IORING_FSYNC_DATASYNC : 0);
  sqe->user_data = reactor::tag(this, op);
}

void LogDurability::sync_completed(uint8_t op, int res) {
  if (res < 0 && sync_error_ == 0) {
    sync_error_ = -res;
    sync_error_op_ = op;
  }
  SLUICE_ASSERT(syncs_in_flight_ > 0, "sync completion without a sync in flight");
  if (--syncs_in_flight_ == 0) group_commit_done();
}

std::string LogDurability::file_of(uint8_t op) const {
  if (op == kDirectorySync) return fmt::format("the directory {}", store_.directory());
  uint64_t slot = op - kSegmentSync;
  return fmt::format("{}{}", store_.segment_path(sync_first_segment_ + slot),
                     slot == reactor::kOpMask - kSegmentSync ? " (or a later segment)" : "");
}

void LogDurability::group_commit_done() {
  if (sync_error_ != 0) {
    fail_stop(sync_error_, file_of(sync_error_op_));
    return;
  }
  int64_t elapsed = base::monotonic_ns() - sync_started_ns_;
  probe_.fsyncs.add();
  probe_.fsync_nanoseconds.add(static_cast<uint64_t>(elapsed));
  if (elapsed > probe_.fsync_nanoseconds_max.value()) probe_.fsync_nanoseconds_max.set(elapsed);
  log_.set_durable(sync_target_position_, sync_target_sequence_);
  log_.publish();
}

void LogDurability::fail_stop(int err, const std::string& file) {
  probe_.fsync_errors.add();
  if (log_.failed()) return;
  log_.fail_stop();
  // No retry: after a failed fdatasync the kernel may have marked the dirty pages clean (or
  // dropped them), so a second fdatasync can succeed with the data lost. Once, loudly.
  base::log_error(
      "channel {} shard {}: fdatasync of {} failed: {} (errno {}); the channel is stopped on this "
      "shard: the {} events written since the last good sync are never reported durable or "
      "delivered, and new events are refused. Fix the disk and restart sluice: recovery then "
      "delivers what the segment files really hold",
      channel_.name(), shard_, file, std::strerror(err), err, log_.next_sequence() - log_.safe_sequence());
}

void LogDurability::tick(int64_t now_ms) {
  if (checkpoint_writes_in_flight_ > 0 || now_ms < next_checkpoint_ms_) return;
  next_checkpoint_ms_ = now_ms + channel_.options().checkpoint_interval_ms;
  // Skip the write when no sink has moved since the last one.
  uint64_t fingerprint = 0;
  for (uint32_t i = 0; i < channel_.options().readers.size(); ++i)
    fingerprint = fingerprint * 1000003 + log_.reader(i).committed_position();
  if (fingerprint == last_checkpoint_fingerprint_) return;
  last_checkpoint_fingerprint_ = fingerprint;
  uint64_t offset = store_.prepare_checkpoint(log_, checkpoint_slot_);
  io_uring_sqe* sqe = reactor_->sqe();
  io_uring_prep_write(sqe, store_.checkpoint_fd(), checkpoint_slot_, sizeof checkpoint_slot_, offset);
  sqe->user_data = reactor::tag(this, kCheckpointWrite);
  ++checkpoint_writes_in_flight_;
  if (fsync_mode_) {
    sqe->flags |= IOSQE_IO_LINK;
    sqe = reactor_->sqe();
    io_uring_prep_fsync(sqe, store_.checkpoint_fd(), IORING_FSYNC_DATASYNC);
    sqe->user_data = reactor::tag(this, kCheckpointWrite);
    ++checkpoint_writes_in_flight_;
  }
}

void LogDurability::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  if (op >= kDirectorySync) {
    sync_completed(op, cqe.res);
    return;
  }
  SLUICE_ASSERT(op == kCheckpointWrite, "unexpected durability operation");
  --checkpoint_writes_in_flight_;
  bool failed = cqe.res < 0 || (cqe.res >= 0 && cqe.res != static_cast<int>(sizeof checkpoint_slot_) &&
                                cqe.res != 0);  // an fsync completes with 0, the write with its size
  if (failed) {
    probe_.checkpoint_errors.add();
    last_checkpoint_fingerprint_ = ~uint64_t{0};  // write it again next time
    base::log_warn("channel {} shard {}: checkpoint write failed: {}", channel_.name(), shard_,
                   cqe.res < 0 ? std::strerror(-cqe.res) : "short write");
  } else if (checkpoint_writes_in_flight_ == 0) {
    probe_.checkpoints.add();
  }
}

void LogDurability::flush() {
  SLUICE_ASSERT(idle(), "flush() with requests in flight");
  if (!fsync_mode_ || log_.failed() || log_.durable_position() == log_.write_position()) return;
  const SyncFunction sync = sync_ ? sync_ : system_sync;
  const uint64_t target = log_.write_position();
  const uint64_t sequence = log_.next_sequence();
  for (uint64_t k = log_.segment_of(log_.durable_position()); k <= log_.segment_of(target); ++k) {
    int fd = store_.segment_fd(k);
    if (fd < 0) continue;
    if (int err = sync(fd, true); err != 0) return fail_stop(err, store_.segment_path(k));
  }
  if (store_.take_directory_changed()) {
    if (int err = sync(store_.directory_fd(), false); err != 0)
      return fail_stop(err, fmt::format("the directory {}", store_.directory()));
  }
  log_.set_durable(target, sequence);
  log_.publish();
}

}  // namespace sluice::app
