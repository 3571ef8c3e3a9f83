#include "server/config/properties.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sluice::config {
namespace {

std::vector<Property> parse_ok(std::string_view text) {
  Result<std::vector<Property>> r = parse_properties(text);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r.value() : std::vector<Property>{};
}

std::string parse_error(std::string_view text) {
  Result<std::vector<Property>> r = parse_properties(text);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string("(parsed)") : r.error().message;
}

TEST(Properties, SeparatorForms) {
  EXPECT_EQ(parse_ok("a = 1\nb: 2\nc 3\nd=4\ne:5\nf\t6\ng   =   7\nh :8"), (std::vector<Property>{{"a", "1", 1},
                                                                                                  {"b", "2", 2},
                                                                                                  {"c", "3", 3},
                                                                                                  {"d", "4", 4},
                                                                                                  {"e", "5", 5},
                                                                                                  {"f", "6", 6},
                                                                                                  {"g", "7", 7},
                                                                                                  {"h", "8", 8}}));
}

TEST(Properties, OnlyTheFirstSeparatorSeparates) {
  EXPECT_EQ(parse_ok("a = b = c\nx: y: z\nurl = http://h:80/p"),
            (std::vector<Property>{{"a", "b = c", 1}, {"x", "y: z", 2}, {"url", "http://h:80/p", 3}}));
}

TEST(Properties, TrimsKeysAndValues) {
  EXPECT_EQ(parse_ok("   key   =   value with  inner  blanks  \t \n"),
            (std::vector<Property>{{"key", "value with  inner  blanks", 1}}));
}

TEST(Properties, EmptyValues) {
  EXPECT_EQ(parse_ok("a =\nb\nc:   "), (std::vector<Property>{{"a", "", 1}, {"b", "", 2}, {"c", "", 3}}));
}

TEST(Properties, CommentsAndBlankLines) {
  std::string text =
      "# a comment\n"
      "! another\n"
      "\n"
      "   # indented comment\n"
      "\t\n"
      "key = v # not a comment\n"
      "other = !also not\n";
  EXPECT_EQ(parse_ok(text), (std::vector<Property>{{"key", "v # not a comment", 6}, {"other", "!also not", 7}}));
}

TEST(Properties, ContinuationLinesKeepTheFirstLineNumber) {
  std::string text =
      "first = 1\n"
      "a1.sources = r1 \\\n"
      "      r2 \\\n"
      "   r3\n"
      "next = x\n";
  EXPECT_EQ(parse_ok(text),
            (std::vector<Property>{{"first", "1", 1}, {"a1.sources", "r1 r2 r3", 2}, {"next", "x", 5}}));
}

TEST(Properties, ContinuationInsideAKeyAndAtTheEndOfTheFile) {
  EXPECT_EQ(parse_ok("a1.sou\\\n  rces = r1\nlast = v\\"),
            (std::vector<Property>{{"a1.sources", "r1", 1}, {"last", "v", 3}}));
}

TEST(Properties, AnEvenNumberOfBackslashesDoesNotContinue) {
  EXPECT_EQ(parse_ok("path = C:\\\\\nnext = 1"), (std::vector<Property>{{"path", "C:\\", 1}, {"next", "1", 2}}));
}

TEST(Properties, ACommentDoesNotContinue) {
  EXPECT_EQ(parse_ok("# ends in a backslash \\\nkey = v"), (std::vector<Property>{{"key", "v", 2}}));
}

TEST(Properties, AContinuedLineStartingWithHashIsNotAComment) {
  EXPECT_EQ(parse_ok("key = a \\\n  #b"), (std::vector<Property>{{"key", "a #b", 1}}));
}

TEST(Properties, Escapes) {
  EXPECT_EQ(parse_ok("k = a\\tb\\nc\\rd\\\\e\\=f\\:g\\ h\\#\\!\\fi"),
            (std::vector<Property>{{"k", "a\tb\nc\rd\\e=f:g h#!\fi", 1}}));
}

TEST(Properties, EscapedSeparatorsInKeys) {
  EXPECT_EQ(parse_ok("my\\=key = 1\nmy\\:key = 2\nmy\\ key = 3"),
            (std::vector<Property>{{"my=key", "1", 1}, {"my:key", "2", 2}, {"my key", "3", 3}}));
}

TEST(Properties, EscapedBlanksAreKept) {
  EXPECT_EQ(parse_ok("k = \\  v \\ \n"), (std::vector<Property>{{"k", "  v  ", 1}}));
}

TEST(Properties, UnicodeEscapesBecomeUtf8) {
  EXPECT_EQ(parse_ok("k = \\u0041\\u00e9\\u4E2D\\uD83D\\uDE00"),
            (std::vector<Property>{{"k", "A\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 1}}));
}

TEST(Properties, Utf8PassesThrough) {
  EXPECT_EQ(parse_ok("k = caf\xC3\xA9"), (std::vector<Property>{{"k", "caf\xC3\xA9", 1}}));
}

TEST(Properties, LineEndings) {
  EXPECT_EQ(parse_ok("a = 1\r\nb = 2\rc = 3\n\nd = 4\r\n"),
            (std::vector<Property>{{"a", "1", 1}, {"b", "2", 2}, {"c", "3", 3}, {"d", "4", 5}}));
  EXPECT_EQ(parse_ok("a = x \\\r\n  y\r\nb = 2"), (std::vector<Property>{{"a", "x y", 1}, {"b", "2", 3}}));
}

TEST(Properties, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(parse_ok("\xEF\xBB\xBFkey = v"), (std::vector<Property>{{"key", "v", 1}}));
}

TEST(Properties, EmptyText) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("\n\n# only comments\n").empty());
}

TEST(Properties, UnknownEscapeIsAnError) {
  EXPECT_EQ(parse_error("a = 1\ndir = C:\\logs"),
            "line 2: unknown escape '\\l' in the value of 'dir' (write '\\\\' for a backslash)");
}

TEST(Properties, UnknownEscapeInAKey) {
  EXPECT_EQ(parse_error("a\\qb = 1"), "line 1: unknown escape '\\q' in key 'a\\qb' (write '\\\\' for a backslash)");
}

TEST(Properties, MalformedUnicodeEscapes) {
  const std::string expected = "line 1: malformed \\u escape in the value of 'k' (expected \\u and 4 hex digits)";
  EXPECT_EQ(parse_error("k = \\u12G4"), expected);
  EXPECT_EQ(parse_error("k = \\u12"), expected);
}

TEST(Properties, UnpairedSurrogates) {
  EXPECT_EQ(parse_error("k = \\uD83Dx"), "line 1: unpaired surrogate \\uD83D in the value of 'k'");
  EXPECT_EQ(parse_error("k = \\uDE00"), "line 1: unpaired surrogate \\uDE00 in the value of 'k'");
}

TEST(Properties, NulIsRejected) {
  EXPECT_EQ(parse_error("k = a\\u0000b"), "line 1: \\u0000 is not allowed in the value of 'k'");
}

TEST(Properties, MissingKey) {
  EXPECT_EQ(parse_error("ok = 1\n= value\n  : other"), "line 2: entry has no key\nline 3: entry has no key");
}

TEST(Properties, KeySetTwiceNamesBothLines) {
  EXPECT_EQ(parse_error("a = 1\nb = 2\na = 3"), "line 3: key 'a' is set twice (first on line 1)");
}

TEST(Properties, KeySetTwiceAfterAContinuation) {
  EXPECT_EQ(parse_error("a = 1 \\\n  2\nb = 3\na \\\n = 4"), "line 4: key 'a' is set twice (first on line 1)");
}

TEST(Properties, CollectsEveryErrorInLineOrder) {
  EXPECT_EQ(parse_error("a = \\x\nb = 1\nb = 2\n= 3\nc = \\uZZZZ"),
            "line 1: unknown escape '\\x' in the value of 'a' (write '\\\\' for a backslash)\n"
            "line 3: key 'b' is set twice (first on line 2)\n"
            "line 4: entry has no key\n"
            "line 5: malformed \\u escape in the value of 'c' (expected \\u and 4 hex digits)");
}

TEST(Properties, SourceNamePrefixesEveryError) {
  Result<std::vector<Property>> r = parse_properties("= 1\nx = \\y", "flume.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "flume.conf: line 1: entry has no key\n"
            "flume.conf: line 2: unknown escape '\\y' in the value of 'x' (write '\\\\' for a backslash)");
}

TEST(Properties, ErrorsAreCapped) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "= v\n";
  std::string message = parse_error(text);
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 50);
  EXPECT_TRUE(message.starts_with("line 1: entry has no key\nline 2: entry has no key\n")) << message;
  EXPECT_TRUE(message.ends_with("line 50: entry has no key\n... and 10 more errors")) << message;
}

}  // namespace
}  // namespace sluice::config
