// File groups as Flume's TestTaildirMatcher and TestTaildirSource check them: a literal
// directory, a regex over the whole file name, no directories, oldest modification first.
#include "server/tailing/file_matcher.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sluice::tailing {
namespace {

class FileMatcherTest : public ::testing::Test {
 protected:
  void write(const std::string& name, int64_t mtime_s = 0) {
    std::ofstream(dir_ / name) << name << "line\n";
    if (mtime_s > 0) {
      timeval times[2] = {{mtime_s, 0}, {mtime_s, 0}};
      ASSERT_EQ(::utimes((dir_ / name).c_str(), times), 0);
    }
  }
  std::vector<std::string> names(const std::string& regex) {
    auto pattern = FilePattern::parse((dir_ / regex).string());
    EXPECT_TRUE(pattern.ok()) << pattern.error().message;
    std::vector<std::string> out;
    auto files = pattern->list();
    EXPECT_TRUE(files.ok());
    for (const MatchedFile& f : files.value()) out.push_back(std::filesystem::path(f.path).filename());
    return out;
  }
  testing::TempDir temp_{"sluice-matcher"};
  const std::filesystem::path& dir_ = temp_.path();
};

TEST_F(FileMatcherTest, TheRegexMatchesTheWholeName) {
  for (const char* n : {"a.log", "a.log.1", "b.log", "c.log.yyyy.MM-01", "c.log.yyyy.MM-02"}) write(n);
  auto ab = names("[ab].log");
  std::sort(ab.begin(), ab.end());
  EXPECT_EQ(ab, (std::vector<std::string>{"a.log", "b.log"}));
  auto c = names("c.log.*");
  std::sort(c.begin(), c.end());
  EXPECT_EQ(c, (std::vector<std::string>{"c.log.yyyy.MM-01", "c.log.yyyy.MM-02"}));
  EXPECT_TRUE(names("abracadabra_nonexisting").empty());
}

TEST_F(FileMatcherTest, AnEmptyDirectoryMatchesNothing) { EXPECT_TRUE(names(".*").empty()); }

TEST_F(FileMatcherTest, DirectoriesAreNotListedButHiddenFilesAre) {
  write("outerFile");
  write(".hidden");
  std::filesystem::create_directory(dir_ / "recursiveDir");
  std::ofstream(dir_ / "recursiveDir" / "innerFile") << "x\n";
  auto all = names(".*");
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{".hidden", "outerFile"}));
}

TEST_F(FileMatcherTest, OldestModifiedFirst) {
  write("file1", 1'700'000'001);
  write("file2", 1'700'000'002);
  write("file3", 1'700'000'009);  // touched last
  write("file4", 1'700'000'004);
  EXPECT_EQ(names("file.*"), (std::vector<std::string>{"file1", "file2", "file4", "file3"}));
}

TEST_F(FileMatcherTest, AMissingDirectoryOrABadPatternIsAnError) {
  auto missing = FilePattern::parse("/abracadabra/doesntexist/.*");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos);
  EXPECT_FALSE(FilePattern::parse("relative/.*").ok());
  EXPECT_FALSE(FilePattern::parse((dir_.string() + "/")).ok());
  auto lookahead = FilePattern::parse(dir_.string() + "/(?=a).*");
  ASSERT_FALSE(lookahead.ok());
  EXPECT_NE(lookahead.error().message.find("(?="), std::string::npos) << lookahead.error().message;
}

TEST_F(FileMatcherTest, FindsWhereARenamedFileWent) {
  write("app.log");
  auto pattern = FilePattern::parse((dir_ / "app\\.log").string());
  ASSERT_TRUE(pattern.ok());
  auto files = pattern->list();
  ASSERT_EQ(files->size(), 1u);
  const FileId id = files.value()[0].id;
  std::filesystem::rename(dir_ / "app.log", dir_ / "app.log.1");
  EXPECT_TRUE(pattern->list()->empty());
  auto found = pattern->find_inode(id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->path, (dir_ / "app.log.1").string());
  std::filesystem::remove(dir_ / "app.log.1");
  EXPECT_FALSE(pattern->find_inode(id).has_value());
}

}  // namespace
}  // namespace sluice::tailing
