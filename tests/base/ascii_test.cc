#include "base/ascii.h"

#include <gtest/gtest.h>

namespace sluice::base {
namespace {

TEST(Ascii, FoldsOnlyLettersOfAsciiCase) {
  static_assert(equals_ignoring_case("Content-Type", "content-TYPE"));
  EXPECT_TRUE(equals_ignoring_case("org.apache.flume.sink.kafka.KafkaSink", "ORG.APACHE.FLUME.SINK.KAFKA.KAFKASINK"));
  EXPECT_FALSE(equals_ignoring_case("gzip", "gzip "));
  EXPECT_FALSE(equals_ignoring_case("@", "`"));  // 0x40 vs 0x60: not letters, not folded
  EXPECT_FALSE(equals_ignoring_case("[", "{"));
  EXPECT_FALSE(equals_ignoring_case("\xC3\x89", "\xC3\xA9"));  // É vs é: bytes above 0x7F stay
  EXPECT_TRUE(equals_ignoring_case("", ""));
  EXPECT_EQ(to_lower_ascii('Z'), 'z');
  EXPECT_EQ(to_lower_ascii('\xC9'), '\xC9');
}

}  // namespace
}  // namespace sluice::base
