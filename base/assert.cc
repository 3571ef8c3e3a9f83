#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace sluice::base {

void assert_failed(const char* expr, const char* file, int line, const char* message) {
  // fprintf to stderr is unbuffered and async-signal-tolerant enough for a dying process.
  std::fprintf(stderr, "sluice: assertion failed: %s at %s:%d: %s\n", expr, file, line, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace sluice::base
