// Writing one event into one or more logs (a source's channels) all-or-nothing. Called by the
// shard thread that owns every log passed in.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "ringbuf/log.h"
#include "ringbuf/record.h"

namespace sluice::ringbuf {

// An event ready to be encoded: it refers to bytes owned by the caller (the received buffer,
// a parser's scratch space), which must stay put until append_event() returns.
struct PreparedEvent {
  int64_t timestamp_ms = 0;
  std::span<const Header> headers;
  std::string_view body;
};

// Appends `event` to every log in `logs`, or to none of them: when any log refuses, nothing is
// committed anywhere and the refusing log is returned through `refused` (its refusal() says
// why). Records become visible at each log's next publish().
bool append_event(std::span<Log* const> logs, const PreparedEvent& event, Log** refused = nullptr);

// Appends every event of a batch (an HTTP request, an Avro appendBatch) to every log in `logs`,
// or nothing at all: when any append is refused, everything the batch appended is rolled back.
// Returns AppendRefusal::none when stored; otherwise why not (full_* when the batch does not fit
// now, too_large when one event can never fit, store_error when the disk failed).
AppendRefusal append_batch(std::span<Log* const> logs, std::span<const PreparedEvent> events);

}  // namespace sluice::ringbuf
