#include "sinks/logger/logger_sink.h"

#include <gtest/gtest.h>

#include "tests/support/event_builder.h"

namespace sluice::sinks::logger {
namespace {

TEST(LoggerSink, DescribesHeadersAndTheStartOfTheBodyLikeFlume) {
  testing::EventBuffer events;
  auto e = events.add({{"host", "h1"}}, "hello world, this is long");
  EXPECT_EQ(LoggerSink::describe(e, 5), "Event: { headers:{host=h1} body: 68 65 6C 6C 6F hello... (25 bytes) }");
  auto short_one = events.add({}, "a\tb");
  EXPECT_EQ(LoggerSink::describe(short_one, 16), "Event: { headers:{} body: 61 09 62 a.b }");
}

}  // namespace
}  // namespace sluice::sinks::logger
