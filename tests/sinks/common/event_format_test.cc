#include "sinks/common/event_format.h"

#include <gtest/gtest.h>

#include "tests/support/event_builder.h"

namespace sluice::sinks {
namespace {

TEST(EventFormat, TextIsTheBodyAndANewline) {
  testing::EventBuffer events;
  std::string out;
  append_line(out, events.add({{"host", "h"}}, "hello"), LineFormat::text);
  EXPECT_EQ(out, "hello\n");
}

TEST(EventFormat, HeaderAndTextLikeFlume) {
  testing::EventBuffer events;
  std::string out;
  append_line(out, events.add({{"host", "h1"}, {"k", "v"}}, "body"), LineFormat::header_and_text);
  EXPECT_EQ(out, "{host=h1, k=v} body\n");
}

TEST(EventFormat, JsonWithFoldedTimestampAndEscapes) {
  testing::EventBuffer events;
  std::string out;
  append_line(out, events.add({{"timestamp", "1700000000000"}, {"quote\"key", "tab\tnew\nline"}}, "a\\b\"c\x01"),
              LineFormat::json);
  EXPECT_EQ(out,
            "{\"headers\":{\"timestamp\":\"1700000000000\",\"quote\\\"key\":\"tab\\tnew\\nline\"},"
            "\"body\":\"a\\\\b\\\"c\\u0001\"}\n");
}

TEST(EventFormat, JsonKeepsUtf8AndEscapesInvalidBytes) {
  std::string out;
  append_json_string_body(out, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(out, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  out.clear();
  // A lone continuation byte, a truncated sequence, an overlong encoding, a surrogate.
  append_json_string_body(out, "a\x80" "b\xC3" "c\xC0\xAF" "d\xED\xA0\x80");
  EXPECT_EQ(out, "a\\u0080b\\u00c3c\\u00c0\\u00afd\\u00ed\\u00a0\\u0080");
}

TEST(EventFormat, EmptyBodyAndNoHeaders) {
  testing::EventBuffer events;
  std::string out;
  append_line(out, events.add({}, ""), LineFormat::json);
  EXPECT_EQ(out, "{\"headers\":{},\"body\":\"\"}\n");
}

}  // namespace
}  // namespace sluice::sinks
