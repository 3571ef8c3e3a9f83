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

TEST(EventFormat, JsonKeepsUtf8AndReplacesInvalidSequences) {
  std::string out;
  EXPECT_EQ(append_json_string_body(out, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(out, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  out.clear();
  // A lone continuation byte, a truncated sequence, an overlong encoding, a surrogate: one
  // U+FFFD per maximal ill-formed subpart.
  EXPECT_EQ(append_json_string_body(out,
                                    "a\x80"
                                    "b\xC3"
                                    "c\xC0\xAF"
                                    "d\xED\xA0\x80"),
            7u);
  EXPECT_EQ(out, "a\uFFFDb\uFFFDc\uFFFD\uFFFDd\uFFFD\uFFFD\uFFFD");
}

// The four that the old \u00XX-per-byte rule confused: a raw 0xFF read back as "ÿ", the same as a
// real "ÿ" (C3 BF).
TEST(EventFormat, JsonTellsARawFFFromARealYDiaeresis) {
  testing::EventBuffer events;
  const std::string inputs[] = {"\xFF", "\xC3\xBF", "\xE2\x82", "\xED\xA0\x80"};
  const std::string expected[] = {"\uFFFD", "\xC3\xBF", "\uFFFD", "\uFFFD\uFFFD\uFFFD"};
  const bool invalid[] = {true, false, true, true};
  for (size_t i = 0; i < 4; ++i) {
    std::string out;
    EXPECT_EQ(append_line(out, events.add({{"h", inputs[i]}}, inputs[i]), LineFormat::json), invalid[i]) << i;
    EXPECT_EQ(out, "{\"headers\":{\"h\":\"" + expected[i] + "\"},\"body\":\"" + expected[i] + "\"}\n") << i;
  }
  // The text forms write the bytes as they are, and say nothing.
  std::string out;
  EXPECT_FALSE(append_line(out, events.add({}, "\xFF"), LineFormat::text));
  EXPECT_EQ(out, "\xFF\n");
}

TEST(EventFormat, JsonBase64ModeKeepsTheRawBodyOfInvalidEventsOnly) {
  testing::EventBuffer events;
  std::string out;
  EXPECT_TRUE(append_line(out, events.add({{"h", "\xFF"}}, "a\xFF"), LineFormat::json, InvalidUtf8::base64));
  EXPECT_EQ(out, "{\"headers\":{\"h\":\"\uFFFD\"},\"bodyBase64\":\"Yf8=\"}\n");
  out.clear();
  EXPECT_FALSE(append_line(out, events.add({}, "\xC3\xBF"), LineFormat::json, InvalidUtf8::base64));
  EXPECT_EQ(out, "{\"headers\":{},\"body\":\"\xC3\xBF\"}\n");
  out.clear();
  // An invalid header alone still counts, but the body stays "body".
  EXPECT_TRUE(append_line(out, events.add({{"h", "\xFF"}}, "ok"), LineFormat::json, InvalidUtf8::base64));
  EXPECT_EQ(out, "{\"headers\":{\"h\":\"\uFFFD\"},\"body\":\"ok\"}\n");
}

TEST(EventFormat, Base64LikeRfc4648) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"},
                                                         {"\xFF\xFE\xFD", "//79"}};
  for (const auto& [in, expected] : vectors) {
    std::string out;
    append_base64(out, in);
    EXPECT_EQ(out, expected) << in;
  }
}

TEST(EventFormat, EmptyBodyAndNoHeaders) {
  testing::EventBuffer events;
  std::string out;
  append_line(out, events.add({}, ""), LineFormat::json);
  EXPECT_EQ(out, "{\"headers\":{},\"body\":\"\"}\n");
}

}  // namespace
}  // namespace sluice::sinks
