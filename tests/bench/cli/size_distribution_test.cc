#include "bench/cli/size_distribution.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "bench/cli/syslog_message.h"
#include "bench/cli/syslog_options.h"

namespace sluice::bench {
namespace {

TEST(SizeDistribution, ParsesUniformAndList) {
  auto u = parse_size_distribution("uniform:100-2k");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->kind, SizeDistribution::Kind::uniform);
  EXPECT_EQ(u->min, 100u);
  EXPECT_EQ(u->max, 2000u);
  EXPECT_EQ(u->text(), "uniform:100-2000");
  auto l = parse_size_distribution("list:1500,200,500");
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->kind, SizeDistribution::Kind::list);
  EXPECT_EQ(l->values, (std::vector<size_t>{1500, 200, 500}));
  EXPECT_EQ(l->min, 200u);
  EXPECT_EQ(l->max, 1500u);
  EXPECT_EQ(l->text(), "list:1500,200,500");
  EXPECT_TRUE(parse_size_distribution("uniform:300-300").ok());
}

TEST(SizeDistribution, RejectsMalformedOnes) {
  for (std::string_view bad : {"", "uniform", "uniform:", "uniform:100", "uniform:200-100", "uniform:0-10",
                               "uniform:a-b", "list:", "list:100,", "list:100,,200", "list:0", "normal:100-200", "200"})
    EXPECT_FALSE(parse_size_distribution(bad).ok()) << bad;
}

TEST(SizeDistribution, DrawsAreReproducibleAndWithinTheDistribution) {
  auto u = parse_size_distribution("uniform:100-199").value();
  auto sizes = draw_sizes(u, kSizeTableLength);
  EXPECT_EQ(sizes, draw_sizes(u, kSizeTableLength));
  EXPECT_NE(sizes, draw_sizes(u, kSizeTableLength, kSizeSeed + 1));
  EXPECT_EQ(*std::min_element(sizes.begin(), sizes.end()), 100u);
  EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 199u);
  EXPECT_NEAR(static_cast<double>(mean_size(sizes)), 149.5, 3);
  auto l = parse_size_distribution("list:200,500,1500").value();
  auto listed = draw_sizes(l, 3000);
  for (size_t v : {200, 500, 1500}) {
    auto n = std::count(listed.begin(), listed.end(), v);
    EXPECT_GT(n, 850) << v;
    EXPECT_LT(n, 1150) << v;
  }
  EXPECT_EQ(std::set<size_t>(listed.begin(), listed.end()).size(), 3u);
}

// The pre-built syslog buffer carries the sizes drawn, in order, each framed correctly, and
// keeps them when it moves on to the next sequence numbers.
TEST(SizeDistribution, SyslogBufferHoldsTheSizesDrawn) {
  const std::vector<size_t> sizes = draw_sizes(parse_size_distribution("uniform:84-1200").value(), 64);
  for (auto framing : {SyslogFraming::octet_counting, SyslogFraming::lf, SyslogFraming::none}) {
    auto built = MessageBuffer::build({.timestamp = "2026-11-21T05:10:00.000Z",
                                       .conn = 2,
                                       .framing = framing,
                                       .buffer_bytes = 16 * 1024,
                                       .message_sizes = sizes});
    ASSERT_TRUE(built.ok()) << built.error().message;
    MessageBuffer& buffer = built.value();
    ASSERT_GT(buffer.slots(), 10u);
    EXPECT_LE(buffer.bytes().size(), 16u * 1024);
    for (int pass = 0; pass < 2; ++pass) {
      size_t whole = 0;
      for (size_t i = 0; i < buffer.slots(); ++i) {
        const size_t size = sizes[i % sizes.size()];
        auto range = buffer.slot_range(i, 1);
        std::string_view slot(range.data(), range.size());
        std::string_view message = slot;
        if (framing == SyslogFraming::octet_counting) message.remove_prefix(std::to_string(size).size() + 1);
        if (framing == SyslogFraming::lf) message.remove_suffix(1);
        ASSERT_EQ(message.size(), size) << i;
        EXPECT_EQ(message, build_syslog_message("2026-11-21T05:10:00.000Z", 2, buffer.first_seq() + i, size));
        whole += slot.size();
        EXPECT_EQ(buffer.whole_slots(0, whole), i + 1);
        EXPECT_EQ(buffer.whole_slots(0, whole - 1), i);
        EXPECT_EQ(buffer.bytes_to_slot_end(0, whole - 1), whole);
      }
      ASSERT_TRUE(buffer.advance());
    }
  }
}

TEST(SizeDistribution, SyslogOptionsTakeSizeDistAndCheckItsBounds) {
  auto parse = [](std::vector<std::string_view> args) { return parse_syslog_options(args); };
  auto ok = parse({"--tcp", "127.0.0.1:5514", "--size-dist", "list:100,1k"});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_TRUE(ok->options.size_dist.has_value());
  EXPECT_EQ(ok->options.size_dist->max, 1000u);
  auto too_small = parse({"--tcp", "127.0.0.1:5514", "--size-dist", "uniform:50-500"});
  ASSERT_FALSE(too_small.ok());
  EXPECT_NE(too_small.error().message.find("--size-dist 50 is too small"), std::string::npos)
      << too_small.error().message;
  auto udp = parse({"--udp", "127.0.0.1:5514", "--size-dist", "uniform:100-70000"});
  ASSERT_FALSE(udp.ok());
  EXPECT_NE(udp.error().message.find("UDP datagram"), std::string::npos) << udp.error().message;
  EXPECT_FALSE(parse({"--tcp", "127.0.0.1:5514", "--size", "200", "--size-dist", "list:200"}).ok());
  EXPECT_FALSE(parse({"--tcp", "127.0.0.1:5514", "--size-dist", "list:100,2M"}).ok());
  EXPECT_NE(syslog_usage().find("--size-dist"), std::string::npos);
}

}  // namespace
}  // namespace sluice::bench
