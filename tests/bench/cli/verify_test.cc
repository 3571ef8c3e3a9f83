#include "bench/cli/verify.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sluice::bench {
namespace {

namespace fs = std::filesystem;

Result<VerifyCommand> parse(std::vector<std::string_view> args) { return parse_verify_options(args); }

void expect_error(std::vector<std::string_view> args, std::string_view needle) {
  auto r = parse(args);
  ASSERT_FALSE(r.ok()) << "accepted: " << testing::PrintToString(args);
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST(VerifyOptions, TakesSeveralPathsAfterFiles) {
  auto r = parse({"--files", "a", "b", "--json", "c"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->options.files, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(r->options.json);
  EXPECT_FALSE(r->options.expected.has_value());
}

TEST(VerifyOptions, SplitsTheExpectedCountAsTheLoadDoes) {
  auto r = parse({"--files", "d", "--expect-connections", "3", "--expect-count", "10"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->options.expected, (std::vector<uint64_t>{4, 3, 3}));
  r = parse({"--files", "d", "--expect", "5,0,1k"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->options.expected, (std::vector<uint64_t>{5, 0, 1000}));
}

TEST(VerifyOptions, ReadsKafkaOptions) {
  auto r = parse({"--kafka", "127.0.0.1:9092", "--topic", "events", "--kafka-timeout", "5"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->options.kafka.has_value());
  EXPECT_EQ(r->options.kafka->bootstrap, "127.0.0.1:9092");
  EXPECT_EQ(r->options.kafka->topic, "events");
  EXPECT_EQ(r->options.kafka->timeout_ms, 5000);
}

TEST(VerifyOptions, RejectsBadCombinations) {
  expect_error({}, "give what to read");
  expect_error({"stray"}, "after --files");
  expect_error({"--kafka", "h:1"}, "--kafka and --topic go together");
  expect_error({"--files", "d", "--expect-count", "5"}, "go together");
  expect_error({"--files", "d", "--expect", "5", "--expect-connections", "1", "--expect-count", "5"}, "either");
  expect_error({"--files", "d", "--expect-connections", "1001", "--expect-count", "5"}, "outside 1-1000");
  expect_error({"--files", "d", "--expect", "5,x"}, "not a whole number");
  expect_error({"--files", "d", "--bogus"}, "unknown option");
  EXPECT_TRUE(parse({"--help"})->help);
  EXPECT_NE(verify_usage().find("Exit status"), std::string::npos);
}

class VerifyRunTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-verify-run-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

  fs::path dir_;
};

TEST_F(VerifyRunTest, ReportsPerConnectionAndInTotal) {
  write("1.txt", "<134>1 - conn=000 seq=0000000000 x\nconn=000 seq=0000000002\nno marker\nconn=001 seq=0000000000\n");
  write("2.txt", "conn=000 seq=0000000002\nconn=000 seq=0000000001\n");
  write("3.txt.tmp", "conn=001 seq=0000000001\n");  // left out: in use
  VerifyOptions o;
  o.files = {dir_.string()};
  o.expected = std::vector<uint64_t>{4, 1};
  auto report = verify_inputs(o);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->files, 2u);
  EXPECT_EQ(report->events_read, 6u);
  EXPECT_EQ(report->without_marker, 1u);
  ConnectionTally total = report->total();
  EXPECT_EQ(total.received, 5u);
  EXPECT_EQ(total.unique, 4u);
  EXPECT_EQ(total.duplicates, 1u);
  EXPECT_EQ(total.lost, 1u);          // conn 0 seq 3
  EXPECT_EQ(total.out_of_order, 0u);  // 1 came after 2, but in another file
  EXPECT_EQ(total.expected, 5u);

  const std::string text = format_verify_text(report.value());
  EXPECT_NE(text.find("conn 000 missing: 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("result: 1 event LOST"), std::string::npos) << text;

  auto json = boost::json::parse(format_verify_json(report.value())).as_object();
  EXPECT_EQ(json.at("total").at("lost").as_int64(), 1);
  EXPECT_EQ(json.at("without_marker").as_int64(), 1);
  auto conns = json.at("connections").as_array();
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_EQ(conns[0].at("lost_ranges").as_array()[0].as_array()[0].as_int64(), 3);
  EXPECT_EQ(conns[1].at("expected").as_int64(), 1);
}

TEST_F(VerifyRunTest, ExitStatusTellsLossUsageAndUnreadableInput) {
  write("ok.txt", "conn=000 seq=0000000000\nconn=000 seq=0000000001\n");
  const std::string dir = dir_.string();
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_verify(std::vector<std::string_view>{"--files", dir}), 0);
  EXPECT_EQ(run_verify(std::vector<std::string_view>{"--files", dir, "--expect", "3"}), 1);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("result: nothing lost"), std::string::npos) << out;
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_verify(std::vector<std::string_view>{"--expect", "3"}), 2);
  const std::string missing = (dir_ / "absent").string();
  EXPECT_EQ(run_verify(std::vector<std::string_view>{"--files", missing}), 3);
  testing::internal::GetCapturedStderr();
}

}  // namespace
}  // namespace sluice::bench
