#include "sinks/file_roll/file_roll_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/event_builder.h"

namespace sluice::sinks::file_roll {
namespace {

namespace fs = std::filesystem;

class FileRollSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("file_roll_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    if (fs::exists(dir_))
      for (auto& e : fs::directory_iterator(dir_)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

TEST_F(FileRollSinkTest, CreatesDirectoryAndWritesLinesLazily) {
  FileRollOptions o;
  o.directory = (dir_ / "nested" / "out").string();
  o.roll_interval_ms = 0;
  FileRollSink sink(o);
  ASSERT_TRUE(sink.open().ok());
  EXPECT_TRUE(fs::is_directory(o.directory));
  EXPECT_TRUE(fs::is_empty(o.directory)) << "no file before the first event";
  testing::EventBuffer events;
  events.add({}, "one");
  events.add({}, "two");
  ASSERT_EQ(sink.deliver(events.views()).status, DeliveryStatus::ok);
  sink.close();
  auto written = std::vector<fs::path>();
  for (auto& e : fs::directory_iterator(o.directory)) written.push_back(e.path());
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(read(written[0]), "one\ntwo\n");
}

TEST_F(FileRollSinkTest, RollsOnTheIntervalWithFlumeNames) {
  FileRollOptions o;
  o.directory = dir_.string();
  o.roll_interval_ms = 1000;
  o.prefix = "events-";
  o.extension = "log";
  FileRollSink sink(o);
  ASSERT_TRUE(sink.open().ok());
  testing::EventBuffer events;
  events.add({}, "first");
  ASSERT_EQ(sink.deliver(events.views()).status, DeliveryStatus::ok);
  std::string first_path = sink.current_path();
  sink.tick(0);  // not due
  EXPECT_EQ(sink.current_path(), first_path);
  sink.tick(INT64_MAX);  // due: closes; the next event opens file 2
  EXPECT_EQ(sink.current_path(), "");
  sink.tick(INT64_MAX);  // idle: no empty file
  ASSERT_EQ(sink.deliver(events.views()).status, DeliveryStatus::ok);
  sink.close();
  auto all = files();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(std::regex_match(all[0].filename().string(), std::regex(R"(events-\d{13}-1\.log)"))) << all[0];
  EXPECT_TRUE(std::regex_match(all[1].filename().string(), std::regex(R"(events-\d{13}-2\.log)"))) << all[1];
}

TEST_F(FileRollSinkTest, UnwritableDirectoryIsAStartError) {
  // A regular file where the directory should be: cannot be created by anyone, root included.
  fs::create_directories(dir_);
  std::ofstream(dir_ / "blocker") << "x";
  FileRollOptions o;
  o.directory = (dir_ / "blocker" / "out").string();
  FileRollSink sink(o);
  Status s = sink.open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot create directory"), std::string::npos) << s.message();
}

TEST_F(FileRollSinkTest, WriteFailureAsksForRetry) {
  fs::create_directories(dir_);
  FileRollOptions o;
  o.directory = dir_.string();
  FileRollSink sink(o);
  ASSERT_TRUE(sink.open().ok());
  // The first file is a link to /dev/full: every write fails with ENOSPC.
  fs::create_symlink("/dev/full", sink.file_path(1));
  testing::EventBuffer events;
  events.add({}, "x");
  Delivery d = sink.deliver(events.views());
  EXPECT_EQ(d.status, DeliveryStatus::retry);
  EXPECT_NE(d.error.find("No space left on device"), std::string::npos) << d.error;
}

// JSON lines hold UTF-8 only: a raw 0xFF, a truncated sequence and a surrogate become U+FFFD
// (one per maximal ill-formed subpart), a real "ÿ" stays "ÿ", and the sink counts the events it
// repaired; with invalidUtf8 = base64 the raw body is kept as bodyBase64.
TEST_F(FileRollSinkTest, JsonReplacesInvalidUtf8AndCountsIt) {
  for (InvalidUtf8 mode : {InvalidUtf8::replace, InvalidUtf8::base64}) {
    fs::remove_all(dir_);
    FileRollOptions o;
    o.directory = dir_.string();
    o.roll_interval_ms = 0;
    o.format = LineFormat::json;
    o.invalid_utf8 = mode;
    FileRollSink sink(o);
    ASSERT_TRUE(sink.open().ok());
    testing::EventBuffer events;
    events.add({}, "\xFF");
    events.add({}, "\xC3\xBF");
    events.add({}, "\xE2\x82");
    events.add({{"h", "\xED\xA0\x80"}}, "ok");
    ASSERT_EQ(sink.deliver(events.views()).status, DeliveryStatus::ok);
    sink.close();
    ASSERT_EQ(files().size(), 1u);
    const std::string R = "\xEF\xBF\xBD";
    const std::string lines = read(files()[0]);
    if (mode == InvalidUtf8::replace) {
      EXPECT_EQ(lines, "{\"headers\":{},\"body\":\"" + R +
                           "\"}\n"
                           "{\"headers\":{},\"body\":\"\xC3\xBF\"}\n"
                           "{\"headers\":{},\"body\":\"" +
                           R +
                           "\"}\n"
                           "{\"headers\":{\"h\":\"" +
                           R + R + R + "\"},\"body\":\"ok\"}\n");
    } else {
      EXPECT_EQ(lines,
                "{\"headers\":{},\"bodyBase64\":\"/w==\"}\n"
                "{\"headers\":{},\"body\":\"\xC3\xBF\"}\n"
                "{\"headers\":{},\"bodyBase64\":\"4oI=\"}\n"
                "{\"headers\":{\"h\":\"" +
                    R + R + R + "\"},\"body\":\"ok\"}\n");
    }
    base::MetricsWriter metrics;
    sink.collect(metrics, {{"component", "k1"}});
    EXPECT_EQ(metrics.sum("sluice_sink_invalid_utf8_events_total", {{"component", "k1"}}), 3);
  }
}

}  // namespace
}  // namespace sluice::sinks::file_roll
