#include "server/sources/seq_source.h"

#include <algorithm>
#include <charconv>

#include "base/assert.h"
#include "base/logger.h"

namespace sluice::sources {
namespace {
constexpr size_t kDigitsMax = 20;  // UINT64_MAX has 20 decimal digits
}

SeqSource::SeqSource(const SeqSourceOptions& options, EventWriter writer, SourceProbe& probe)
    : options_(options), writer_(std::move(writer)), probe_(probe) {
  SLUICE_ASSERT(options.batch_size > 0, "seq batch size must be positive");
  digits_.resize(size_t{options.batch_size} * kDigitsMax);
  events_.reserve(options.batch_size);
}

Status SeqSource::start(ShardContext& context) {
  now_ms_ = context.now_ms;
  return {};
}

void SeqSource::after_batch() {
  uint64_t budget = options_.events_per_turn;
  while (!stopping_ && next_ < options_.total_events && budget > 0) {
    const uint64_t before = next_;
    if (!write_batch()) {
      if (!stopping_) probe_.paused_for_space();  // stopping_: given up, not waiting
      return;
    }
    budget -= std::min(budget, next_ - before);
  }
}

bool SeqSource::write_batch() {
  const uint64_t count = std::min<uint64_t>(options_.batch_size, options_.total_events - next_);
  events_.clear();
  for (uint64_t i = 0; i < count; ++i) {
    char* slot = digits_.data() + i * kDigitsMax;
    auto [end, ec] = std::to_chars(slot, slot + kDigitsMax, next_ + i);
    SLUICE_ASSERT(ec == std::errc(), "a 64-bit number fits 20 digits");
    ringbuf::PreparedEvent& e = events_.emplace_back();
    e.timestamp_ms = now_ms_;
    e.body = std::string_view(slot, static_cast<size_t>(end - slot));
  }
  const EventWriter::Written written = writer_.write(events_, now_ms_);
  if (written.refusal == ringbuf::AppendRefusal::too_large) {
    // A few bytes per event: only a channel misconfigured beyond start-up's checks does this.
    base::log_error("source {}: the channel refused events of a few bytes as too large; stopping", options_.name);
    stopping_ = true;
    return false;
  }
  if (written.refusal != ringbuf::AppendRefusal::none) return false;
  // The writer says how many the interceptors dropped, not which: the counts are exact, the
  // bytes split between accepted and filtered nearly so (the bodies differ by a digit at most).
  const uint64_t stored = count - written.filtered;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t size = events_[i].body.size();
    if (i < stored) probe_.event_accepted(size);
    else probe_.event_filtered(size);
  }
  probe_.routed(written.unrouted, written.optional_dropped);
  next_ += count;
  return true;
}

}  // namespace sluice::sources
