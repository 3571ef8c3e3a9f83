#include "sinks/hdfs/local_file_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
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

// Appends of every awkward size around the 4 KiB blocks O_DIRECT writes, a restart (a new
// instance reads the partial last block back), a truncation, and the same on tmpfs, which
// refuses O_DIRECT: the file holds exactly what was appended, in order.
void append_every_size(LocalFileSystem& fs, const std::string& path, std::string& expected, uint32_t seed) {
  std::mt19937 gen(seed);
  const size_t sizes[] = {0, 1, 4095, 1, 4096, 4097, 3, 8191, 8192, 100000, 12, (1u << 20) + 5, 4094, 2};
  for (size_t size : sizes) {
    std::string data(size, '\0');
    for (auto& c : data) c = static_cast<char>('a' + gen() % 26);
    ASSERT_TRUE(fs.append(path, data).ok()) << size;
    expected += data;
    ASSERT_EQ(fs.length(path).value(), std::optional<uint64_t>(expected.size()));
  }
}

void check_round_trip(const std::string& path) {
  std::string expected = "first";
  {
    LocalFileSystem fs;
    ASSERT_TRUE(fs.create(path, expected).ok());
    append_every_size(fs, path, expected, 1);
  }
  {
    LocalFileSystem again;  // a restart: the partial last block is read back from the file
    append_every_size(again, path, expected, 2);
    EXPECT_TRUE(again.truncate(path, 10'000).value());
    expected.resize(10'000);
    append_every_size(again, path, expected, 3);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  ASSERT_EQ(s.str().size(), expected.size());
  EXPECT_TRUE(s.str() == expected) << "content differs";
}

TEST_F(LocalFileSystemTest, AppendsOfEverySizeAroundTheBlocksLandExactly) { check_round_trip(at("blocks")); }

TEST_F(LocalFileSystemTest, WithoutODirectEverythingGoesThroughThePageCache) {
  if (!fs::is_directory("/dev/shm")) GTEST_SKIP() << "no tmpfs at /dev/shm";
  const fs::path dir = fs::path("/dev/shm") / ("localfs_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  check_round_trip((dir / "tmpfs").string());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sluice::sinks::hdfs
