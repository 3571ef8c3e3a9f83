// Reads back the marker every sluice-bench event carries, "conn=003 seq=0000000042": in the
// syslog messages after their RFC 5424 header, in the http and avro event bodies (and, for http
// json/ndjson, also as headers, which a sink may write too). The marker is found anywhere in an
// event, so a sink's line format (text body, Flume JSON with headers) does not matter.
//
// Threads: pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::bench {

struct EventMarker {
  uint32_t conn = 0;
  uint64_t seq = 0;
  bool operator==(const EventMarker&) const = default;
};

// The first well-formed marker in `event`: exactly kConnDigits digits after "conn=", then
// " seq=" and exactly kSeqDigits digits, not followed by another digit.
std::optional<EventMarker> find_event_marker(std::string_view event);

}  // namespace sluice::bench
