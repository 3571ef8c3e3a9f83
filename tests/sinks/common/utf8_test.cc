#include "sinks/common/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "sinks/common/event_format.h"

namespace sluice::sinks {
namespace {

const std::string R(kReplacementCharacter);

// The rule of utf8.h applied with utf8_step(): appends `text` with every maximal ill-formed
// subpart replaced by U+FFFD and returns how many were.
size_t repair(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t replaced = 0;
  for (size_t i = 0; i < text.size();) {
    const Utf8Step step = utf8_step(p + i, text.size() - i);
    if (step.valid) {
      out.append(text.substr(i, step.length));
    } else {
      out.append(R);
      ++replaced;
    }
    i += step.length;
  }
  return replaced;
}

struct Case {
  const char* what;
  std::string input;
  std::string expected;  // after repair(), and inside a JSON string
};

// Every boundary of Unicode's table 3-7 of well-formed sequences, on both sides.
TEST(Utf8, ValidSequencesPassUnchanged) {
  const std::string valid[] = {
      std::string("\x00", 1),  // U+0000
      "\x7F",                  // U+007F
      "\xC2\x80",              // U+0080, the first two-byte value
      "\xDF\xBF",              // U+07FF
      "\xE0\xA0\x80",          // U+0800, the first three-byte value
      "\xE0\xBF\xBF",          // U+0FFF
      "\xE1\x80\x80",          // U+1000
      "\xEC\xBF\xBF",          // U+CFFF
      "\xED\x80\x80",          // U+D000
      "\xED\x9F\xBF",          // U+D7FF, the last before the surrogates
      "\xEE\x80\x80",          // U+E000, the first after them
      "\xEF\xBF\xBD",          // U+FFFD itself
      "\xEF\xBF\xBF",          // U+FFFF
      "\xF0\x90\x80\x80",      // U+10000, the first four-byte value
      "\xF0\x9F\x98\x80",      // U+1F600
      "\xF0\xBF\xBF\xBF",      // U+3FFFF
      "\xF1\x80\x80\x80",      // U+40000
      "\xF3\xBF\xBF\xBF",      // U+FFFFF
      "\xF4\x80\x80\x80",      // U+100000
      "\xF4\x8F\xBF\xBF",      // U+10FFFF, the last scalar value
      "\xC3\xBF",              // "ÿ" (U+00FF)
      "plain ASCII, longer than eight bytes",
  };
  for (const std::string& v : valid) {
    SCOPED_TRACE(::testing::PrintToString(v));
    EXPECT_TRUE(is_valid_utf8(v));
    std::string out = "x";
    EXPECT_EQ(repair(out, v), 0u);
    EXPECT_EQ(out, "x" + v);
    auto step = utf8_step(reinterpret_cast<const uint8_t*>(v.data()), v.size());
    EXPECT_TRUE(step.valid);
  }
}

TEST(Utf8, EachMaximalIllFormedSubpartBecomesOneReplacement) {
  const Case cases[] = {
      {"stray continuation 80", "\x80", R},
      {"stray continuation BF", "\xBF", R},
      {"raw 0xFF", "\xFF", R},
      {"raw 0xFE", "\xFE", R},
      {"F5, never a lead byte", "\xF5\x80\x80\x80", R + R + R + R},
      {"F8 (old five-byte lead)", "\xF8\x88\x80\x80\x80", R + R + R + R + R},
      {"C0 80: overlong NUL", "\xC0\x80", R + R},
      {"C1 BF: overlong U+007F", "\xC1\xBF", R + R},
      {"E0 80 80: overlong three-byte", "\xE0\x80\x80", R + R + R},
      {"E0 9F BF: overlong U+07FF", "\xE0\x9F\xBF", R + R + R},
      {"F0 80 80 80: overlong four-byte", "\xF0\x80\x80\x80", R + R + R + R},
      {"F0 8F BF BF: overlong U+FFFF", "\xF0\x8F\xBF\xBF", R + R + R + R},
      {"ED A0 80: surrogate U+D800", "\xED\xA0\x80", R + R + R},
      {"ED BF BF: surrogate U+DFFF", "\xED\xBF\xBF", R + R + R},
      {"surrogate pair as CESU-8", "\xED\xA0\xBD\xED\xB8\x80", R + R + R + R + R + R},
      {"F4 90 80 80: above U+10FFFF", "\xF4\x90\x80\x80", R + R + R + R},
      {"two-byte lead at the end", "a\xC3", "a" + R},
      {"two-byte lead before ASCII",
       "\xC3"
       "A",
       R + "A"},
      {"three-byte sequence cut after two", "\xE2\x82", R},
      {"three-byte sequence cut, then a valid one", "\xE2\x82\xE2\x82\xAC", R + "\xE2\x82\xAC"},
      {"four-byte sequence cut after three", "\xF0\x9F\x98", R},
      {"four-byte sequence cut before ASCII",
       "\xF0\x9F\x98"
       "A",
       R + "A"},
      {"E0 A0 cut", "\xE0\xA0", R},
      {"F4 8F BF cut", "\xF4\x8F\xBF", R},
      // The example of Unicode 3.9, table 3-8 ("U+FFFD for non-shortest form sequences").
      {"Unicode's example", "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
       "a" + R + R + R + "b" + R + "c" + R + R + "d"},
      {"invalid after a long ASCII run", "0123456789abcdef\xFFtail", "0123456789abcdef" + R + "tail"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_FALSE(is_valid_utf8(c.input));
    std::string out;
    size_t replaced = repair(out, c.input);
    EXPECT_EQ(out, c.expected);
    size_t expected_replacements = 0;
    for (size_t at = c.expected.find(R); at != std::string::npos; at = c.expected.find(R, at + R.size()))
      ++expected_replacements;
    EXPECT_EQ(replaced, expected_replacements);
    // The JSON writer follows the same rule (no case here holds a character JSON escapes).
    std::string json;
    EXPECT_EQ(append_json_string_body(json, c.input), expected_replacements);
    EXPECT_EQ(json, c.expected);
  }
}

TEST(Utf8, StepLengthsAreTheMaximalSubparts) {
  auto step = [](std::string_view s) { return utf8_step(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  EXPECT_EQ(step("\xF0\x9F\x98").length, 3u);  // all three could have begun U+1F600
  EXPECT_FALSE(step("\xF0\x9F\x98").valid);
  EXPECT_EQ(step("\xED\xA0\x80").length, 1u);  // A0 cannot follow ED
  EXPECT_EQ(step("\xE0\x80").length, 1u);      // 80 cannot follow E0
  EXPECT_EQ(step("\xF4\x90").length, 1u);      // 90 cannot follow F4
  EXPECT_EQ(step("\xC3\xBF").length, 2u);
  EXPECT_TRUE(step("\xC3\xBF").valid);
  EXPECT_EQ(step("\xF0\x9F\x98\x80").length, 4u);
}

TEST(Utf8, AsciiPrefixAcrossWordBoundaries) {
  std::string s(40, 'a');
  EXPECT_EQ(ascii_prefix_length(s), 40u);
  for (size_t at : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 39u}) {
    std::string t = s;
    t[at] = '\x80';
    EXPECT_EQ(ascii_prefix_length(t), at) << at;
  }
  EXPECT_EQ(ascii_prefix_length(""), 0u);
}

TEST(AppendUtf8ReplacingInvalid, ReplacesEachMaximalSubpartOnceAndKeepsTheRest) {
  auto repaired = [](std::string_view in) {
    std::string out = "<";
    append_utf8_replacing_invalid(out, in);
    return out;
  };
  const std::string r(kReplacementCharacter);
  EXPECT_EQ(repaired("caf\xC3\xA9 \xF0\x9F\x98\x80"), "<caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(repaired("a\xF0\x9F\x98z"), "<a" + r + "z");  // truncated: one
  EXPECT_EQ(repaired("\xC0\xAF"), "<" + r + r);           // overlong: two
  EXPECT_EQ(repaired("\xED\xA0\x80"), "<" + r + r + r);   // surrogate: three
  EXPECT_EQ(repaired("\xFF"), "<" + r);                   // not "\xC3\xBF"
  EXPECT_EQ(repaired(""), "<");
}

}  // namespace
}  // namespace sluice::sinks
