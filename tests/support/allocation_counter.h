// Test helper: counts heap allocations made by the calling thread, so that a test can check that
// a warm code path allocates nothing. Link tests/support/allocation_counter.cc into the test
// executable: it replaces the global operator new/delete (malloc and free underneath; the
// sanitizers still see every allocation through malloc).
#pragma once

#include <cstdint>

namespace sluice::testing {

// Allocations through operator new on this thread since it started.
uint64_t allocations_on_this_thread();

}  // namespace sluice::testing
