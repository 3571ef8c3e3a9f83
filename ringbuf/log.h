// A channel's log for one shard: a single-producer, multi-reader append-only sequence of
// records over fixed-size segments, bounded in bytes (and optionally in events).
//
// Threads: the producer methods (reserve/commit/publish/close/maintain) belong to the one shard
// thread that owns the log. Each LogReader belongs to one sink thread. stats() may be called
// from any thread. Nothing here takes a lock: the producer publishes its write position with a
// release store, readers publish their committed positions the same way, and the producer
// reuses space only below the smallest committed position.
//
// Positions are logical byte offsets that only grow: segment k covers [k*S, (k+1)*S) for
// segment size S. A record never spans segments; the unused tail of a segment is marked with a
// segment_end record and readers continue at the next segment.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ringbuf/doorbell.h"
#include "ringbuf/record.h"
#include "ringbuf/segment_store.h"

namespace sluice::ringbuf {

enum class PublishMode : uint8_t {
  // Records become visible to readers at the producer's next publish().
  on_commit,
  // Records become visible only once made durable (set_durable(), after an fsync): readers never
  // deliver what a power cut could take back.
  on_durable,
};

struct LogOptions {
  // Bytes the log may hold that some reader has not committed. Rounded up to whole segments
  // for the segment table; enforced to the byte.
  uint64_t capacity_bytes = 64ull << 20;
  // Events the log may hold (0: bounded by bytes only).
  uint64_t capacity_events = 0;
  // Independent readers (one per sink).
  uint32_t readers = 1;
  PublishMode publish_mode = PublishMode::on_commit;
};

// Where a log starts: zero for a new log, or what recovery found. Positions inside a segment's
// header are moved to its first record.
struct LogStart {
  uint64_t write_position = 0;
  uint64_t next_sequence = 0;
  // Per reader: the committed position and the sequence of the next event it will read.
  std::vector<uint64_t> reader_positions;
  std::vector<uint64_t> reader_sequences;
};

enum class AppendRefusal : uint8_t {
  none,
  full_bytes,   // capacity_bytes reached
  full_events,  // capacity_events reached
  too_large,    // the record can never fit a segment
  store_error,  // the segment store failed (memory, disk), or the log was fail-stopped
};

// A point in a log's producer state that appends can be undone back to (see Log::rollback).
struct LogMark {
  uint64_t write_position = 0;
  uint64_t next_sequence = 0;
  uint64_t segment_end = 0;
  std::byte* segment_base = nullptr;
};

struct LogStats {
  uint64_t published_position;
  uint64_t published_sequence;  // sequence the next event will get
  uint64_t min_reader_position;
  uint64_t min_reader_sequence;
  uint64_t capacity_bytes;
  uint64_t capacity_events;
  uint64_t segments_live;
  bool failed;               // fail_stop() was called: appends are refused for good
  uint64_t corrupt_records;  // damaged records the readers met (and skipped), summed
  uint64_t skipped_events;   // events the readers lost to them, summed
  uint64_t size_bytes() const { return published_position - min_reader_position; }
  uint64_t size_events() const { return published_sequence - min_reader_sequence; }
  // The fuller of bytes and (when bounded) events, 0..1.
  double fill_ratio() const {
    double bytes = capacity_bytes ? static_cast<double>(size_bytes()) / static_cast<double>(capacity_bytes) : 0;
    double events = capacity_events ? static_cast<double>(size_events()) / static_cast<double>(capacity_events) : 0;
    return bytes > events ? bytes : events;
  }
};

class Log;

// One sink's cursor over one log. Owned by one sink thread.
class LogReader {
 public:
  // Appends views of up to `events_max` published records (stopping early once `bytes_max` is
  // reached) to `out`. Returns how many it added.
  size_t read(std::vector<EventView>& out, size_t events_max, size_t bytes_max);
  // Everything read so far is done with: the producer may reuse it.
  void commit();
  // Done with everything up to and including `last` (an event this reader returned).
  void commit_through(const EventView& last);
  // Read again from the committed position (after a failed delivery).
  void rewind();

  bool has_unread() const;
  // Something was read (or skipped) that is not committed yet.
  bool has_uncommitted() const { return committed_position() != read_position_; }
  // Damaged records met (each time one is met: a rewind meets it again) and events lost to them.
  uint64_t corrupt_records() const { return corrupt_records_.load(std::memory_order_relaxed); }
  uint64_t skipped_events() const { return skipped_events_.load(std::memory_order_relaxed); }
  // The producer closed the log and this reader has read and committed all of it.
  bool drained() const;
  uint64_t committed_position() const { return committed_position_.load(std::memory_order_relaxed); }
  uint64_t committed_sequence() const { return committed_sequence_.load(std::memory_order_relaxed); }

 private:
  friend class Log;
  void publish_commit(uint64_t position, uint64_t sequence);
  void skip_damaged(uint64_t end);

  Log* log_ = nullptr;
  // Reader-private.
  uint64_t read_position_ = 0;
  uint64_t read_sequence_ = 0;
  bool resync_ = false;  // after damage: the next good record may be ahead in sequence
  // Written by the reader, read by the producer and by stats().
  alignas(64) std::atomic<uint64_t> committed_position_{0};
  std::atomic<uint64_t> committed_sequence_{0};
  std::atomic<uint64_t> corrupt_records_{0};
  std::atomic<uint64_t> skipped_events_{0};
};

class Log {
 public:
  Log(LogOptions options, std::unique_ptr<SegmentStore> store, Doorbell* readers_bell, const LogStart& start = {});
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // ---- producer thread ----
  // Space for a record of `record_bytes` (as record_size() computed), or an empty span when the
  // log cannot take it now; refusal() says why.
  std::span<std::byte> reserve(size_t record_bytes);
  AppendRefusal refusal() const { return refusal_; }
  // The sequence the reserved record must carry.
  uint64_t next_sequence() const { return next_sequence_; }
  // The reserved record is written (`record_bytes` as encode_record returned).
  void commit(size_t record_bytes);
  // Gives up the outstanding reservation without writing anything.
  void abandon();
  // All-or-nothing batches (an HTTP request, an Avro appendBatch): take a mark, append, and if
  // a later append is refused, roll back to the mark. Nothing appended after the mark may have
  // been published (take the mark and roll back within one completion batch).
  LogMark mark() const;
  void rollback(const LogMark& mark);
  // Whether `events` records of `record_bytes` in total (the largest `largest_record_bytes`)
  // would fit now, counting what segment ends may waste. Conservative: a yes can still meet a
  // store error, a no means "full".
  bool room_for(uint64_t record_bytes, uint64_t events, uint64_t largest_record_bytes);
  // Makes committed records visible to readers (in on_durable mode: the durable ones) and wakes
  // sleeping readers.
  void publish();
  // on_durable mode: everything before `position` (a committed record boundary, whose next
  // record has `sequence`) is on stable storage. Visible at the next publish().
  void set_durable(uint64_t position, uint64_t sequence);
  uint64_t write_position() const { return write_position_; }
  uint64_t durable_position() const { return durable_position_; }
  // Events with a lower sequence are as safe as the channel promises (committed; in
  // on_durable mode, durable): what a source may acknowledge.
  uint64_t safe_sequence() const {
    return options_.publish_mode == PublishMode::on_durable ? durable_sequence_ : next_sequence_;
  }
  // The storage under the log can no longer be trusted to keep what it was given (a failed
  // fdatasync: the kernel may have dropped the dirty pages). From now on every append is refused
  // (store_error) and set_durable() is a programmer error; what is visible stays readable.
  void fail_stop();
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // The producer will append no more. Call after the last publish().
  void close();
  // Releases segments every reader has passed. Called on roll and, from the shard's timer, to
  // return memory between rolls.
  void maintain();
  // The largest record this log can ever hold.
  size_t record_bytes_max() const;
  bool has_unpublished() const { return visible_position() != published_position_.load(std::memory_order_relaxed); }
  // The segment that holds `position`.
  uint64_t segment_of(uint64_t position) const { return position / segment_bytes_; }

  // ---- reader threads ----
  LogReader& reader(uint32_t index);

  // ---- any thread ----
  LogStats stats() const;
  uint32_t segment_bytes() const { return segment_bytes_; }
  uint32_t header_bytes() const { return header_bytes_; }
  // The first record position of segment k.
  uint64_t segment_start(uint64_t k) const { return k * segment_bytes_ + header_bytes_; }

 private:
  friend class LogReader;
  bool roll();
  bool has_room(size_t aligned_bytes);
  void refresh_reader_minimum();
  const std::byte* segment_for(uint64_t position) const;
  uint64_t normalize(uint64_t position) const;
  uint64_t visible_position() const {
    return options_.publish_mode == PublishMode::on_durable ? durable_position_ : write_position_;
  }
  uint64_t visible_sequence() const {
    return options_.publish_mode == PublishMode::on_durable ? durable_sequence_ : next_sequence_;
  }

  const LogOptions options_;
  const std::unique_ptr<SegmentStore> store_;
  Doorbell* const readers_bell_;
  const uint32_t segment_bytes_;
  const uint32_t header_bytes_;
  const uint64_t slot_count_;

  // Producer-private.
  uint64_t write_position_;
  uint64_t next_sequence_;
  uint64_t segment_end_ = 0;           // end of the open segment (0: none open)
  std::byte* segment_base_ = nullptr;  // base of the open segment
  uint64_t oldest_live_segment_ = 0;
  uint64_t reader_min_position_ = 0;  // cached lower bounds of the readers' commits
  uint64_t reader_min_sequence_ = 0;
  uint64_t reserved_bytes_ = 0;  // of the outstanding reserve(), 0 if none
  uint64_t durable_position_;    // on_durable mode: what set_durable() last said
  uint64_t durable_sequence_;
  AppendRefusal refusal_ = AppendRefusal::none;

  // Producer-written, reader-read.
  std::unique_ptr<std::atomic<std::byte*>[]> slots_;  // segment k at slots_[k % slot_count_]
  alignas(64) std::atomic<uint64_t> published_position_;
  std::atomic<uint64_t> published_sequence_;
  std::atomic<uint64_t> live_segments_{0};
  std::atomic<bool> closed_{false};
  std::atomic<bool> failed_{false};

  std::unique_ptr<LogReader[]> readers_;
};

}  // namespace sluice::ringbuf
