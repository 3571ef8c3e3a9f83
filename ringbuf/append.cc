#include "ringbuf/append.h"

#include <cstring>

#include "server/base/assert.h"

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

}  // namespace sluice::ringbuf
