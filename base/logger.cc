#include "base/logger.h"

#include <unistd.h>

#include <ctime>

namespace sluice::base {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warn: return "WARN";
    case LogLevel::error: return "ERROR";
  }
  return "?";
}

}  // namespace

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

LogLevel log_level() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::debug;
  else if (text == "info") out = LogLevel::info;
  else if (text == "warn") out = LogLevel::warn;
  else if (text == "error") out = LogLevel::error;
  else return false;
  return true;
}

void write_log_line(LogLevel level, std::string_view text) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}\n", utc.tm_year + 1900,
                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, now.tv_nsec / 1'000'000,
                 level_name(level), text);
  // One write per line keeps lines from different threads whole. A failed log write has
  // nowhere to be reported, so it is ignored.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

bool RateLimitedLog::allow(int64_t now_ms) {
  if (now_ms - window_start_ms_ >= interval_ms_) {
    window_start_ms_ = now_ms;
    lines_in_window_ = 0;
  }
  if (lines_in_window_ < lines_per_interval_) {
    ++lines_in_window_;
    return true;
  }
  ++suppressed_;
  return false;
}

uint64_t RateLimitedLog::take_suppressed() {
  uint64_t n = suppressed_;
  suppressed_ = 0;
  return n;
}

}  // namespace sluice::base
