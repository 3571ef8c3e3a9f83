#include "bench/cli/event_marker.h"

#include "bench/cli/sequence_digits.h"

namespace sluice::bench {
namespace {

constexpr std::string_view kConnLabel = "conn=";
constexpr std::string_view kSeqLabel = " seq=";
constexpr size_t kMarkerBytes = kConnLabel.size() + kConnDigits + kSeqLabel.size() + kSeqDigits;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The decimal number in `digits` if every character is a digit.
std::optional<uint64_t> read_digits(std::string_view digits) {
  uint64_t value = 0;
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

std::optional<EventMarker> find_event_marker(std::string_view event) {
  for (size_t at = event.find(kConnLabel); at != std::string_view::npos; at = event.find(kConnLabel, at + 1)) {
    if (event.size() - at < kMarkerBytes) return std::nullopt;
    std::string_view marker = event.substr(at, kMarkerBytes);
    auto conn = read_digits(marker.substr(kConnLabel.size(), kConnDigits));
    if (!conn || marker.substr(kConnLabel.size() + kConnDigits, kSeqLabel.size()) != kSeqLabel) continue;
    auto seq = read_digits(marker.substr(kMarkerBytes - kSeqDigits));
    if (!seq) continue;
    if (event.size() > at + kMarkerBytes && is_digit(event[at + kMarkerBytes])) continue;
    return EventMarker{static_cast<uint32_t>(*conn), *seq};
  }
  return std::nullopt;
}

}  // namespace sluice::bench
