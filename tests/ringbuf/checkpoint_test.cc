#include "ringbuf/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>

namespace sluice::ringbuf {
namespace {

TEST(Checkpoint, SlotRoundTripsAndDetectsDamage) {
  Checkpoint c{7, {{"k1", 4096, 12}, {"a-much-longer-sink-name", 1 << 30, 99}}};
  alignas(8) std::byte slot[kCheckpointSlotBytes];
  encode_checkpoint_slot(c, slot);
  Checkpoint back;
  ASSERT_EQ(decode_checkpoint_slot(slot, back), CheckpointSlotCheck::ok);
  EXPECT_EQ(back.generation, 7u);
  ASSERT_EQ(back.entries.size(), 2u);
  EXPECT_EQ(back.find("a-much-longer-sink-name")->position, uint64_t{1} << 30);
  EXPECT_EQ(back.find("k1")->sequence, 12u);
  EXPECT_EQ(back.find("nope"), nullptr);
  for (size_t i : {0, 9, 20, 40, 100, 4000}) {
    std::byte copy[kCheckpointSlotBytes];
    std::memcpy(copy, slot, sizeof copy);
    copy[i] ^= std::byte{0x10};
    Checkpoint damaged;
    EXPECT_NE(decode_checkpoint_slot(copy, damaged), CheckpointSlotCheck::ok) << i;
  }
  std::byte zeros[kCheckpointSlotBytes] = {};
  EXPECT_EQ(decode_checkpoint_slot(zeros, back), CheckpointSlotCheck::empty);
}

TEST(Checkpoint, GenerationsAlternateSlots) {
  EXPECT_EQ(checkpoint_slot_offset(0), 0u);
  EXPECT_EQ(checkpoint_slot_offset(1), kCheckpointSlotBytes);
  EXPECT_EQ(checkpoint_slot_offset(2), 0u);
}

TEST(Checkpoint, MissingFileMeansNone) {
  auto r = read_checkpoint_file("/nonexistent/dir/checkpoint");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().has_value());
}

}  // namespace
}  // namespace sluice::ringbuf
