#include "ringbuf/append.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace sluice::ringbuf {

bool append_event(std::span<Log* const> logs, const PreparedEvent& event, Log** refused) {
  SLUICE_ASSERT(!logs.empty(), "append_event without a log");
  SLUICE_ASSERT(logs.size() <= 16, "more channels than a selector may fan out to");
  const size_t need = record_size(event.headers, event.body.size());

  // Reserve everywhere first: a reservation is invisible and costs nothing to abandon, which
  // is what makes a refusal by the second log leave the first untouched.
  std::span<std::byte> spaces[16];
  for (size_t i = 0; i < logs.size(); ++i) {
    spaces[i] = logs[i]->reserve(need);
    if (spaces[i].empty()) {
      for (size_t j = 0; j < i; ++j) logs[j]->abandon();
      if (refused) *refused = logs[i];
      return false;
    }
  }
  // Sequence numbers are per log, so each copy is encoded on its own rather than memcpy'd.
  for (size_t i = 0; i < logs.size(); ++i) {
    size_t written = encode_record(spaces[i], logs[i]->next_sequence(), event.timestamp_ms, event.headers, event.body);
    logs[i]->commit(written);
  }
  return true;
}

AppendRefusal append_batch(std::span<Log* const> logs, std::span<const PreparedEvent> events) {
  SLUICE_ASSERT(logs.size() <= 16, "more channels than a selector may fan out to");
  if (events.empty()) return AppendRefusal::none;
  uint64_t total = 0;
  uint64_t largest = 0;
  for (const PreparedEvent& e : events) {
    uint64_t bytes = align_record(record_size(e.headers, e.body.size()));
    total += bytes;
    largest = std::max(largest, bytes);
  }
  for (Log* log : logs) {
    if (log->failed()) return AppendRefusal::store_error;
    if (largest > log->record_bytes_max()) return AppendRefusal::too_large;
    if (!log->room_for(total, events.size(), largest)) return AppendRefusal::full_bytes;
  }
  LogMark marks[16];
  for (size_t i = 0; i < logs.size(); ++i) marks[i] = logs[i]->mark();
  for (const PreparedEvent& e : events) {
    Log* refused = nullptr;
    if (!append_event(logs, e, &refused)) {
      AppendRefusal why = refused->refusal();
      for (size_t i = 0; i < logs.size(); ++i) logs[i]->rollback(marks[i]);
      return why;
    }
  }
  return AppendRefusal::none;
}

namespace {

// The logs of `mask`, in order, into `out` (room for kLogsPerEventMax); returns how many.
size_t logs_of(std::span<Log* const> logs, LogMask mask, Log** out) {
  size_t n = 0;
  for (size_t i = 0; i < logs.size(); ++i)
    if (mask & (LogMask{1} << i)) out[n++] = logs[i];
  return n;
}

}  // namespace

AppendRefusal append_routed(std::span<Log* const> logs, std::span<const PreparedEvent> events,
                            std::span<const LogMask> masks) {
  SLUICE_ASSERT(logs.size() <= kLogsPerEventMax, "more channels than a selector may fan out to");
  SLUICE_ASSERT(events.size() == masks.size(), "append_routed: one mask per event");
  if (events.empty()) return AppendRefusal::none;
  // What each log would take, so that a batch that cannot fit is refused before anything moves.
  uint64_t total[kLogsPerEventMax] = {};
  uint64_t count[kLogsPerEventMax] = {};
  uint64_t largest[kLogsPerEventMax] = {};
  LogMask used = 0;
  for (size_t e = 0; e < events.size(); ++e) {
    const uint64_t bytes = align_record(record_size(events[e].headers, events[e].body.size()));
    used |= masks[e];
    for (size_t i = 0; i < logs.size(); ++i) {
      if (!(masks[e] & (LogMask{1} << i))) continue;
      total[i] += bytes;
      ++count[i];
      largest[i] = std::max(largest[i], bytes);
    }
  }
  for (size_t i = 0; i < logs.size(); ++i) {
    if (!(used & (LogMask{1} << i))) continue;
    if (logs[i]->failed()) return AppendRefusal::store_error;
    if (largest[i] > logs[i]->record_bytes_max()) return AppendRefusal::too_large;
    if (!logs[i]->room_for(total[i], count[i], largest[i])) return AppendRefusal::full_bytes;
  }
  LogMark marks[kLogsPerEventMax];
  for (size_t i = 0; i < logs.size(); ++i) marks[i] = logs[i]->mark();
  Log* subset[kLogsPerEventMax];
  for (size_t e = 0; e < events.size(); ++e) {
    const size_t n = logs_of(logs, masks[e], subset);
    if (n == 0) continue;
    Log* refused = nullptr;
    if (!append_event({subset, n}, events[e], &refused)) {
      const AppendRefusal why = refused->refusal();
      for (size_t i = 0; i < logs.size(); ++i) logs[i]->rollback(marks[i]);
      return why;
    }
  }
  return AppendRefusal::none;
}

size_t append_where_room(std::span<Log* const> logs, std::span<const PreparedEvent> events,
                         std::span<const LogMask> masks) {
  SLUICE_ASSERT(events.size() == masks.size(), "append_where_room: one mask per event");
  size_t refused = 0;
  for (size_t e = 0; e < events.size(); ++e) {
    for (size_t i = 0; i < logs.size(); ++i) {
      if (!(masks[e] & (LogMask{1} << i))) continue;
      Log* one = logs[i];
      if (one->failed() || !append_event({&one, 1}, events[e])) ++refused;
    }
  }
  return refused;
}

}  // namespace sluice::ringbuf
