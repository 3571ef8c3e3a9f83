#include "bench/cli/event_marker.h"

#include <gtest/gtest.h>

#include <string>

#include "bench/cli/batch_events.h"
#include "bench/cli/syslog_message.h"

namespace sluice::bench {
namespace {

TEST(EventMarker, ReadsWhatTheLoadsWrite) {
  std::string syslog = build_syslog_message("2026-11-21T05:10:00.000Z", 3, 42, 200);
  EXPECT_EQ(find_event_marker(syslog), (EventMarker{3, 42}));
  std::string body;
  append_event_body(body, 255, 9'999'999'999, event_body_bytes_min());
  EXPECT_EQ(find_event_marker(body), (EventMarker{255, 9'999'999'999}));
}

TEST(EventMarker, FindsTheMarkerInsideFlumeJson) {
  EXPECT_EQ(find_event_marker(R"({"headers":{"host":"benchhost"},"body":"conn=001 seq=0000000007 xxx"})"),
            (EventMarker{1, 7}));
}

TEST(EventMarker, SkipsMalformedMarkersAndTakesTheFirstGoodOne) {
  EXPECT_EQ(find_event_marker("conn=01 seq=0000000001 conn=002 seq=0000000003"), (EventMarker{2, 3}));
  EXPECT_FALSE(find_event_marker("conn=001 seq=000000001"));    // nine digits
  EXPECT_FALSE(find_event_marker("conn=001 seq=00000000012"));  // eleven digits
  EXPECT_FALSE(find_event_marker("conn=001  seq=0000000001"));
  EXPECT_FALSE(find_event_marker("conn=0x1 seq=0000000001"));
  EXPECT_FALSE(find_event_marker(""));
  EXPECT_FALSE(find_event_marker("hello"));
}

}  // namespace
}  // namespace sluice::bench
