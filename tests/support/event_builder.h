// Test helper: encodes events into an aligned buffer and hands out EventViews over them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ringbuf/record.h"

namespace sluice::testing {

class EventBuffer {
 public:
  // Appends an event; the view stays valid as long as this buffer lives.
  ringbuf::EventView add(std::vector<std::pair<std::string, std::string>> headers, std::string body,
                         int64_t timestamp_ms = 1700000000000, uint64_t sequence = 0) {
    std::vector<ringbuf::Header> h;
    for (auto& [k, v] : headers) h.push_back({k, v});
    size_t need = ringbuf::align_record(ringbuf::record_size(h, body.size()));
    auto storage = std::make_unique<uint64_t[]>(need / 8 + 1);
    auto* bytes = reinterpret_cast<std::byte*>(storage.get());
    ringbuf::encode_record(std::span(bytes, need), sequence, timestamp_ms, h, body);
    storage_.push_back(std::move(storage));
    views_.emplace_back(bytes);
    return views_.back();
  }
  const std::vector<ringbuf::EventView>& views() const { return views_; }

 private:
  std::vector<std::unique_ptr<uint64_t[]>> storage_;
  std::vector<ringbuf::EventView> views_;
};

}  // namespace sluice::testing
