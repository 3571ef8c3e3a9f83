#include "server/interceptors/chain.h"

#include "base/assert.h"

namespace sluice::interceptors {

Chain::Chain(std::vector<std::unique_ptr<Interceptor>> interceptors) : interceptors_(std::move(interceptors)) {
  for (const auto& i : interceptors_) SLUICE_ASSERT(i != nullptr, "Chain: a null interceptor");
}

std::span<const ringbuf::PreparedEvent> Chain::run(std::span<const ringbuf::PreparedEvent> events, int64_t now_ms) {
  if (arena_.used_bytes() > 0) arena_.reset();
  kept_headers_.clear();
  kept_header_starts_.clear();
  kept_.clear();
  // One event (a syslog message, most of the time): its headers stay in scratch_.
  const bool single = events.size() == 1;
  for (const ringbuf::PreparedEvent& event : events) {
    scratch_.assign(event.headers.begin(), event.headers.end());
    EventEdit edit(scratch_, event.body, arena_, now_ms);
    bool keep = true;
    for (const auto& interceptor : interceptors_) {
      if (!interceptor->intercept(edit)) {
        keep = false;
        break;
      }
    }
    if (!keep) continue;
    const int64_t time_ms =
        edit.timestamp_changed() ? ringbuf::event_time(scratch_, event.timestamp_ms) : event.timestamp_ms;
    if (single) {
      kept_.push_back({time_ms, scratch_, edit.body()});
      return kept_;
    }
    kept_header_starts_.push_back(kept_headers_.size());
    kept_headers_.insert(kept_headers_.end(), scratch_.begin(), scratch_.end());
    kept_.push_back({time_ms, {}, edit.body()});
  }
  // The header spans are taken only now: kept_headers_ may have moved while it grew.
  for (size_t i = 0; i < kept_.size(); ++i) {
    const size_t start = kept_header_starts_[i];
    const size_t end = i + 1 < kept_.size() ? kept_header_starts_[i + 1] : kept_headers_.size();
    kept_[i].headers = std::span<const ringbuf::Header>(kept_headers_.data() + start, end - start);
  }
  return kept_;
}

}  // namespace sluice::interceptors
