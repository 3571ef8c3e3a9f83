// Assertions for programmer errors. They stay on in release builds: a broken invariant in an
// ingestion server must stop the process loudly rather than corrupt stored events.
// Any thread may call these.
#pragma once

namespace sluice::base {

[[noreturn]] void assert_failed(const char* expr, const char* file, int line, const char* message);

}  // namespace sluice::base

#define SLUICE_ASSERT(cond, message)                                                                       \
  do {                                                                                                     \
    if (__builtin_expect(!(cond), 0)) ::sluice::base::assert_failed(#cond, __FILE__, __LINE__, (message)); \
  } while (0)

// For code paths that must never be reached (e.g. after an exhaustive switch).
#define SLUICE_UNREACHABLE(message) ::sluice::base::assert_failed("unreachable", __FILE__, __LINE__, (message))
