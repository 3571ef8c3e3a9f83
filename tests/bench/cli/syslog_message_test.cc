#include "bench/cli/syslog_message.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::bench {
namespace {

const std::string kTimestamp = "2026-11-21T05:10:00.000Z";

uint64_t seq_of(std::string_view message) {
  size_t at = message.find(" seq=");
  EXPECT_NE(at, std::string_view::npos);
  return std::stoull(std::string(message.substr(at + 5, kSeqDigits)));
}

TEST(SyslogMessage, TimestampIsRfc5424WithMilliseconds) {
  EXPECT_EQ(format_rfc5424_timestamp(1795237800123), "2026-11-21T05:10:00.123Z");
  EXPECT_EQ(format_rfc5424_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc5424_timestamp(5).size(), kTimestampBytes);
}

TEST(SyslogMessage, LayoutMatchesTheDocumentedExample) {
  std::string m = build_syslog_message(kTimestamp, 3, 42, 100);
  EXPECT_EQ(m.substr(0, 87), "<134>1 2026-11-21T05:10:00.000Z benchhost sluice-bench - - - conn=003 seq=0000000042 xx");
  EXPECT_EQ(syslog_message_bytes_min(), 84u);
}

TEST(SyslogMessage, IsExactlyTheRequestedSize) {
  const size_t min = syslog_message_bytes_min();
  for (size_t size : {min, min + 1, min + 2, size_t{200}, size_t{1000}, size_t{65507}}) {
    std::string m = build_syslog_message(kTimestamp, 255, 9'999'999'999, size);
    ASSERT_EQ(m.size(), size);
    EXPECT_EQ(seq_of(m), 9'999'999'999u);
    EXPECT_NE(m.find("conn=255 "), std::string::npos);
  }
  EXPECT_EQ(build_syslog_message(kTimestamp, 0, 0, min).back(), '0');      // no padding at all
  EXPECT_EQ(build_syslog_message(kTimestamp, 0, 0, min + 1).back(), ' ');  // the separator alone
  std::string padded = build_syslog_message(kTimestamp, 0, 0, 200);
  EXPECT_EQ(padded.substr(min), " " + std::string(200 - min - 1, 'x'));
}

TEST(AddDecimal, CarriesAcrossDigits) {
  std::string d = "0999";
  ASSERT_TRUE(add_decimal(d, 1));
  EXPECT_EQ(d, "1000");
  d = "0000000000";
  ASSERT_TRUE(add_decimal(d, 1234));
  EXPECT_EQ(d, "0000001234");
  ASSERT_TRUE(add_decimal(d, 8766));
  EXPECT_EQ(d, "0000010000");
  d = "1999999999";
  ASSERT_TRUE(add_decimal(d, 8'000'000'000));
  EXPECT_EQ(d, "9999999999");
  d = "0042";
  ASSERT_TRUE(add_decimal(d, 0));
  EXPECT_EQ(d, "0042");
}

TEST(AddDecimal, MatchesIntegerAdditionOverARange) {
  std::string d = "000000";
  uint64_t value = 0;
  for (uint64_t step : {1, 7, 99, 1000, 2621, 5242, 1}) {
    for (int i = 0; i < 37; ++i) {
      ASSERT_TRUE(add_decimal(d, step));
      value += step;
      ASSERT_EQ(std::stoull(d), value) << d;
    }
  }
}

TEST(AddDecimal, ReportsOverflow) {
  std::string d = "9999";
  EXPECT_FALSE(add_decimal(d, 1));
  d = "0001";
  EXPECT_FALSE(add_decimal(d, 10'000));
}

MessageBufferOptions options(SyslogFraming framing, size_t message_bytes = 200, size_t buffer_bytes = 4096) {
  return {.timestamp = kTimestamp,
          .conn = 7,
          .message_bytes = message_bytes,
          .framing = framing,
          .buffer_bytes = buffer_bytes};
}

// Splits the buffer back into messages the way a server would and checks each.
void expect_slots(const MessageBuffer& buffer, SyslogFraming framing, size_t message_bytes, uint64_t first_seq) {
  for (size_t i = 0; i < buffer.slots(); ++i) {
    const std::span<const char> range = buffer.slot_range(i, 1);
    std::string_view slot(range.data(), range.size());
    std::string_view message = slot;
    if (framing == SyslogFraming::octet_counting) {
      std::string prefix = std::to_string(message_bytes) + " ";
      ASSERT_TRUE(slot.starts_with(prefix)) << slot;
      message = slot.substr(prefix.size());
    } else if (framing == SyslogFraming::lf) {
      ASSERT_EQ(slot.back(), '\n');
      message = slot.substr(0, slot.size() - 1);
    }
    ASSERT_EQ(message.size(), message_bytes);
    ASSERT_TRUE(message.starts_with("<134>1 "));
    ASSERT_EQ(seq_of(message), first_seq + i);
  }
}

TEST(MessageBuffer, HoldsWholeFramedMessagesInSequence) {
  for (auto framing : {SyslogFraming::octet_counting, SyslogFraming::lf, SyslogFraming::none}) {
    auto buffer = MessageBuffer::build(options(framing));
    ASSERT_TRUE(buffer.ok()) << buffer.error().message;
    size_t framing_bytes = framing == SyslogFraming::octet_counting ? 4 : framing == SyslogFraming::lf ? 1 : 0;
    EXPECT_EQ(buffer->slot_bytes(0), 200 + framing_bytes);
    EXPECT_EQ(buffer->slots(), 4096 / (200 + framing_bytes));
    EXPECT_EQ(buffer->bytes().size(), buffer->slots() * buffer->slot_bytes(0));
    expect_slots(buffer.value(), framing, 200, 0);
  }
}

TEST(MessageBuffer, AdvanceMovesEverySlotOnByTheSlotCount) {
  auto built = MessageBuffer::build(options(SyslogFraming::octet_counting, 100, 1000));
  ASSERT_TRUE(built.ok());
  MessageBuffer& buffer = built.value();
  ASSERT_EQ(buffer.slots(), 9u);  // 104-byte slots
  for (uint64_t pass = 1; pass <= 200; ++pass) {
    ASSERT_TRUE(buffer.advance());
    ASSERT_EQ(buffer.first_seq(), pass * 9);
  }
  expect_slots(buffer, SyslogFraming::octet_counting, 100, 1800);
  auto range = buffer.slot_range(2, 3);
  EXPECT_EQ(range.data(), buffer.bytes().data() + 2 * 104);
  EXPECT_EQ(range.size(), 3u * 104);
}

TEST(MessageBuffer, StampWritesTheTimestampOfTheGivenSlotsOnly) {
  for (auto framing : {SyslogFraming::octet_counting, SyslogFraming::lf, SyslogFraming::none}) {
    auto built = MessageBuffer::build(options(framing, 100, 1000));
    ASSERT_TRUE(built.ok());
    MessageBuffer& buffer = built.value();
    ASSERT_GE(buffer.slots(), 5u);
    const std::string later = "2026-11-21T05:10:01.234Z";
    buffer.stamp(1, 3, later);
    for (size_t i = 0; i < buffer.slots(); ++i) {
      auto range = buffer.slot_range(i, 1);
      std::string_view slot(range.data(), range.size());
      const std::string expected = "<134>1 " + (i >= 1 && i < 4 ? later : kTimestamp) + " benchhost ";
      EXPECT_NE(slot.find(expected), std::string_view::npos) << i << ": " << slot;
    }
    expect_slots(buffer, framing, 100, 0);  // sizes, framing and sequence numbers untouched
  }
}

TEST(MessageBuffer, StopsBeforeTheSequenceRunsOut) {
  auto o = options(SyslogFraming::none, 100, 1000);  // 10 slots
  o.first_seq = 9'999'999'980;
  auto built = MessageBuffer::build(o);
  ASSERT_TRUE(built.ok());
  MessageBuffer& buffer = built.value();
  ASSERT_EQ(buffer.slots(), 10u);
  ASSERT_TRUE(buffer.advance());  // 9'999'999'990 .. 9'999'999'999: the last that fit
  expect_slots(buffer, SyslogFraming::none, 100, 9'999'999'990);
  EXPECT_FALSE(buffer.advance());
  expect_slots(buffer, SyslogFraming::none, 100, 9'999'999'990);  // unchanged by the refusal
}

TEST(MessageBuffer, RespectsSlotsMaxAndHoldsAtLeastOneMessage) {
  auto o = options(SyslogFraming::lf);
  o.slots_max = 3;
  EXPECT_EQ(MessageBuffer::build(o)->slots(), 3u);
  o = options(SyslogFraming::lf, 5000, 100);  // buffer smaller than one message
  EXPECT_EQ(MessageBuffer::build(o)->slots(), 1u);
}

TEST(MessageBuffer, RejectsWhatCannotBeBuilt) {
  auto too_small = MessageBuffer::build(options(SyslogFraming::lf, syslog_message_bytes_min() - 1));
  ASSERT_FALSE(too_small.ok());
  EXPECT_NE(too_small.error().message.find("needs 84 bytes"), std::string::npos) << too_small.error().message;
  auto o = options(SyslogFraming::lf);
  o.conn = 1000;
  EXPECT_FALSE(MessageBuffer::build(o).ok());
  o = options(SyslogFraming::lf);
  o.timestamp = "yesterday";
  EXPECT_FALSE(MessageBuffer::build(o).ok());
  o = options(SyslogFraming::lf);
  o.first_seq = 10'000'000'000;
  EXPECT_FALSE(MessageBuffer::build(o).ok());
}

}  // namespace
}  // namespace sluice::bench
