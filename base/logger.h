// Process-wide log: one line per call, written with a single write(2) to stderr so lines from
// different threads never interleave. Any thread may call it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

namespace sluice::base {

enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3 };

void set_log_level(LogLevel level);
LogLevel log_level();
bool parse_log_level(std::string_view text, LogLevel& out);

void write_log_line(LogLevel level, std::string_view text);

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < log_level()) return;
  fmt::memory_buffer buffer;
  fmt::format_to(std::back_inserter(buffer), format, std::forward<Args>(args)...);
  write_log_line(level, std::string_view(buffer.data(), buffer.size()));
}

template <typename... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... a) {
  log(LogLevel::debug, f, std::forward<Args>(a)...);
}
template <typename... Args>
void log_info(fmt::format_string<Args...> f, Args&&... a) {
  log(LogLevel::info, f, std::forward<Args>(a)...);
}
template <typename... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... a) {
  log(LogLevel::warn, f, std::forward<Args>(a)...);
}
template <typename... Args>
void log_error(fmt::format_string<Args...> f, Args&&... a) {
  log(LogLevel::error, f, std::forward<Args>(a)...);
}

// Lets a noisy condition (a client sending garbage, say) log at most `lines_per_interval` lines
// per interval, then one summary line of how many were suppressed. Owned by one thread.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(uint32_t lines_per_interval = 10, int64_t interval_ms = 10'000)
      : lines_per_interval_(lines_per_interval), interval_ms_(interval_ms) {}

  // True when the caller may log now. Counts the suppressed ones otherwise.
  bool allow(int64_t now_ms);
  // Lines suppressed since the last allowed line; reset by the call.
  uint64_t take_suppressed();

 private:
  uint32_t lines_per_interval_;
  int64_t interval_ms_;
  int64_t window_start_ms_ = 0;
  uint32_t lines_in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace sluice::base
