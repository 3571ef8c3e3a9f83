#include "ringbuf/log.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace sluice::ringbuf {

// ---------------------------------------------------------------------------------------------
// Log (producer side)

Log::Log(LogOptions options, std::unique_ptr<SegmentStore> store, Doorbell* readers_bell, const LogStart& start)
    : options_(options),
      store_(std::move(store)),
      readers_bell_(readers_bell),
      segment_bytes_(store_->segment_bytes()),
      header_bytes_(store_->header_bytes()),
      slot_count_((options.capacity_bytes + segment_bytes_ - 1) / segment_bytes_ + 1),
      write_position_(normalize(start.write_position)),
      next_sequence_(start.next_sequence),
      durable_position_(write_position_),
      durable_sequence_(start.next_sequence),
      slots_(new std::atomic<std::byte*>[slot_count_]),
      published_position_(write_position_),
      published_sequence_(start.next_sequence),
      readers_(new LogReader[options.readers]) {
  SLUICE_ASSERT(options.readers > 0, "a log needs at least one reader");
  SLUICE_ASSERT(segment_bytes_ % kRecordAlign == 0 && header_bytes_ % kRecordAlign == 0 &&
                    segment_bytes_ >= header_bytes_ + 4 * kRecordHeaderBytes,
                "segment size must be a multiple of 8 and hold records");
  SLUICE_ASSERT(options.capacity_bytes >= segment_bytes_ / 2, "capacity below half a segment");
  SLUICE_ASSERT(start.reader_positions.empty() || start.reader_positions.size() == options.readers,
                "one start position per reader");
  for (uint64_t i = 0; i < slot_count_; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);

  reader_min_position_ = write_position_;
  reader_min_sequence_ = next_sequence_;
  for (uint32_t i = 0; i < options.readers; ++i) {
    LogReader& r = readers_[i];
    r.log_ = this;
    uint64_t position = start.reader_positions.empty() ? write_position_ : normalize(start.reader_positions[i]);
    uint64_t sequence = start.reader_sequences.empty() ? next_sequence_ : start.reader_sequences[i];
    SLUICE_ASSERT(position <= write_position_ && sequence <= next_sequence_, "reader ahead of the log");
    r.read_position_ = position;
    r.read_sequence_ = sequence;
    r.committed_position_.store(position, std::memory_order_relaxed);
    r.committed_sequence_.store(sequence, std::memory_order_relaxed);
    reader_min_position_ = std::min(reader_min_position_, position);
    reader_min_sequence_ = std::min(reader_min_sequence_, sequence);
  }
  // Map every segment a reader may still read, and the one appends continue in. Failing to map
  // a segment that holds events is a start-up failure the caller's store should have reported
  // while recovering, so it is an assertion here.
  oldest_live_segment_ = reader_min_position_ / segment_bytes_;
  const uint64_t current = write_position_ / segment_bytes_;
  SLUICE_ASSERT(current - oldest_live_segment_ < slot_count_, "recovered log exceeds its capacity");
  for (uint64_t k = oldest_live_segment_; k <= current; ++k) {
    auto opened = store_->open_segment(k, next_sequence_);
    SLUICE_ASSERT(opened.ok(), "cannot map a segment at start-up");
    slots_[k % slot_count_].store(opened.value(), std::memory_order_relaxed);
    live_segments_.fetch_add(1, std::memory_order_relaxed);
  }
  segment_base_ = slots_[current % slot_count_].load(std::memory_order_relaxed);
  segment_end_ = (current + 1) * segment_bytes_;
}

// Live segments are not released here: releasing means "every reader is done with it", which a
// durable store answers by deleting the file. The store unmaps what it holds when it goes.
Log::~Log() = default;

uint64_t Log::normalize(uint64_t position) const {
  uint64_t offset = position % segment_bytes_;
  return offset < header_bytes_ ? position - offset + header_bytes_ : position;
}

size_t Log::record_bytes_max() const {
  uint64_t by_segment = segment_bytes_ - header_bytes_ - kRecordHeaderBytes;
  uint64_t by_capacity = options_.capacity_bytes & ~uint64_t{kRecordAlign - 1};
  return static_cast<size_t>(std::min(by_segment, by_capacity));
}

std::span<std::byte> Log::reserve(size_t record_bytes) {
  SLUICE_ASSERT(reserved_bytes_ == 0, "reserve() twice without commit()");
  SLUICE_ASSERT(!closed_.load(std::memory_order_relaxed), "reserve() on a closed log");
  if (failed()) {
    refusal_ = AppendRefusal::store_error;
    return {};
  }
  const size_t aligned = align_record(record_bytes);
  if (aligned > record_bytes_max()) {
    refusal_ = AppendRefusal::too_large;
    return {};
  }
  // Always leave room for the segment_end marker behind the record.
  if (write_position_ + aligned + kRecordHeaderBytes > segment_end_ && !roll()) return {};
  if (!has_room(aligned)) return {};
  refusal_ = AppendRefusal::none;
  reserved_bytes_ = aligned;
  std::byte* at = segment_base_ + write_position_ % segment_bytes_;
  // Zero the length field of the slot after this record before writing it, so that whatever
  // lies beyond the log's end (a recycled segment's old bytes) reads as "never written" and
  // recovery after a crash finds a clean end rather than garbage. The room is there: every
  // segment keeps kRecordHeaderBytes free for its end marker.
  std::memset(at + aligned, 0, 8);
  return {at, aligned};
}

void Log::commit(size_t record_bytes) {
  const size_t aligned = align_record(record_bytes);
  SLUICE_ASSERT(reserved_bytes_ != 0, "commit() without reserve()");
  SLUICE_ASSERT(aligned <= reserved_bytes_, "record larger than its reservation");
  write_position_ += aligned;
  ++next_sequence_;
  reserved_bytes_ = 0;
}

void Log::abandon() {
  SLUICE_ASSERT(reserved_bytes_ != 0, "abandon() without reserve()");
  reserved_bytes_ = 0;
}

LogMark Log::mark() const {
  SLUICE_ASSERT(reserved_bytes_ == 0, "mark() with a reservation outstanding");
  return {write_position_, next_sequence_, segment_end_, segment_base_};
}

void Log::rollback(const LogMark& m) {
  SLUICE_ASSERT(reserved_bytes_ == 0, "rollback() with a reservation outstanding");
  SLUICE_ASSERT(m.write_position <= write_position_ && m.next_sequence <= next_sequence_, "rollback forward");
  SLUICE_ASSERT(
      published_position_.load(std::memory_order_relaxed) <= m.write_position && durable_position_ <= m.write_position,
      "rollback over published or durable records");
  // Segments opened after the mark hold only what is undone: give them back.
  for (uint64_t k = m.segment_end / segment_bytes_; k < segment_end_ / segment_bytes_; ++k) {
    auto& slot = slots_[k % slot_count_];
    store_->release_segment(k, slot.load(std::memory_order_relaxed));
    slot.store(nullptr, std::memory_order_relaxed);
    live_segments_.fetch_sub(1, std::memory_order_relaxed);
  }
  write_position_ = m.write_position;
  next_sequence_ = m.next_sequence;
  segment_end_ = m.segment_end;
  segment_base_ = m.segment_base;
  // The undone records (or the segment_end marker a roll wrote) start here: make the slot read
  // as empty, so that recovery after a crash ends the log here too.
  std::memset(segment_base_ + write_position_ % segment_bytes_, 0, 8);
}

bool Log::room_for(uint64_t record_bytes, uint64_t events, uint64_t largest_record_bytes) {
  const uint64_t usable = segment_bytes_ - header_bytes_ - kRecordHeaderBytes;
  const uint64_t rolls = record_bytes / usable + 1;
  const uint64_t worst =
      record_bytes + events * kRecordAlign + rolls * (largest_record_bytes + kRecordHeaderBytes + header_bytes_);
  auto fits = [&] {
    bool bytes_ok = write_position_ + worst - reader_min_position_ <= options_.capacity_bytes;
    bool events_ok =
        options_.capacity_events == 0 || next_sequence_ + events - reader_min_sequence_ <= options_.capacity_events;
    bool segments_ok = segment_end_ / segment_bytes_ + rolls - oldest_live_segment_ <= slot_count_;
    return bytes_ok && events_ok && segments_ok;
  };
  if (fits()) return true;
  maintain();
  return fits();
}

void Log::publish() {
  if (!has_unpublished()) return;
  published_sequence_.store(visible_sequence(), std::memory_order_relaxed);
  published_position_.store(visible_position(), std::memory_order_release);
  readers_bell_->ring();
}

void Log::set_durable(uint64_t position, uint64_t sequence) {
  SLUICE_ASSERT(!failed(), "set_durable() on a fail-stopped log");
  SLUICE_ASSERT(position >= durable_position_ && position <= write_position_, "durable position out of range");
  SLUICE_ASSERT(sequence >= durable_sequence_ && sequence <= next_sequence_, "durable sequence out of range");
  durable_position_ = position;
  durable_sequence_ = sequence;
}

void Log::fail_stop() { failed_.store(true, std::memory_order_relaxed); }

void Log::close() {
  SLUICE_ASSERT(!has_unpublished(), "close() with unpublished records");
  // A fail-stopped log keeps what was never made durable invisible to the end.
  SLUICE_ASSERT(options_.publish_mode == PublishMode::on_commit || durable_position_ == write_position_ || failed(),
                "close() of an on_durable log with records not yet durable");
  closed_.store(true, std::memory_order_release);
  readers_bell_->ring();
}

bool Log::has_room(size_t aligned_bytes) {
  auto over_bytes = [&] { return write_position_ + aligned_bytes - reader_min_position_ > options_.capacity_bytes; };
  auto over_events = [&] {
    return options_.capacity_events != 0 && next_sequence_ - reader_min_sequence_ >= options_.capacity_events;
  };
  if (over_bytes() || over_events()) {
    refresh_reader_minimum();
    if (over_bytes()) {
      refusal_ = AppendRefusal::full_bytes;
      return false;
    }
    if (over_events()) {
      refusal_ = AppendRefusal::full_events;
      return false;
    }
  }
  return true;
}

bool Log::roll() {
  const uint64_t next = segment_end_ / segment_bytes_;
  // Release what readers have passed first, so that the store can hand a released segment
  // back instead of mapping (and page-faulting) a fresh one.
  maintain();
  if (next - oldest_live_segment_ >= slot_count_) {
    refusal_ = AppendRefusal::full_bytes;
    return false;
  }
  auto opened = store_->open_segment(next, next_sequence_);
  if (!opened.ok()) {
    refusal_ = AppendRefusal::store_error;
    return false;
  }
  const uint64_t offset = write_position_ % segment_bytes_;
  SLUICE_ASSERT(offset + kRecordHeaderBytes <= segment_bytes_, "no room left for the segment end marker");
  // The new segment's first slot must read as empty before the old one points to it.
  std::memset(opened.value() + header_bytes_, 0, 8);
  encode_segment_end({segment_base_ + offset, kRecordHeaderBytes}, next_sequence_);
  slots_[next % slot_count_].store(opened.value(), std::memory_order_relaxed);
  live_segments_.fetch_add(1, std::memory_order_relaxed);
  segment_base_ = opened.value();
  write_position_ = segment_start(next);
  segment_end_ = (next + 1) * segment_bytes_;
  return true;
}

void Log::maintain() {
  refresh_reader_minimum();
  const uint64_t current = segment_end_ / segment_bytes_ - 1;
  while (oldest_live_segment_ < current && (oldest_live_segment_ + 1) * segment_bytes_ <= reader_min_position_) {
    auto& slot = slots_[oldest_live_segment_ % slot_count_];
    store_->release_segment(oldest_live_segment_, slot.load(std::memory_order_relaxed));
    slot.store(nullptr, std::memory_order_relaxed);
    live_segments_.fetch_sub(1, std::memory_order_relaxed);
    ++oldest_live_segment_;
  }
}

void Log::refresh_reader_minimum() {
  uint64_t position = write_position_;
  uint64_t sequence = next_sequence_;
  for (uint32_t i = 0; i < options_.readers; ++i) {
    // Acquire: the reader's loads of the bytes below its commit happen before we reuse them.
    position = std::min(position, readers_[i].committed_position_.load(std::memory_order_acquire));
    sequence = std::min(sequence, readers_[i].committed_sequence_.load(std::memory_order_acquire));
  }
  reader_min_position_ = position;
  reader_min_sequence_ = sequence;
}

const std::byte* Log::segment_for(uint64_t position) const {
  const std::byte* base = slots_[(position / segment_bytes_) % slot_count_].load(std::memory_order_relaxed);
  SLUICE_ASSERT(base != nullptr, "reader position in an unmapped segment");
  return base;
}

LogReader& Log::reader(uint32_t index) {
  SLUICE_ASSERT(index < options_.readers, "no such reader");
  return readers_[index];
}

LogStats Log::stats() const {
  LogStats s{};
  s.published_sequence = published_sequence_.load(std::memory_order_relaxed);
  s.published_position = published_position_.load(std::memory_order_acquire);
  s.min_reader_position = s.published_position;
  s.min_reader_sequence = s.published_sequence;
  for (uint32_t i = 0; i < options_.readers; ++i) {
    s.min_reader_position = std::min(s.min_reader_position, readers_[i].committed_position());
    s.min_reader_sequence = std::min(s.min_reader_sequence, readers_[i].committed_sequence());
  }
  s.capacity_bytes = options_.capacity_bytes;
  s.capacity_events = options_.capacity_events;
  s.segments_live = live_segments_.load(std::memory_order_relaxed);
  s.failed = failed();
  s.corrupt_records = 0;
  s.skipped_events = 0;
  for (uint32_t i = 0; i < options_.readers; ++i) {
    s.corrupt_records += readers_[i].corrupt_records();
    s.skipped_events += readers_[i].skipped_events();
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// LogReader

size_t LogReader::read(std::vector<EventView>& out, size_t events_max, size_t bytes_max) {
  const uint64_t end = log_->published_position_.load(std::memory_order_acquire);
  const uint32_t segment_bytes = log_->segment_bytes_;
  size_t added = 0;
  size_t bytes = 0;
  while (read_position_ < end && added < events_max && bytes < bytes_max) {
    const uint64_t offset = read_position_ % segment_bytes;
    const std::byte* record = log_->segment_for(read_position_) + offset;
    // Pair check: the producer checked what it wrote; check it again as it is read. A mismatch
    // is damage to the memory or the file under the mapping, not a bug of ours: it is counted
    // and skipped, never fatal.
    if (check_record(record, segment_bytes - offset) != RecordCheck::ok) {
      skip_damaged(end);
      continue;
    }
    EventView view(record, read_position_);
    const bool marker = view.type() == RecordType::segment_end;
    if (view.sequence() != read_sequence_) {
      // Ahead is expected after damage, and at a segment end marker that recovery wrote when it
      // quarantined the rest of a segment (file_segment_store.h); anything else is damage too.
      if (view.sequence() < read_sequence_ || !(resync_ || marker)) {
        skip_damaged(end);
        continue;
      }
      if (resync_) skipped_events_.fetch_add(view.sequence() - read_sequence_, std::memory_order_relaxed);
      read_sequence_ = view.sequence();
    }
    resync_ = false;
    if (marker) {
      read_position_ = log_->segment_start(read_position_ / segment_bytes + 1);
      continue;
    }
    out.push_back(view);
    ++added;
    bytes += view.record_bytes();
    read_position_ = view.end_position();
    read_sequence_ = view.sequence() + 1;
  }
  return added;
}

// The record at read_position_ is damaged. Records are 8-byte aligned, so the next one that
// checks out (its CRC, and a sequence no further ahead than the bytes in between allow) is
// searched for in what is visible of this segment; failing that, reading continues at the end
// of what is visible (a record boundary), or at the next segment. Bounded by one segment.
void LogReader::skip_damaged(uint64_t end) {
  corrupt_records_.fetch_add(1, std::memory_order_relaxed);
  resync_ = true;
  const uint32_t segment_bytes = log_->segment_bytes_;
  const uint64_t segment = read_position_ / segment_bytes;
  const uint64_t segment_end = (segment + 1) * segment_bytes;
  const uint64_t limit = std::min(end, segment_end);
  const std::byte* base = log_->segment_for(read_position_);
  for (uint64_t p = read_position_ + kRecordAlign; p + kRecordHeaderBytes <= limit; p += kRecordAlign) {
    const uint64_t offset = p % segment_bytes;
    if (check_record(base + offset, limit - p) != RecordCheck::ok) continue;
    const uint64_t sequence = EventView(base + offset).sequence();
    const uint64_t sequence_max = read_sequence_ + (p - read_position_) / kRecordHeaderBytes;
    if (sequence < read_sequence_ || sequence > sequence_max) continue;
    read_position_ = p;
    return;
  }
  read_position_ = end < segment_end ? end : log_->segment_start(segment + 1);
}

void LogReader::publish_commit(uint64_t position, uint64_t sequence) {
  SLUICE_ASSERT(position >= committed_position() && position <= read_position_, "commit outside what was read");
  committed_sequence_.store(sequence, std::memory_order_release);
  committed_position_.store(position, std::memory_order_release);
}

void LogReader::commit() { publish_commit(read_position_, read_sequence_); }

void LogReader::commit_through(const EventView& last) { publish_commit(last.end_position(), last.sequence() + 1); }

void LogReader::rewind() {
  read_position_ = committed_position();
  read_sequence_ = committed_sequence();
}

bool LogReader::has_unread() const {
  return read_position_ < log_->published_position_.load(std::memory_order_acquire);
}

bool LogReader::drained() const {
  return log_->closed_.load(std::memory_order_acquire) &&
         read_position_ == log_->published_position_.load(std::memory_order_acquire) &&
         committed_position() == read_position_;
}

}  // namespace sluice::ringbuf
