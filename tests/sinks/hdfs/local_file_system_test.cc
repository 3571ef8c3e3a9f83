#include "sinks/hdfs/local_file_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice::sinks::hdfs {
namespace {

namespace fs = std::filesystem;

class LocalFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("localfs_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string at(const std::string& rel) const { return (dir_ / rel).string(); }
  static std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
  LocalFileSystem fs_;
};

TEST_F(LocalFileSystemTest, CreateAppendLengthTruncateRenameRemove) {
  ASSERT_TRUE(fs_.make_directories(at("a/b/c")).ok());
  ASSERT_TRUE(fs_.make_directories(at("a/b/c")).ok());  // exists: fine
  ASSERT_TRUE(fs_.create(at("a/b/c/f.tmp"), "hello ").ok());
  ASSERT_TRUE(fs_.append(at("a/b/c/f.tmp"), "world").ok());
  EXPECT_EQ(read(at("a/b/c/f.tmp")), "hello world");
  EXPECT_EQ(fs_.length(at("a/b/c/f.tmp")).value(), std::optional<uint64_t>(11));
  EXPECT_EQ(fs_.length(at("a/b/c/none")).value(), std::nullopt);
  EXPECT_TRUE(fs_.truncate(at("a/b/c/f.tmp"), 5).value());
  ASSERT_TRUE(fs_.append(at("a/b/c/f.tmp"), "!").ok());
  EXPECT_EQ(read(at("a/b/c/f.tmp")), "hello!");
  EXPECT_TRUE(fs_.rename(at("a/b/c/f.tmp"), at("a/b/c/f")).value());
  EXPECT_FALSE(fs_.rename(at("a/b/c/f.tmp"), at("a/b/c/g")).value());  // gone
  ASSERT_TRUE(fs_.create(at("a/b/c/g"), "").ok());
  EXPECT_FALSE(fs_.rename(at("a/b/c/g"), at("a/b/c/f")).value());  // never replaces
  EXPECT_EQ(read(at("a/b/c/f")), "hello!");
  EXPECT_TRUE(fs_.remove(at("a/b/c/g")).value());
  EXPECT_FALSE(fs_.remove(at("a/b/c/g")).value());
}

TEST_F(LocalFileSystemTest, ErrorsHaveKindsAndNameThePath) {
  ASSERT_TRUE(fs_.create(at("x"), "1").ok());
  FsStatus exists = fs_.create(at("x"), "2");
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.error().kind, FsErrorKind::already_exists);
  EXPECT_EQ(exists.error().message, "CREATE " + at("x") + ": File exists");
  FsStatus no_parent = fs_.create(at("missing/y"), "");
  EXPECT_EQ(no_parent.error().kind, FsErrorKind::not_found);
  FsStatus no_file = fs_.append(at("missing.txt"), "z");
  EXPECT_EQ(no_file.error().kind, FsErrorKind::not_found);
  FsStatus in_the_way = fs_.make_directories(at("x/sub"));
  EXPECT_FALSE(in_the_way.ok());
  if (geteuid() != 0) {  // root ignores permissions
    fs::create_directories(dir_ / "ro");
    chmod(at("ro").c_str(), 0555);
    EXPECT_EQ(fs_.create(at("ro/z"), "").error().kind, FsErrorKind::denied);
  }
}

}  // namespace
}  // namespace sluice::sinks::hdfs
