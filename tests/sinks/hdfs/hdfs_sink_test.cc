// The HDFS sink driven as the sink runner drives it (start, poll, tick, close), on the local
// file system in a temporary directory, and on a file system that fails on command (a wrapper
// around the local one) for the failure paths: what is reported done is always on disk, a
// failed append is cut back before the next, files left in use are closed at the next start.
// (End to end against the WebHDFS test server: tests/e2e/test_hdfs_sink.py.)
#include "sinks/hdfs/hdfs_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "sinks/hdfs/local_file_system.h"
#include "tests/sinks/common/done_counter.h"
#include "tests/support/event_builder.h"

namespace sluice::sinks::hdfs {
namespace {

namespace fs = std::filesystem;

using sinks::testing::DoneCounter;

// The local file system, with failures on command.
class FlakyFileSystem final : public FileSystem {
 public:
  std::string describe() const override { return "file://"; }
  FsStatus make_directories(const std::string& dir) override {
    if (fail_everything) return failure("MKDIRS");
    return local.make_directories(dir);
  }
  FsStatus create(const std::string& path, std::string_view data) override {
    ++creates;
    if (fail_everything) return failure("CREATE");
    if (create_then_fail) {  // it happened, but its answer was lost
      create_then_fail = false;
      if (FsStatus s = local.create(path, data); !s) return s;
      return failure("CREATE");
    }
    return local.create(path, data);
  }
  FsStatus append(const std::string& path, std::string_view data) override {
    ++appends;
    if (fail_everything) return failure("APPEND");
    if (fail_next_append_after_bytes >= 0) {
      // Stores a prefix, then "the connection broke".
      size_t keep = std::min<size_t>(data.size(), static_cast<size_t>(fail_next_append_after_bytes));
      fail_next_append_after_bytes = -1;
      if (FsStatus s = local.append(path, data.substr(0, keep)); !s) return s;
      return failure("APPEND");
    }
    return local.append(path, data);
  }
  FsResult<std::optional<uint64_t>> length(const std::string& path) override {
    if (fail_everything) return failure("GETFILESTATUS");
    return local.length(path);
  }
  FsResult<bool> truncate(const std::string& path, uint64_t n) override {
    ++truncates;
    if (fail_everything) return failure("TRUNCATE");
    return local.truncate(path, n);
  }
  FsResult<bool> rename(const std::string& from, const std::string& to) override {
    if (fail_everything) return failure("RENAME");
    return local.rename(from, to);
  }
  FsResult<bool> remove(const std::string& path) override {
    if (fail_everything) return failure("DELETE");
    return local.remove(path);
  }
  void forget(const std::string& path) override { local.forget(path); }

  static FsError failure(const char* op) {
    return FsError{FsErrorKind::io, std::string(op) + ": the connection broke (test)", {}, 0};
  }

  LocalFileSystem local;
  bool fail_everything = false;
  bool create_then_fail = false;
  int64_t fail_next_append_after_bytes = -1;
  int creates = 0, appends = 0, truncates = 0;
};

class HdfsSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("hdfs_sink_test_" + std::to_string(getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  HdfsSinkOptions options(std::unique_ptr<FileSystem> file_system = nullptr) {
    HdfsSinkOptions o;
    o.name = "k1";
    o.shards = 2;
    o.file_system = file_system ? std::move(file_system) : std::make_unique<LocalFileSystem>();
    o.path = (root_ / "out" / "%{app}").string();
    o.file_prefix = "events";
    o.roll_interval_ms = 0;
    o.roll_size_bytes = 0;
    o.roll_count = 0;
    o.path_options.time_zone = "UTC";
    o.journal_path = (root_ / "state" / "k1.journal").string();
    o.retry_backoff_ms_min = 1;
    o.retry_backoff_ms_max = 1;
    return o;
  }

  std::vector<ringbuf::EventView> events(int first, int count, const std::string& app = "web") {
    std::vector<ringbuf::EventView> out;
    for (int i = first; i < first + count; ++i)
      out.push_back(buffer_.add({{"app", app}}, "event " + std::to_string(i)));
    return out;
  }

  // Every file under out/, relative path -> contents.
  std::map<std::string, std::string> files() const {
    std::map<std::string, std::string> out;
    if (!fs::exists(root_ / "out")) return out;
    for (auto& e : fs::recursive_directory_iterator(root_ / "out")) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      out[fs::relative(e.path(), root_ / "out").string()] = s.str();
    }
    return out;
  }

  static std::string all_text(const std::map<std::string, std::string>& files) {
    std::string all;
    for (auto& [name, text] : files) all += text;
    return all;
  }

  // poll() as the runner calls it when it has nothing more to read: commit now.
  static void commit_now(HdfsSink& sink, DoneCounter& done) {
    for (int i = 0; i < 50 && done.total == 0; ++i) sink.poll(5, done);
  }

  fs::path root_;
  sluice::testing::EventBuffer buffer_;
};

TEST_F(HdfsSinkTest, EventsAreDoneOnlyOnceOnDiskAndFilesAreRenamedWhenClosed) {
  HdfsSink sink(options());
  ASSERT_TRUE(sink.open().ok());
  auto batch = events(0, 3);
  sink.start(0, batch);
  DoneCounter done;
  sink.poll(0, done);  // under the group commit thresholds: nothing sent yet
  EXPECT_EQ(done.total, 0u);
  EXPECT_TRUE(files().empty());
  sink.poll(5, done);  // the runner has nothing more: commit
  EXPECT_EQ(done.done_by_shard[0], 3u);
  auto written = files();
  ASSERT_EQ(written.size(), 1u);
  const std::string in_use = written.begin()->first;
  EXPECT_TRUE(in_use.starts_with("web/events.")) << in_use;
  EXPECT_TRUE(in_use.ends_with(".tmp")) << in_use;
  EXPECT_EQ(written.begin()->second, "event 0\nevent 1\nevent 2\n");
  sink.close();
  written = files();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written.begin()->first, in_use.substr(0, in_use.size() - 4));
  EXPECT_EQ(written.begin()->second, "event 0\nevent 1\nevent 2\n");
}

TEST_F(HdfsSinkTest, AnEventWithNoPathIsRejectedForTheRunnerAndStillDone) {
  HdfsSink sink(options());
  ASSERT_TRUE(sink.open().ok());
  std::vector<ringbuf::EventView> batch = {buffer_.add({{"app", "web"}}, "placed"),
                                           buffer_.add({{"app", ".."}}, "unsafe")};
  sink.start(0, batch);
  DoneCounter done;
  commit_now(sink, done);
  EXPECT_EQ(done.done_by_shard[0], 2u) << "a rejected event is done too: it never blocks the channel";
  EXPECT_EQ(done.rejected_total, 1u);
  EXPECT_NE(done.last_rejection.find("cannot be written"), std::string::npos) << done.last_rejection;
  sink.close();
  EXPECT_EQ(all_text(files()), "placed\n");
}

TEST_F(HdfsSinkTest, BucketsByHeaderAndShardsAreReportedApart) {
  HdfsSink sink(options());
  ASSERT_TRUE(sink.open().ok());
  auto web = events(0, 2, "web");
  auto db = events(2, 3, "db");
  sink.start(0, web);
  sink.start(1, db);
  DoneCounter done;
  commit_now(sink, done);
  EXPECT_EQ(done.done_by_shard[0], 2u);
  EXPECT_EQ(done.done_by_shard[1], 3u);
  sink.close();
  auto written = files();
  ASSERT_EQ(written.size(), 2u);
  for (auto& [name, text] : written) {
    if (name.starts_with("db/")) EXPECT_EQ(text, "event 2\nevent 3\nevent 4\n");
    else EXPECT_EQ(text, "event 0\nevent 1\n") << name;
  }
}

TEST_F(HdfsSinkTest, RollCountClosesFilesBetweenEvents) {
  HdfsSinkOptions o = options();
  o.roll_count = 4;
  HdfsSink sink(std::move(o));
  ASSERT_TRUE(sink.open().ok());
  auto batch = events(0, 10);
  sink.start(0, batch);
  DoneCounter done;
  commit_now(sink, done);
  EXPECT_EQ(done.total, 10u);
  auto written = files();
  // Two full files closed (renamed), the third open with 2 events.
  ASSERT_EQ(written.size(), 3u);
  int closed = 0;
  for (auto& [name, text] : written) {
    if (name.ends_with(".tmp")) {
      EXPECT_EQ(text, "event 8\nevent 9\n");
    } else {
      ++closed;
      EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
    }
  }
  EXPECT_EQ(closed, 2);
  // The counter in the names goes up by one per file, as Flume's does.
  std::vector<std::string> names;
  for (auto& [name, text] : written) names.push_back(name);
  uint64_t first = std::stoull(names[0].substr(names[0].find('.') + 1));
  EXPECT_EQ(names[1].substr(0, names[1].find(".tmp")), "web/events." + std::to_string(first + 1));
  sink.close();
  EXPECT_EQ(all_text(files()).size(), 10u * 8);
}

// The JSON serializer writes invalid UTF-8 as U+FFFD, and the sink counts each such event once,
// also when a roll (every 2 events here) starts a new file, whose writer counts afresh.
TEST_F(HdfsSinkTest, JsonCountsEventsWithInvalidUtf8AcrossFiles) {
  HdfsSinkOptions o = options();
  o.writer.serializer = SerializerType::json;
  o.roll_count = 2;
  HdfsSink sink(std::move(o));
  ASSERT_TRUE(sink.open().ok());
  std::vector<ringbuf::EventView> batch = {buffer_.add({{"app", "web"}}, "bad \xFF"),
                                           buffer_.add({{"app", "web"}}, "fine \xC3\xBF"),
                                           buffer_.add({{"app", "web"}}, "cut \xE2\x82")};
  sink.start(0, batch);
  DoneCounter done;
  commit_now(sink, done);
  EXPECT_EQ(done.total, 3u);
  sink.close();
  const std::string all = all_text(files());
  EXPECT_NE(all.find("\"body\":\"bad \xEF\xBF\xBD\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"body\":\"fine \xC3\xBF\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"body\":\"cut \xEF\xBF\xBD\""), std::string::npos) << all;
  base::MetricsWriter metrics;
  sink.collect(metrics, {{"component", "k1"}});
  EXPECT_EQ(metrics.sum("sluice_sink_invalid_utf8_events_total", {{"component", "k1"}}), 2);
}

TEST_F(HdfsSinkTest, RollSizeCountsBodyBytes) {
  HdfsSinkOptions o = options();
  o.roll_size_bytes = 14;  // two bodies of 7 bytes
  HdfsSink sink(std::move(o));
  ASSERT_TRUE(sink.open().ok());
  auto batch = events(0, 6);
  sink.start(0, batch);
  DoneCounter done;
  commit_now(sink, done);
  sink.close();
  auto written = files();
  ASSERT_EQ(written.size(), 3u);
  for (auto& [name, text] : written) EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << name;
}

TEST_F(HdfsSinkTest, RollIntervalAndIdleTimeoutCloseOnTick) {
  HdfsSinkOptions o = options();
  o.roll_interval_ms = 1;
  HdfsSink sink(std::move(o));
  ASSERT_TRUE(sink.open().ok());
  auto batch = events(0, 2);
  sink.start(0, batch);
  DoneCounter done;
  commit_now(sink, done);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  sink.tick(0);
  sink.poll(0, done);  // a closing file is committed and renamed at once
  auto written = files();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_FALSE(written.begin()->first.ends_with(".tmp"));
  sink.close();
}

TEST_F(HdfsSinkTest, MaxOpenFilesClosesTheLeastRecentlyUsed) {
  HdfsSinkOptions o = options();
  o.max_open_files = 2;
  HdfsSink sink(std::move(o));
  ASSERT_TRUE(sink.open().ok());
  auto a = events(0, 1, "a");
  auto b = events(1, 1, "b");
  auto a2 = events(2, 1, "a");
  auto c = events(3, 1, "c");
  sink.start(0, a);
  sink.start(0, b);
  sink.start(0, a2);  // a is now more recent than b
  sink.start(0, c);   // b must go
  DoneCounter done;
  commit_now(sink, done);
  auto written = files();
  ASSERT_EQ(written.size(), 3u);
  for (auto& [name, text] : written) {
    if (name.starts_with("b/")) EXPECT_FALSE(name.ends_with(".tmp")) << name;
    else EXPECT_TRUE(name.ends_with(".tmp")) << name;
  }
  sink.close();
}

TEST_F(HdfsSinkTest, EventsWithoutTimestampForATimePathAreDroppedNotStalling) {
  HdfsSinkOptions o = options();
  o.path = (root_ / "out" / "%Y-%m-%d").string();
  HdfsSink sink(std::move(o));
  ASSERT_TRUE(sink.open().ok());
  std::vector<ringbuf::EventView> batch = {buffer_.add({{"app", "x"}}, "no time"),
                                           buffer_.add({{"timestamp", "1795237800123"}}, "with time", 1795237800123)};
  sink.start(0, batch);
  DoneCounter done;
  commit_now(sink, done);
  EXPECT_EQ(done.total, 2u);  // both are done: one written, one dropped (and counted)
  sink.close();
  auto written = files();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_TRUE(written.begin()->first.starts_with("2026-11-21/events.")) << written.begin()->first;
  EXPECT_EQ(written.begin()->second, "with time\n");
}

TEST_F(HdfsSinkTest, AFailedAppendIsCutBackSoNoEventIsSplitOrDoubled) {
  auto flaky = std::make_unique<FlakyFileSystem>();
  FlakyFileSystem* fsys = flaky.get();
  HdfsSink sink(options(std::move(flaky)));
  ASSERT_TRUE(sink.open().ok());
  auto first = events(0, 2);
  sink.start(0, first);
  DoneCounter done;
  commit_now(sink, done);
  ASSERT_EQ(done.total, 2u);
  // The next append stores 5 bytes and fails.
  fsys->fail_next_append_after_bytes = 5;
  auto second = events(2, 2);
  sink.start(0, second);
  DoneCounter done2;
  sink.poll(5, done2);
  EXPECT_EQ(done2.total, 0u) << "nothing is done while the append failed";
  EXPECT_EQ(all_text(files()), "event 0\nevent 1\nevent");  // the torn tail
  commit_now(sink, done2);
  EXPECT_EQ(done2.total, 2u);
  EXPECT_EQ(fsys->truncates, 1);
  EXPECT_EQ(all_text(files()), "event 0\nevent 1\nevent 2\nevent 3\n");
  sink.close();
}

TEST_F(HdfsSinkTest, NothingIsDoneWhileTheFileSystemIsAway) {
  auto flaky = std::make_unique<FlakyFileSystem>();
  FlakyFileSystem* fsys = flaky.get();
  HdfsSink sink(options(std::move(flaky)));
  ASSERT_TRUE(sink.open().ok());
  fsys->fail_everything = true;
  auto batch = events(0, 3);
  sink.start(0, batch);
  DoneCounter done;
  for (int i = 0; i < 20; ++i) sink.poll(5, done);
  EXPECT_EQ(done.total, 0u);
  EXPECT_EQ(sink.window(0), 100'000u - 3);
  fsys->fail_everything = false;
  commit_now(sink, done);
  EXPECT_EQ(done.total, 3u);
  sink.close();
  EXPECT_EQ(all_text(files()), "event 0\nevent 1\nevent 2\n");
}

TEST_F(HdfsSinkTest, FilesLeftInUseAreCutBackAndClosedAtTheNextStart) {
  std::string in_use;
  {
    auto flaky = std::make_unique<FlakyFileSystem>();
    FlakyFileSystem* fsys = flaky.get();
    HdfsSink sink(options(std::move(flaky)));
    ASSERT_TRUE(sink.open().ok());
    auto batch = events(0, 2);
    sink.start(0, batch);
    DoneCounter done;
    commit_now(sink, done);
    ASSERT_EQ(done.total, 2u);
    // A torn append, then the process "dies" (no close()).
    fsys->fail_next_append_after_bytes = 3;
    auto more = events(2, 5);
    sink.start(0, more);
    sink.poll(5, done);
    auto written = files();
    ASSERT_EQ(written.size(), 1u);
    in_use = written.begin()->first;
    EXPECT_EQ(written.begin()->second, "event 0\nevent 1\neve");
  }
  // The destructor did not close anything: the file is still in use.
  ASSERT_TRUE(files().begin()->first.ends_with(".tmp"));
  HdfsSink next(options());
  ASSERT_TRUE(next.open().ok());
  DoneCounter done;
  next.poll(0, done);  // recovery runs before anything else
  auto written = files();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written.begin()->first, in_use.substr(0, in_use.size() - 4));
  EXPECT_EQ(written.begin()->second, "event 0\nevent 1\n");
  next.close();
}

TEST_F(HdfsSinkTest, AFileWithNothingAcknowledgedIsRemovedAtTheNextStart) {
  {
    auto flaky = std::make_unique<FlakyFileSystem>();
    FlakyFileSystem* fsys = flaky.get();
    HdfsSink sink(options(std::move(flaky)));
    ASSERT_TRUE(sink.open().ok());
    auto batch = events(0, 2);
    sink.start(0, batch);
    fsys->create_then_fail = true;  // stored, but the sink never learns it
    DoneCounter done;
    sink.poll(5, done);
    ASSERT_EQ(done.total, 0u);
    ASSERT_EQ(all_text(files()), "event 0\nevent 1\n");
  }
  HdfsSink next(options());
  ASSERT_TRUE(next.open().ok());
  DoneCounter done;
  next.poll(0, done);
  EXPECT_TRUE(all_text(files()).empty());
  next.close();
}

TEST_F(HdfsSinkTest, ACreateWhoseAnswerWasLostIsFoundAndContinued) {
  auto flaky = std::make_unique<FlakyFileSystem>();
  FlakyFileSystem* fsys = flaky.get();
  HdfsSink sink(options(std::move(flaky)));
  ASSERT_TRUE(sink.open().ok());
  auto batch = events(0, 2);
  sink.start(0, batch);
  fsys->create_then_fail = true;
  DoneCounter done;
  commit_now(sink, done);
  EXPECT_EQ(done.total, 2u);
  sink.close();
  EXPECT_EQ(all_text(files()), "event 0\nevent 1\n");  // once, not twice
  EXPECT_EQ(fsys->truncates, 1);
}

TEST_F(HdfsSinkTest, TwoSinksCannotShareAJournal) {
  HdfsSink first(options());
  ASSERT_TRUE(first.open().ok());
  HdfsSink second(options());
  Status s = second.open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is locked: another sluice runs a sink with this state"), std::string::npos)
      << s.message();
}

TEST_F(HdfsSinkTest, CompressedAndAvroFilesEndWithTheirCodec) {
  HdfsSinkOptions o = options();
  o.writer.file_type = FileType::compressed_stream;
  o.writer.stream_codec = StreamCodec::gzip;
  HdfsSink sink(std::move(o));
  ASSERT_TRUE(sink.open().ok());
  auto batch = events(0, 3);
  sink.start(0, batch);
  DoneCounter done;
  commit_now(sink, done);
  sink.close();
  auto written = files();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_TRUE(written.begin()->first.ends_with(".gz")) << written.begin()->first;
  const std::string& gz = written.begin()->second;
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
}

}  // namespace
}  // namespace sluice::sinks::hdfs
