#include "server/app/log_durability.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "ringbuf/append.h"
#include "ringbuf/channel.h"
#include "ringbuf/segment_file.h"

namespace sluice::app {
namespace {

namespace fs = std::filesystem;

// The injected sync: returns sync_errno (0: success) and counts its calls.
int sync_errno = 0;
int sync_calls = 0;
int fake_sync(int, bool) {
  ++sync_calls;
  return sync_errno;
}

// A one-shard file channel in fsync mode whose syncs go through fake_sync (inline, no io_uring).
class LogDurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("log_durability_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    sync_errno = 0;
    sync_calls = 0;
    open_channel();
  }
  void open_channel(int64_t group_commit_interval_ms = 10, uint64_t group_commit_bytes = 16u << 20) {
    durability_.reset();
    channel_.reset();
    ringbuf::ChannelOptions o;
    o.name = "c1";
    o.type = "file";
    o.durability = ringbuf::Durability::fsync;
    o.data_dirs = {dir_.string()};
    o.readers = {"k1"};
    o.capacity_bytes = 1 << 20;
    o.segment_bytes = 64 << 10;
    o.group_commit_interval_ms = group_commit_interval_ms;
    o.group_commit_bytes = group_commit_bytes;
    auto channel = ringbuf::Channel::open(o);
    ASSERT_TRUE(channel.ok()) << channel.error().message;
    channel_ = std::move(channel).value();
    durability_ = std::make_unique<LogDurability>(*channel_, 0, fake_sync);
  }
  void TearDown() override {
    durability_.reset();
    channel_.reset();
    fs::remove_all(dir_);
  }

  ringbuf::Log& log() { return channel_->log(0); }

  ringbuf::AppendRefusal append(int n) {
    std::vector<std::string> bodies;
    std::vector<ringbuf::PreparedEvent> events;
    for (int i = 0; i < n; ++i) bodies.push_back("event " + std::to_string(log().next_sequence() + i));
    for (const auto& b : bodies) events.push_back({.timestamp_ms = 1, .headers = {}, .body = b});
    ringbuf::Log* logs[] = {&log()};
    return ringbuf::append_batch(logs, events);
  }

  // Lets a group commit come due and run.
  void group_commit() {
    now_ms_ += 1000;
    durability_->after_batch(now_ms_);
    now_ms_ += 1000;
    durability_->after_batch(now_ms_);
  }

  size_t read_new() {
    std::vector<ringbuf::EventView> views;
    size_t n = log().reader(0).read(views, SIZE_MAX, SIZE_MAX);
    log().reader(0).commit();
    return n;
  }

  double metric(std::string_view name) {
    base::MetricsWriter w;
    channel_->collect(w);
    return w.sum(name);
  }

  fs::path dir_;
  std::unique_ptr<ringbuf::Channel> channel_;
  std::unique_ptr<LogDurability> durability_;
  int64_t now_ms_ = 1000;
};

TEST_F(LogDurabilityTest, GoodSyncsMakeEventsDurableAndVisible) {
  ASSERT_EQ(append(10), ringbuf::AppendRefusal::none);
  EXPECT_EQ(read_new(), 0u) << "nothing is visible before it is durable";
  group_commit();
  EXPECT_GT(sync_calls, 0);
  EXPECT_EQ(log().safe_sequence(), 10u);
  EXPECT_EQ(read_new(), 10u);
  EXPECT_EQ(metric("sluice_channel_failed"), 0);
}

// Group commit: appends wait for groupCommitInterval (or groupCommitBytes) and then one round
// of syncs covers all of them.
TEST_F(LogDurabilityTest, AppendsWaitForTheIntervalThenOneGroupCommitCoversThemAll) {
  open_channel(/*group_commit_interval_ms=*/50);
  EXPECT_EQ(durability_->wait_budget_ns(now_ms_), -1) << "nothing waits: no deadline";
  ASSERT_EQ(append(3), ringbuf::AppendRefusal::none);
  durability_->after_batch(now_ms_);  // the interval starts with the first waiting append
  const int64_t budget = durability_->wait_budget_ns(now_ms_);
  EXPECT_GT(budget, 0);
  EXPECT_LE(budget, 50'000'000 + 100'000)
      << "the shard must wake in time for the commit (a tenth of a ms late at most)";
  ASSERT_EQ(append(4), ringbuf::AppendRefusal::none);
  durability_->after_batch(now_ms_ + 20);
  EXPECT_EQ(sync_calls, 0) << "not due yet";
  EXPECT_EQ(log().safe_sequence(), 0u);
  EXPECT_EQ(read_new(), 0u);
  durability_->after_batch(now_ms_ + 60);
  durability_->after_batch(now_ms_ + 61);  // the inline syncs complete; the commit is reported
  EXPECT_GT(sync_calls, 0);
  EXPECT_EQ(log().safe_sequence(), 7u) << "one commit covers the appends before and during the interval";
  EXPECT_EQ(read_new(), 7u);
  const int calls = sync_calls;
  durability_->after_batch(now_ms_ + 200);
  EXPECT_EQ(sync_calls, calls) << "nothing new: no sync";
  EXPECT_EQ(metric("sluice_channel_fsyncs_total"), calls);
}

TEST_F(LogDurabilityTest, GroupCommitBytesStartsACommitBeforeTheInterval) {
  open_channel(/*group_commit_interval_ms=*/60'000, /*group_commit_bytes=*/1024);
  ASSERT_EQ(append(2), ringbuf::AppendRefusal::none);  // well under 1 KiB
  durability_->after_batch(now_ms_);
  durability_->after_batch(now_ms_ + 1);
  EXPECT_EQ(log().safe_sequence(), 0u);
  ASSERT_EQ(append(40), ringbuf::AppendRefusal::none);  // past 1 KiB
  durability_->after_batch(now_ms_ + 2);
  durability_->after_batch(now_ms_ + 3);
  EXPECT_EQ(log().safe_sequence(), 42u) << "the byte threshold does not wait for the minute";
}

TEST_F(LogDurabilityTest, EveryTouchedSegmentFileIsSynced) {
  ASSERT_EQ(append(1), ringbuf::AppendRefusal::none);
  group_commit();
  const int one_segment = sync_calls;
  // Bodies of ~1 KiB: 100 of them cross from the first 64 KiB segment into a second one.
  std::vector<std::string> bodies(100, std::string(1000, 'b'));
  std::vector<ringbuf::PreparedEvent> events;
  for (const auto& b : bodies) events.push_back({.timestamp_ms = 1, .headers = {}, .body = b});
  ringbuf::Log* logs[] = {&log()};
  for (auto& e : events) ASSERT_EQ(ringbuf::append_batch(logs, std::span(&e, 1)), ringbuf::AppendRefusal::none);
  sync_calls = 0;
  group_commit();
  EXPECT_GE(sync_calls, 2) << "both segment files (one sync covered the first commit: " << one_segment << ")";
  EXPECT_EQ(log().safe_sequence(), 101u);
}

// After an fdatasync error nothing written since the last good sync is ever reported durable,
// not even after a later sync succeeds: the kernel may have dropped those pages.
TEST_F(LogDurabilityTest, FailedFdatasyncFailStopsTheChannel) {
  ASSERT_EQ(append(10), ringbuf::AppendRefusal::none);
  group_commit();
  ASSERT_EQ(log().safe_sequence(), 10u);
  const uint64_t durable = log().durable_position();

  ASSERT_EQ(append(5), ringbuf::AppendRefusal::none);
  sync_errno = EIO;
  group_commit();
  EXPECT_TRUE(log().failed());
  EXPECT_EQ(log().safe_sequence(), 10u);
  EXPECT_EQ(log().durable_position(), durable);

  // No retry that pretends success.
  sync_errno = 0;
  const int calls = sync_calls;
  group_commit();
  EXPECT_EQ(sync_calls, calls) << "no sync is tried again";
  EXPECT_EQ(log().safe_sequence(), 10u);
  EXPECT_EQ(log().durable_position(), durable);

  // New events are refused; what was durable before stays readable.
  EXPECT_EQ(append(1), ringbuf::AppendRefusal::store_error);
  EXPECT_EQ(read_new(), 10u);
  EXPECT_EQ(read_new(), 0u) << "the 5 unsynced events never become visible";

  EXPECT_EQ(metric("sluice_channel_failed"), 1);
  EXPECT_EQ(metric("sluice_channel_fsync_errors_total"), 1);

  // Nor at shutdown.
  durability_->flush();
  EXPECT_EQ(log().safe_sequence(), 10u);
  EXPECT_EQ(read_new(), 0u);
  log().close();
}

TEST_F(LogDurabilityTest, FailedFinalSyncAtShutdownReportsNothingDurable) {
  ASSERT_EQ(append(3), ringbuf::AppendRefusal::none);
  sync_errno = EIO;
  durability_->flush();
  EXPECT_TRUE(log().failed());
  EXPECT_EQ(log().safe_sequence(), 0u);
  EXPECT_EQ(read_new(), 0u);
  EXPECT_EQ(metric("sluice_channel_failed"), 1);
  log().close();
}

TEST_F(LogDurabilityTest, DamagedRecordFoundAtStartUpIsQuarantinedAndCounted) {
  ASSERT_EQ(append(20), ringbuf::AppendRefusal::none);
  group_commit();
  const fs::path shard = dir_ / "c1" / "shard-0";
  const fs::path segment = shard / ringbuf::segment_file_name(0);
  open_channel();  // a clean reopen first: nothing to report
  EXPECT_EQ(metric("sluice_channel_corrupt_records_total"), 0);
  channel_.reset();
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(ringbuf::kSegmentHeaderBytes + 33);  // inside the first record
    f.put('\x7f');
  }
  open_channel();
  EXPECT_EQ(metric("sluice_channel_corrupt_records_total"), 1);
  EXPECT_EQ(metric("sluice_channel_quarantined_bytes_total"), (64 << 10) - ringbuf::kSegmentHeaderBytes);
  EXPECT_TRUE(
      fs::exists(shard / "quarantine" /
                 (segment.filename().string() + "." + std::to_string(ringbuf::kSegmentHeaderBytes) + ".corrupt")));
}

}  // namespace
}  // namespace sluice::app
