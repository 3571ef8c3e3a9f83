#include "ringbuf/crc32c.h"

#include <gtest/gtest.h>

#include <string_view>

namespace sluice::ringbuf {
namespace {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) test vectors.
  EXPECT_EQ(crc32c("", 0), 0u);
  std::string_view digits = "123456789";
  EXPECT_EQ(crc32c(digits.data(), digits.size()), 0xE3069283u);
  unsigned char zeros[32] = {};
  EXPECT_EQ(crc32c(zeros, sizeof zeros), 0x8A9136AAu);
  unsigned char ones[32];
  for (auto& b : ones) b = 0xFF;
  EXPECT_EQ(crc32c(ones, sizeof ones), 0x62A8AB43u);
}

TEST(Crc32c, ExtendEqualsWhole) {
  std::string_view text = "The quick brown fox jumps over the lazy dog, twice over.";
  for (size_t split = 0; split <= text.size(); ++split) {
    uint32_t part = crc32c_extend(crc32c(text.data(), split), text.data() + split, text.size() - split);
    EXPECT_EQ(part, crc32c(text.data(), text.size())) << "split at " << split;
  }
}

}  // namespace
}  // namespace sluice::ringbuf
