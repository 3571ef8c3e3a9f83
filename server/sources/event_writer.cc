#include "server/sources/event_writer.h"

#include "base/assert.h"

namespace sluice::sources {

namespace {

std::vector<ringbuf::Log*> logs_in(const std::vector<ringbuf::Log*>& logs, ringbuf::LogMask mask) {
  std::vector<ringbuf::Log*> out;
  for (size_t i = 0; i < logs.size(); ++i)
    if (mask & (ringbuf::LogMask{1} << i)) out.push_back(logs[i]);
  return out;
}

}  // namespace

EventWriter::EventWriter(std::vector<ringbuf::Log*> logs, interceptors::Chain* chain, ChannelSelector* selector)
    : logs_(std::move(logs)), chain_(chain), selector_(selector) {
  SLUICE_ASSERT(logs_.size() <= ringbuf::kLogsPerEventMax, "a source writes to at most 16 channels");
  if (selector_ == nullptr) {
    required_logs_ = logs_;
    acknowledged_logs_ = logs_;
    return;
  }
  SLUICE_ASSERT(selector_->options().channels == logs_.size(), "the selector's channels are the source's");
  if (selector_->fixed()) {
    required_logs_ = logs_in(logs_, selector_->fixed_choice().required);
    fixed_optional_ = selector_->fixed_choice().optional;
  }
  acknowledged_logs_ = logs_in(logs_, selector_->may_require());
}

EventWriter::Written EventWriter::write(std::span<const ringbuf::PreparedEvent> events, int64_t now_ms) {
  Written out;
  if (chain_ != nullptr) {
    std::span<const ringbuf::PreparedEvent> kept = chain_->run(events, now_ms);
    out.filtered = events.size() - kept.size();
    events = kept;
  }
  if (selector_ != nullptr && !selector_->fixed()) return write_routed(events, out);
  return write_fixed(events, out);
}

EventWriter::Written EventWriter::write_fixed(std::span<const ringbuf::PreparedEvent> events, Written out) {
  if (!required_logs_.empty()) {
    if (events.size() == 1) {
      // One syslog message: the cheaper single-event append (no room check over the batch).
      ringbuf::Log* refused = nullptr;
      if (!ringbuf::append_event(required_logs_, events[0], &refused)) out.refusal = refused->refusal();
    } else {
      out.refusal = ringbuf::append_batch(required_logs_, events);
    }
    if (out.refusal != ringbuf::AppendRefusal::none) return out;
  }
  if (fixed_optional_ != 0 && !events.empty()) {
    optional_masks_.assign(events.size(), fixed_optional_);
    out.optional_dropped = ringbuf::append_where_room(logs_, events, optional_masks_);
  }
  return out;
}

EventWriter::Written EventWriter::write_routed(std::span<const ringbuf::PreparedEvent> events, Written out) {
  if (events.size() == 1) {
    // One syslog message: straight to its channels, without the batch's bookkeeping.
    const ChannelChoice choice = selector_->select(events[0].headers);
    ringbuf::Log* subset[ringbuf::kLogsPerEventMax];
    size_t n = 0;
    for (size_t i = 0; i < logs_.size(); ++i)
      if (choice.required & (ringbuf::LogMask{1} << i)) subset[n++] = logs_[i];
    if (n > 0) {
      ringbuf::Log* refused = nullptr;
      if (!ringbuf::append_event({subset, n}, events[0], &refused)) {
        out.refusal = refused->refusal();
        return out;
      }
    }
    if ((choice.required | choice.optional) == 0) ++out.unrouted;
    if (choice.optional != 0) {
      optional_masks_.assign(1, choice.optional);
      out.optional_dropped = ringbuf::append_where_room(logs_, events, optional_masks_);
    }
    return out;
  }
  required_masks_.clear();
  optional_masks_.clear();
  ringbuf::LogMask any_optional = 0;
  for (const ringbuf::PreparedEvent& e : events) {
    const ChannelChoice choice = selector_->select(e.headers);
    required_masks_.push_back(choice.required);
    optional_masks_.push_back(choice.optional);
    any_optional |= choice.optional;
    if ((choice.required | choice.optional) == 0) ++out.unrouted;
  }
  out.refusal = ringbuf::append_routed(logs_, events, required_masks_);
  if (out.refusal != ringbuf::AppendRefusal::none) return out;
  if (any_optional != 0) out.optional_dropped = ringbuf::append_where_room(logs_, events, optional_masks_);
  return out;
}

}  // namespace sluice::sources
