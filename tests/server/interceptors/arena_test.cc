#include "server/interceptors/arena.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::interceptors {
namespace {

TEST(Arena, CopiesLiveUntilReset) {
  Arena arena;
  std::vector<std::string_view> copies;
  std::vector<std::string> originals;
  for (int i = 0; i < 5000; ++i) originals.push_back("value-" + std::to_string(i));
  for (const std::string& s : originals) copies.push_back(arena.copy(s));
  for (size_t i = 0; i < originals.size(); ++i) ASSERT_EQ(copies[i], originals[i]) << "a later chunk moved nothing";
  EXPECT_GT(arena.used_bytes(), 0u);
  arena.reset();
  EXPECT_EQ(arena.used_bytes(), 0u);
}

TEST(Arena, SteadyStateReusesItsChunks) {
  Arena arena;
  for (int i = 0; i < 100; ++i) arena.allocate(1000);
  const size_t held = arena.held_bytes();
  for (int round = 0; round < 10; ++round) {
    arena.reset();
    for (int i = 0; i < 100; ++i) arena.allocate(1000);
    EXPECT_EQ(arena.held_bytes(), held) << "no new chunk for the same batch again";
  }
}

TEST(Arena, GivesBackWhatABurstTookBeyondTheRetainedSize) {
  Arena arena;
  arena.allocate(8u << 20);  // one large body
  for (int i = 0; i < 100; ++i) arena.allocate(Arena::kChunkBytes);
  EXPECT_GT(arena.held_bytes(), Arena::kRetainedBytesMax);
  arena.reset();
  EXPECT_LE(arena.held_bytes(), Arena::kRetainedBytesMax);
  EXPECT_EQ(arena.copy(""), std::string_view());
}

TEST(Arena, ALargeAllocationGetsAChunkOfItsOwn) {
  Arena arena;
  std::string big(300000, 'x');
  std::string_view copy = arena.copy(big);
  EXPECT_EQ(copy, big);
  std::string_view small = arena.copy("after");
  EXPECT_EQ(small, "after");
  EXPECT_EQ(copy, big);
}

}  // namespace
}  // namespace sluice::interceptors
