#include "protocols/syslog/tcp_framer.h"

#include <algorithm>

namespace sluice::syslog {

namespace {
// The first allocation: enough for most messages split across two receives.
constexpr size_t kCarryInitialBytes = 512;
}  // namespace

TcpFramer::TcpFramer(size_t message_bytes_max)
    : message_bytes_max_(message_bytes_max), carry_limit_(message_bytes_max + 2) {
  SLUICE_ASSERT(message_bytes_max > 0, "message_bytes_max must be positive");
}

void TcpFramer::carry_append(const char* data, size_t n) {
  const size_t need = carry_bytes_ + n;
  SLUICE_ASSERT(need <= carry_limit_, "carry buffer past its limit");
  if (need > carry_capacity_) {
    // Per connection, not per event: doubling reaches the limit in a few steps.
    const size_t capacity = std::min(carry_limit_, std::max({need, carry_capacity_ * 2, kCarryInitialBytes}));
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (carry_bytes_ > 0) std::memcpy(grown.get(), carry_.get(), carry_bytes_);
    carry_ = std::move(grown);
    carry_capacity_ = capacity;
  }
  if (n > 0) std::memcpy(carry_.get() + carry_bytes_, data, n);
  carry_bytes_ = need;
}

TcpFramer::FeedResult TcpFramer::fail(size_t consumed, std::string_view error) {
  state_ = State::garbage;
  error_ = error;
  carry_bytes_ = 0;
  return {Status::garbage, consumed, error};
}

}  // namespace sluice::syslog
