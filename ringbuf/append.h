// Writing one event into one or more logs (a source's channels) all-or-nothing. Called by the
// shard thread that owns every log passed in.
#pragma once

#include <charconv>
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

// The record time of an event that came with headers: its "timestamp" header when that is a
// number of milliseconds (as Flume's interceptors and clients set it), else `fallback_ms` (when
// it arrived, say).
inline int64_t event_time(std::span<const Header> headers, int64_t fallback_ms) {
  for (const Header& h : headers) {
    if (h.key != "timestamp") continue;
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(h.value.data(), h.value.data() + h.value.size(), ms);
    if (ec == std::errc() && end == h.value.data() + h.value.size()) return ms;
    break;
  }
  return fallback_ms;
}

// Appends `event` to every log in `logs`, or to none of them: when any log refuses, nothing is
// committed anywhere and the refusing log is returned through `refused` (its refusal() says
// why). Records become visible at each log's next publish().
bool append_event(std::span<Log* const> logs, const PreparedEvent& event, Log** refused = nullptr);

// Appends every event of a batch (an HTTP request, an Avro appendBatch) to every log in `logs`,
// or nothing at all: when any append is refused, everything the batch appended is rolled back.
// Returns AppendRefusal::none when stored; otherwise why not (full_* when the batch does not fit
// now, too_large when one event can never fit, store_error when the disk failed).
AppendRefusal append_batch(std::span<Log* const> logs, std::span<const PreparedEvent> events);

// Which of a source's logs an event goes to: bit i stands for logs[i].
using LogMask = uint32_t;
inline constexpr size_t kLogsPerEventMax = 16;

// Like append_batch, with each event going to its own subset of `logs`: events[i] to the logs
// whose bits are set in masks[i] (an event with no bit set goes nowhere). All or nothing: when
// any append is refused, everything the batch appended anywhere is rolled back.
AppendRefusal append_routed(std::span<Log* const> logs, std::span<const PreparedEvent> events,
                            std::span<const LogMask> masks);

// Best effort, for optional channels: appends events[i] to each log in masks[i] that takes it,
// independently of the others. Returns how many (event, log) appends were refused.
size_t append_where_room(std::span<Log* const> logs, std::span<const PreparedEvent> events,
                         std::span<const LogMask> masks);

}  // namespace sluice::ringbuf
