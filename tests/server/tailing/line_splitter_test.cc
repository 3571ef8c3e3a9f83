// Lines as Flume's TestTaildirEventReader expects them (testNewLineBoundaries,
// testBackoffWithoutNewLine), plus sluice's cut of over-long lines.
#include "server/tailing/line_splitter.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sluice::tailing {
namespace {

struct Split {
  std::vector<std::string> lines;
  size_t consumed = 0;
  size_t cuts = 0;
};

Split split_all(std::string_view data, size_t max_line_bytes = 1024, bool at_end = false) {
  Split out;
  while (true) {
    Line line = next_line(data.substr(out.consumed), max_line_bytes, at_end);
    if (line.consumed == 0) break;
    out.lines.emplace_back(line.text);
    out.consumed += line.consumed;
    if (line.cut) ++out.cuts;
  }
  return out;
}

TEST(LineSplitter, OnlyLfEndsALineAndCrBeforeItGoes) {
  Split s = split_all("file1line1\nfile1line2\rfile1line2\nfile1line3\r\nfile1line4\n");
  EXPECT_EQ(s.lines, (std::vector<std::string>{"file1line1", "file1line2\rfile1line2", "file1line3", "file1line4"}));
  EXPECT_EQ(s.consumed, 56u);
}

TEST(LineSplitter, EmptyLinesAreEmptyEvents) {
  Split s = split_all("\n\r\nx\n");
  EXPECT_EQ(s.lines, (std::vector<std::string>{"", "", "x"}));
}

TEST(LineSplitter, APartialLastLineWaitsForItsLf) {
  Split s = split_all("file1line1\nfile1");
  EXPECT_EQ(s.lines, std::vector<std::string>{"file1line1"});
  EXPECT_EQ(s.consumed, 11u);  // the next read starts again at "file1"
  Split rest = split_all("file1line2\nfile1line3\nfile1line4");
  EXPECT_EQ(rest.lines, (std::vector<std::string>{"file1line2", "file1line3"}));
}

TEST(LineSplitter, AtTheEndOfARotatedFileTheLastLineNeedsNoLf) {
  Split s = split_all("a\nfile1line4", 1024, /*at_end=*/true);
  EXPECT_EQ(s.lines, (std::vector<std::string>{"a", "file1line4"}));
  EXPECT_EQ(s.consumed, 12u);
}

TEST(LineSplitter, AnOverLongLineIsCutIntoPiecesAndNothingIsLost) {
  Split s = split_all("abcdefghij\nxy\n", 4);
  EXPECT_EQ(s.lines, (std::vector<std::string>{"abcd", "efgh", "ij", "xy"}));
  EXPECT_EQ(s.cuts, 2u);
  EXPECT_EQ(s.consumed, 14u);
}

TEST(LineSplitter, ALineOfExactlyTheLimitKeepsItsCrlf) {
  Split s = split_all("abcd\r\n", 4);
  EXPECT_EQ(s.lines, std::vector<std::string>{"abcd"});
  EXPECT_EQ(s.cuts, 0u);
  // Its CR came but not yet its LF: not cut, it waits.
  EXPECT_EQ(split_all("abcd\r", 4).consumed, 0u);
}

TEST(LineSplitter, ALongLineWithoutLfIsCutOnlyOnceTheWindowIsFull) {
  EXPECT_EQ(split_all("abcde", 4).consumed, 0u);
  Split s = split_all("abcdef", 4);
  EXPECT_EQ(s.lines, std::vector<std::string>{"abcd"});
  EXPECT_EQ(s.cuts, 1u);
}

}  // namespace
}  // namespace sluice::tailing
