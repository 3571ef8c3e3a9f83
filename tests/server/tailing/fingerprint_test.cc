#include "server/tailing/fingerprint.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sluice::tailing {
namespace {

class FingerprintTest : public ::testing::Test {
 protected:
  int open_with(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    int fd = ::open((dir_ / name).c_str(), O_RDONLY | O_CLOEXEC);
    fds_.push_back(fd);
    return fd;
  }
  ~FingerprintTest() override {
    for (int fd : fds_) ::close(fd);
  }
  testing::TempDir temp_{"sluice-fingerprint"};
  const std::filesystem::path& dir_ = temp_.path();
  std::vector<int> fds_;
};

TEST_F(FingerprintTest, CoversAtMostTheFirstBytes) {
  const std::string big(1000, 'x');
  Fingerprint f = fingerprint_of(big);
  EXPECT_EQ(f.bytes, kFingerprintBytes);
  EXPECT_FALSE(f.partial());
  EXPECT_EQ(f, fingerprint_of(big + "more"));
  EXPECT_EQ(fingerprint_of("short").bytes, 5u);
  EXPECT_TRUE(fingerprint_of("short").partial());
  EXPECT_TRUE(fingerprint_of("").empty());
}

TEST_F(FingerprintTest, AFileThatGrewStillStartsLikeItDid) {
  Fingerprint before = fingerprint_of("line1\n");
  int grown = open_with("a", "line1\nline2\n");
  auto same = starts_like(grown, before);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same.value());
  auto read = read_fingerprint(grown);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value(), fingerprint_of("line1\nline2\n"));
}

TEST_F(FingerprintTest, OtherContentOrAShorterFileDoesNot) {
  Fingerprint before = fingerprint_of("line1\n");
  EXPECT_FALSE(starts_like(open_with("b", "other\nline\n"), before).value());
  EXPECT_FALSE(starts_like(open_with("c", "lin"), before).value());
  EXPECT_TRUE(starts_like(open_with("d", ""), Fingerprint{}).value());
}

TEST_F(FingerprintTest, TextFormRoundTripsAndBadTextIsRefused) {
  Fingerprint f{256, 0x1a2b3c4d};
  EXPECT_EQ(format_fingerprint(f), "256:1a2b3c4d");
  auto back = parse_fingerprint("256:1a2b3c4d");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), f);
  for (const char* bad :
       {"", "256", "256:", "x:1a2b3c4d", "257:1a2b3c4d", "256:1a2b3c4", "256:1a2b3c4g", "-1:00000000"})
    EXPECT_FALSE(parse_fingerprint(bad).ok()) << bad;
}

}  // namespace
}  // namespace sluice::tailing
