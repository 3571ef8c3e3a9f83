// Start-up check that the kernel's io_uring has everything sluice relies on, so that a missing
// feature is one clear message at start instead of odd failures under load. Main thread, before
// the shards start.
#pragma once

#include "base/result.h"

namespace sluice::reactor {

// Creates a throw-away ring with the flags the shards use and checks opcodes, features,
// multishot accept/recv and provided buffer rings.
Status check_io_uring_features();

}  // namespace sluice::reactor
