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

}  // namespace sluice::ringbuf
