#include "server/sources/channel_selector.h"

#include "base/assert.h"

namespace sluice::sources {

ChannelSelector::ChannelSelector(Options options, uint64_t seed)
    : options_(std::move(options)), random_state_(seed | 1) {
  SLUICE_ASSERT(options_.channels >= 1 && options_.channels <= ringbuf::kLogsPerEventMax,
                "a selector over 1 to 16 channels");
  const ringbuf::LogMask all = (ringbuf::LogMask{1} << options_.channels) - 1;
  fixed_ = {all & ~options_.optional, options_.optional & all};
}

ChannelChoice ChannelSelector::by_header(std::span<const ringbuf::Header> headers) const {
  for (const ringbuf::Header& h : headers) {
    if (h.key != options_.header) continue;
    // Flume: a blank value counts as none.
    if (h.value.find_first_not_of(" \t\r\n") == std::string_view::npos) break;
    for (const Mapping& m : options_.mappings)
      if (m.value == h.value) return m.choice;
    break;
  }
  return options_.default_choice;
}

ringbuf::LogMask ChannelSelector::next_channel() {
  uint32_t index = 0;
  if (options_.random) {
    // xorshift64: uniform enough to spread load, and no lock or syscall per event.
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    index = static_cast<uint32_t>(random_state_ % options_.channels);
  } else {
    index = turn_;
    turn_ = (turn_ + 1) % options_.channels;
  }
  return ringbuf::LogMask{1} << index;
}

ringbuf::LogMask ChannelSelector::may_require() const {
  switch (options_.type) {
    case Type::replicating: return fixed_.required;
    case Type::load_balancing: return (ringbuf::LogMask{1} << options_.channels) - 1;
    case Type::multiplexing: {
      ringbuf::LogMask mask = options_.default_choice.required;
      for (const Mapping& m : options_.mappings) mask |= m.choice.required;
      return mask;
    }
  }
  return fixed_.required;
}

}  // namespace sluice::sources
