#include "protocols/http/event_builder.h"

#include <algorithm>

namespace sluice::http::detail {

namespace {
// Events with up to this many headers are checked for duplicate keys pairwise; more are
// sorted (a client must not buy quadratic work with one large event).
constexpr size_t kPairwiseDuplicateCheckMax = 16;
constexpr size_t kExcerptBytesMax = 64;
}  // namespace

std::string_view json_kind_article(JsonKind kind) {
  switch (kind) {
    case JsonKind::object: return "an object";
    case JsonKind::array: return "an array";
    case JsonKind::string: return "a string";
    case JsonKind::number: return "a number";
    case JsonKind::boolean: return "a boolean";
    case JsonKind::null: return "null";
  }
  return "?";
}

std::string_view message_excerpt(std::string_view text) {
  if (text.size() <= kExcerptBytesMax) return text;
  size_t n = kExcerptBytesMax;
  // Do not cut a UTF-8 sequence: back up over continuation bytes.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

void EventBuilder::reset(std::string_view input, std::span<const ringbuf::Header> extra_headers) {
  extra_headers_ = extra_headers;
  line_ = 0;
  pending_.clear();
  headers_.clear();
  events_.clear();
  arena_used_ = 0;
  if (arena_capacity_ < input.size()) {
    arena_capacity_ = std::max(input.size(), arena_capacity_ * 2);
    arena_ = std::make_unique_for_overwrite<char[]>(arena_capacity_);
  }
}

HttpError EventBuilder::begin_event() {
  if (pending_.size() >= options_.events_max)
    return error(kStatusPayloadTooLarge, "more than {} events in one request", options_.events_max);
  event_header_begin_ = headers_.size();
  body_ = {};
  return {};
}

HttpError EventBuilder::add_header(std::string_view key, std::string_view value) {
  if (headers_.size() - event_header_begin_ >= options_.headers_per_event_max)
    return error_here(kStatusPayloadTooLarge, "more than {} headers", options_.headers_per_event_max);
  if (key.size() > ringbuf::kHeaderKeyBytesMax)
    return error_here(kStatusBadRequest, "header key longer than {} bytes", ringbuf::kHeaderKeyBytesMax);
  // Resolved once here rather than each time the channel sizes and encodes the record.
  headers_.push_back(ringbuf::resolved_header(key, value));
  return {};
}

HttpError EventBuilder::check_duplicate_keys(size_t begin, size_t end) {
  if (end - begin <= kPairwiseDuplicateCheckMax) {
    for (size_t i = begin + 1; i < end; ++i)
      for (size_t j = begin; j < i; ++j)
        if (headers_[i].key == headers_[j].key)
          return error_here(kStatusBadRequest, "duplicate header \"{}\"", message_excerpt(headers_[i].key));
    return {};
  }
  key_scratch_.clear();
  for (size_t i = begin; i < end; ++i) key_scratch_.push_back(headers_[i].key);
  std::sort(key_scratch_.begin(), key_scratch_.end());
  const auto dup = std::adjacent_find(key_scratch_.begin(), key_scratch_.end());
  if (dup != key_scratch_.end()) return error_here(kStatusBadRequest, "duplicate header \"{}\"", message_excerpt(*dup));
  return {};
}

HttpError EventBuilder::end_event() {
  const size_t begin = event_header_begin_;
  const size_t own_end = headers_.size();
  // Gson, which Flume's JSONHandler uses, refuses a JSON object with a repeated key as a map.
  if (HttpError e = check_duplicate_keys(begin, own_end)) return e;
  // The source's fixed headers, unless the event has its own (as Flume's static interceptor
  // with preserveExisting=true).
  for (const ringbuf::Header& extra : extra_headers_) {
    bool present = false;
    for (size_t i = begin; i < own_end && !present; ++i) present = headers_[i].key == extra.key;
    if (!present) headers_.push_back(extra);
  }
  if (headers_.size() - begin > UINT16_MAX)
    return error_here(kStatusPayloadTooLarge, "more than {} headers", size_t{UINT16_MAX});
  pending_.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(headers_.size() - begin), body_});
  return {};
}

void EventBuilder::finish() {
  events_.clear();
  events_.reserve(pending_.size());
  for (const Pending& p : pending_)
    events_.push_back({std::span<const ringbuf::Header>(headers_.data() + p.header_begin, p.header_count), p.body});
}

}  // namespace sluice::http::detail
