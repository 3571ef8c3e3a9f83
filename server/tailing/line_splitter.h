// Cuts a tailed file's bytes into lines as Flume's TAILDIR does: only LF ends a line, the LF
// and a CR just before it are not part of the line, a lone CR is kept, an empty line is an
// empty event. Two things Flume does not do: a line longer than `max_line_bytes` is cut into
// pieces of that size (every byte kept, each piece an event, counted), and a last line without
// its LF is held back until the LF arrives (Flume sends it early when the file goes idle, and
// the rest of the line later as a second event).
//
// Pure: any thread.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace sluice::tailing {

struct Line {
  std::string_view text;  // without its terminator
  size_t consumed = 0;    // bytes of the input it used, terminator included
  bool cut = false;       // a piece of an over-long line (no terminator consumed)
};

// The first line of `data`, or {consumed == 0} when `data` holds no complete line yet (a
// reader whose buffer holds max_line_bytes + 2 bytes past a line's start always gets a line or
// a cut). `at_end`: no more bytes will come (a rotated file at its end), so a last line
// without LF is a line.
inline Line next_line(std::string_view data, size_t max_line_bytes, bool at_end = false) {
  // A CRLF needs two bytes past a line of max_line_bytes.
  const size_t window = std::min(data.size(), max_line_bytes + 2);
  const void* lf = std::memchr(data.data(), '\n', window);
  if (lf != nullptr) {
    size_t length = static_cast<size_t>(static_cast<const char*>(lf) - data.data());
    const size_t consumed = length + 1;
    if (length > 0 && data[length - 1] == '\r') --length;
    if (length <= max_line_bytes) return {data.substr(0, length), consumed, false};
    return {data.substr(0, max_line_bytes), max_line_bytes, true};
  }
  // No LF in the window: the line is too long only once the whole window is there (a line of
  // exactly max_line_bytes may still get its CRLF).
  const bool too_long = data.size() >= max_line_bytes + 2 || (at_end && data.size() > max_line_bytes);
  if (too_long) return {data.substr(0, max_line_bytes), max_line_bytes, true};
  if (at_end && !data.empty()) return {data, data.size(), false};
  return {};
}

}  // namespace sluice::tailing
