#include "sinks/hdfs/open_file_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sluice::sinks::hdfs {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("journal_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "state" / "k1.journal").string(); }
  fs::path dir_;
};

TEST_F(JournalTest, SavedEntriesAreFoundByTheNextOpen) {
  std::vector<JournalEntry> entries = {{"/logs/a b/x.1.tmp", "/logs/a b/x.1", 1234},
                                       {"/logs/\n odd:name.tmp", "/logs/\n odd:name", 0}};
  {
    auto j = OpenFileJournal::open(path(), "webhdfs://nn:9870");
    ASSERT_TRUE(j.ok()) << j.error().message;
    EXPECT_TRUE(j.value()->found().empty());
    ASSERT_TRUE(j.value()->save(entries).ok());
  }
  auto again = OpenFileJournal::open(path(), "webhdfs://nn:9870");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again.value()->found(), entries);
  ASSERT_TRUE(again.value()->save({}).ok());
}

TEST_F(JournalTest, AnotherFileSystemIsAnError) {
  {
    auto j = OpenFileJournal::open(path(), "webhdfs://old:9870");
    ASSERT_TRUE(j.ok());
    JournalEntry e{"/a.tmp", "/a", 1};
    ASSERT_TRUE(j.value()->save(std::span(&e, 1)).ok());
  }
  auto j = OpenFileJournal::open(path(), "file://");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().message,
            "journal " + path() + ": it lists files of webhdfs://old:9870, but the sink now writes to file://");
}

TEST_F(JournalTest, ALockedJournalIsRefused) {
  auto first = OpenFileJournal::open(path(), "file://");
  ASSERT_TRUE(first.ok());
  auto second = OpenFileJournal::open(path(), "file://");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, path() + " is locked: another sluice runs a sink with this state");
}

TEST(JournalFormat, RoundTripsAndRefusesDamage) {
  std::vector<JournalEntry> entries = {{"/x.tmp", "/x", 7}};
  std::string text = format_journal("file://", entries);
  EXPECT_EQ(text, "sluice-hdfs-journal 1\nfs file://\nfile 7 6:/x.tmp 2:/x\nend 1\n");
  auto parsed = parse_journal(text, "file://");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value(), entries);
  EXPECT_FALSE(parse_journal(text.substr(0, text.size() - 3), "file://").ok());
  EXPECT_FALSE(parse_journal("garbage", "file://").ok());
  std::string wrong_count = text;
  wrong_count.replace(wrong_count.find("end 1"), 5, "end 2");
  EXPECT_EQ(parse_journal(wrong_count, "file://").error().message,
            "malformed (wrong file count at byte " + std::to_string(wrong_count.size()) + ")");
}

}  // namespace
}  // namespace sluice::sinks::hdfs
