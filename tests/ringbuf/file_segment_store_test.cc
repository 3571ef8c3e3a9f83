#include "ringbuf/file_segment_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/segment_file.h"

namespace sluice::ringbuf {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kSegment = 64 << 10;

// One shard's durable log in a temporary directory, reopened as a restart would.
class FileLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("file_log_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    log_.reset();
    fs::remove_all(dir_);
  }

  FileStoreOptions options() const {
    FileStoreOptions o;
    o.directory = dir_.string();
    o.segment_bytes = kSegment;
    o.description = "test";
    return o;
  }

  // Opens (recovers) the store and builds the log on it. The previous log is dropped without
  // any shutdown work, like a crash of the process: what it wrote is in the page cache.
  Status open(std::vector<std::string> readers = {"k1"}, uint64_t capacity = 64 * kSegment) {
    log_.reset();
    store_ = nullptr;
    report_ = {};
    LogStart start;
    auto store = FileSegmentStore::open(options(), readers, start, report_);
    if (!store.ok()) return Error{store.error().message};
    store_ = store.value().get();
    start_ = start;
    LogOptions o;
    o.capacity_bytes = capacity;
    o.readers = static_cast<uint32_t>(readers.size());
    log_ = std::make_unique<Log>(o, std::move(store).value(), &bell_, start);
    return {};
  }

  void append(uint64_t n, size_t body_bytes = 100) {
    for (uint64_t i = 0; i < n; ++i) {
      std::string body = "seq=" + std::to_string(log_->next_sequence()) + " " + std::string(body_bytes, 'x');
      Header h[] = {{"host", "h"}};
      Log* logs[] = {log_.get()};
      ASSERT_TRUE(append_event(logs, {.timestamp_ms = 1, .headers = h, .body = body}));
    }
    log_->publish();
  }

  // Reads everything reader `r` can see; returns the sequence numbers.
  std::vector<uint64_t> read_all(uint32_t r = 0, bool commit = true) {
    std::vector<EventView> views;
    log_->reader(r).read(views, SIZE_MAX, SIZE_MAX);
    std::vector<uint64_t> seqs;
    for (auto& v : views) {
      EXPECT_EQ(v.body().substr(0, v.body().find(' ')), "seq=" + std::to_string(v.sequence()));
      seqs.push_back(v.sequence());
    }
    if (commit) log_->reader(r).commit();
    return seqs;
  }

  std::vector<fs::path> segment_files() const {
    std::vector<fs::path> out;
    for (auto& e : fs::directory_iterator(dir_))
      if (parse_segment_file_name(e.path().filename().string())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::vector<uint64_t> range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> v;
    for (uint64_t i = from; i < to; ++i) v.push_back(i);
    return v;
  }

  // Byte offset of the record with sequence `seq` in its segment file (scanning from the start).
  std::pair<fs::path, uint64_t> locate(uint64_t seq) {
    for (const auto& path : segment_files()) {
      std::ifstream in(path, std::ios::binary);
      std::vector<char> bytes(kSegment);
      in.read(bytes.data(), kSegment);
      uint64_t offset = kSegmentHeaderBytes;
      while (offset < kSegment) {
        auto* p = reinterpret_cast<const std::byte*>(bytes.data()) + offset;
        if (check_record(p, kSegment - offset) != RecordCheck::ok) break;
        EventView v(p);
        if (v.type() == RecordType::segment_end) break;
        if (v.sequence() == seq) return {path, offset};
        offset += align_record(v.record_bytes());
      }
    }
    ADD_FAILURE() << "no record " << seq;
    return {};
  }

  static void poke(const fs::path& path, uint64_t offset, std::string_view bytes) {
    int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }

  fs::path dir_;
  Doorbell bell_;
  FileSegmentStore* store_ = nullptr;
  std::unique_ptr<Log> log_;
  RecoveryReport report_;
  LogStart start_;
};

TEST_F(FileLogTest, FreshDirectoryStartsEmpty) {
  ASSERT_TRUE(open().ok());
  EXPECT_EQ(report_.records, 0u);
  EXPECT_FALSE(report_.found_checkpoint);
  EXPECT_TRUE(read_all().empty());
  EXPECT_TRUE(fs::exists(dir_ / "LOCK"));
}

TEST_F(FileLogTest, RecoversEverythingAfterACrashAndResumesReadersAtTheirCheckpoint) {
  ASSERT_TRUE(open().ok());
  append(2000);  // several segments
  EXPECT_GT(segment_files().size(), 3u);
  std::vector<EventView> views;
  log_->reader(0).read(views, 700, SIZE_MAX);
  log_->reader(0).commit();
  ASSERT_TRUE(store_->write_checkpoint_now(*log_, false).ok());
  ASSERT_TRUE(open().ok());  // crash and restart
  EXPECT_TRUE(report_.found_checkpoint);
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(read_all(), range(700, 2000));
  // New events continue the sequence.
  append(5);
  EXPECT_EQ(read_all(), range(2000, 2005));
}

TEST_F(FileLogTest, MissingCheckpointRedeliversFromTheOldestSegment) {
  ASSERT_TRUE(open().ok());
  append(100);
  EXPECT_EQ(read_all().size(), 100u);  // committed in memory, never checkpointed
  ASSERT_TRUE(open().ok());
  EXPECT_FALSE(report_.found_checkpoint);
  EXPECT_EQ(read_all(), range(0, 100)) << "at-least-once: everything again, nothing skipped";
}

TEST_F(FileLogTest, NewSinkStartsAtTheOldestEventAndRemovedSinkIsForgotten) {
  ASSERT_TRUE(open({"a"}).ok());
  append(50);
  read_all();
  ASSERT_TRUE(store_->write_checkpoint_now(*log_, false).ok());
  ASSERT_TRUE(open({"b", "a"}).ok());
  EXPECT_EQ(read_all(0), range(0, 50)) << "b is new";
  EXPECT_TRUE(read_all(1).empty()) << "a resumes where it was";
}

TEST_F(FileLogTest, TornTailIsCutAtTheFirstBadRecord) {
  ASSERT_TRUE(open().ok());
  append(300);
  auto [path, offset] = locate(250);
  // A record half-written: its first bytes made it, the rest did not (here: garbage).
  poke(path, offset + 40, std::string(16, '\x5a'));
  ASSERT_TRUE(open().ok());
  ASSERT_EQ(report_.problems.size(), 1u);
  EXPECT_NE(report_.problems[0].find(path.string() + ": bad record at offset " + std::to_string(offset)),
            std::string::npos)
      << report_.problems[0];
  EXPECT_GT(report_.truncated_bytes, 0u);
  EXPECT_EQ(read_all(), range(0, 250));
  // Appends continue after the cut with fresh sequence numbers, and survive another restart.
  append(10);
  EXPECT_EQ(read_all(), range(250, 260)) << "appends continue where the valid log ends";
  ASSERT_TRUE(store_->write_checkpoint_now(*log_, false).ok());
  ASSERT_TRUE(open().ok());
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_TRUE(read_all().empty());
}

// One bad record in the middle of the second of three segments loses only the rest of that
// segment: it is copied aside, byte for byte, and the third segment is recovered.
TEST_F(FileLogTest, BadRecordInTheMiddleQuarantinesTheRestOfItsSegmentAndRecoveryGoesOn) {
  ASSERT_TRUE(open().ok());
  append(1000);
  auto files = segment_files();
  ASSERT_EQ(files.size(), 3u);
  auto first_sequence = [](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::byte header[kSegmentHeaderBytes];
    in.read(reinterpret_cast<char*>(header), sizeof header);
    SegmentHeader h;
    EXPECT_EQ(decode_segment_header(header, h), SegmentHeaderCheck::ok);
    return h.first_sequence;
  };
  const uint64_t second = first_sequence(files[1]), third = first_sequence(files[2]);
  const uint64_t bad = (second + third) / 2;
  auto [path, offset] = locate(bad);
  ASSERT_EQ(path, files[1]);
  poke(path, offset + 50, "\x01");
  std::string damaged(kSegment - offset, '\0');
  {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(damaged.data(), static_cast<std::streamsize>(damaged.size()));
  }

  ASSERT_TRUE(open().ok());
  std::vector<uint64_t> want = range(0, bad);
  for (uint64_t s : range(third, 1000)) want.push_back(s);
  EXPECT_EQ(read_all(), want);
  EXPECT_EQ(report_.corrupt_records, 1u);
  EXPECT_EQ(report_.discarded_segments, 0u);
  EXPECT_EQ(report_.lost_events, third - bad);
  EXPECT_EQ(report_.quarantined_bytes, kSegment - offset);
  const fs::path quarantined =
      dir_ / "quarantine" / (path.filename().string() + "." + std::to_string(offset) + ".corrupt");
  ASSERT_EQ(report_.quarantine_files, std::vector<std::string>{quarantined.string()});
  std::ifstream in(quarantined, std::ios::binary);
  std::string saved((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(saved == damaged) << "the quarantine file holds the exact bytes from the bad record on";
  ASSERT_EQ(report_.problems.size(), 1u);
  EXPECT_NE(report_.problems[0].find("is saved in " + quarantined.string()), std::string::npos) << report_.problems[0];
  EXPECT_EQ(segment_files().size(), 3u);

  // The next restart finds a sound log: the end marker written over the bad record carries the
  // jump in sequence (nothing was checkpointed, so everything is delivered again).
  ASSERT_TRUE(open().ok());
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(report_.corrupt_records, 0u);
  EXPECT_EQ(read_all(), want);
  // Appends continue.
  append(5);
  EXPECT_EQ(read_all(), range(1000, 1005));
  ASSERT_TRUE(store_->write_checkpoint_now(*log_, false).ok());
  ASSERT_TRUE(open().ok());
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(report_.corrupt_records, 0u);
  EXPECT_TRUE(read_all().empty());
}

TEST_F(FileLogTest, BadRecordInTheLastSegmentIsQuarantinedAndAppendsContinueThere) {
  ASSERT_TRUE(open().ok());
  append(300);
  auto [path, offset] = locate(250);
  poke(path, offset + 50, "\x01");
  ASSERT_TRUE(open().ok());
  EXPECT_EQ(read_all(), range(0, 250));
  EXPECT_EQ(report_.corrupt_records, 1u);
  ASSERT_EQ(report_.quarantine_files.size(), 1u);
  EXPECT_TRUE(fs::exists(report_.quarantine_files[0]));
  // The same damage again (at the same offset) keeps the first copy.
  append(1);
  log_.reset();
  poke(path, offset, std::string(8, '\x33'));
  ASSERT_TRUE(open().ok());
  ASSERT_EQ(report_.quarantine_files.size(), 1u);
  EXPECT_TRUE(report_.quarantine_files[0].ends_with(".corrupt.1")) << report_.quarantine_files[0];
}

TEST_F(FileLogTest, ZeroFilledTailIsANormalEnd) {
  ASSERT_TRUE(open().ok());
  append(100);
  auto [path, offset] = locate(80);
  poke(path, offset, std::string(kSegment - offset, '\0'));
  ASSERT_TRUE(open().ok());
  EXPECT_TRUE(report_.problems.empty()) << "zeros are where the log ended, not corruption";
  EXPECT_EQ(read_all(), range(0, 80));
}

TEST_F(FileLogTest, HalfWrittenCheckpointFallsBackToThePreviousOne) {
  ASSERT_TRUE(open().ok());
  append(100);
  std::vector<EventView> views;
  log_->reader(0).read(views, 30, SIZE_MAX);
  log_->reader(0).commit();
  ASSERT_TRUE(store_->write_checkpoint_now(*log_, false).ok());  // generation g: 30
  views.clear();
  log_->reader(0).read(views, 40, SIZE_MAX);
  log_->reader(0).commit();
  ASSERT_TRUE(store_->write_checkpoint_now(*log_, false).ok());  // generation g+1: 70
  // Tear the newest slot: only its first half made it to disk.
  alignas(8) std::byte slot[kCheckpointSlotBytes];
  std::string cp = (dir_ / "checkpoint").string();
  int fd = ::open(cp.c_str(), O_RDWR);
  ASSERT_EQ(pread(fd, slot, sizeof slot, kCheckpointSlotBytes), static_cast<ssize_t>(sizeof slot));
  std::memset(slot + 2048, 0xEE, 2048);
  ASSERT_EQ(pwrite(fd, slot, sizeof slot, kCheckpointSlotBytes), static_cast<ssize_t>(sizeof slot));
  ::close(fd);
  ASSERT_TRUE(open().ok());
  EXPECT_TRUE(report_.found_checkpoint);
  EXPECT_EQ(read_all(), range(30, 100)) << "the torn slot is ignored; the older one holds";
}

TEST_F(FileLogTest, SegmentsAreReclaimedOnlyAfterEveryReaderPassed) {
  ASSERT_TRUE(open({"fast", "slow"}, 8 * kSegment).ok());
  append(2500);
  size_t files = segment_files().size();
  ASSERT_GT(files, 4u);
  read_all(0);
  log_->maintain();
  EXPECT_EQ(segment_files().size(), files) << "the slow reader still needs them";
  read_all(1);
  log_->maintain();
  EXPECT_EQ(segment_files().size(), 1u);
  EXPECT_LE(store_->stats().spare_files, 2u);
  // Spares are reused: rolling into new segments creates no new files beyond them.
  append(600);
  EXPECT_EQ(store_->stats().errors, 0u);
}

TEST_F(FileLogTest, CapacityAppliesBackpressure) {
  ASSERT_TRUE(open({"k1"}, 4 * kSegment).ok());
  uint64_t accepted = 0;
  for (;; ++accepted) {
    std::string body(200, 'b');
    Log* logs[] = {log_.get()};
    if (!append_event(logs, {.timestamp_ms = 1, .headers = {}, .body = body})) break;
  }
  EXPECT_EQ(log_->refusal(), AppendRefusal::full_bytes);
  EXPECT_GT(accepted, 500u);
}

TEST_F(FileLogTest, RolledBackAppendsDoNotComeBackAfterACrash) {
  ASSERT_TRUE(open().ok());
  append(100);
  LogMark mark = log_->mark();
  for (int i = 0; i < 800; ++i) {  // across several segments
    std::string body = "undone " + std::string(100, 'u');
    Log* logs[] = {log_.get()};
    ASSERT_TRUE(append_event(logs, {.timestamp_ms = 1, .headers = {}, .body = body}));
  }
  log_->rollback(mark);
  ASSERT_TRUE(open().ok());  // crash right after the rollback
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(read_all(), range(0, 100));
  append(3);
  EXPECT_EQ(read_all(), range(100, 103));
}

TEST_F(FileLogTest, NoRoomForTheFirstSegmentIsAStartError) {
  FileStoreOptions o = options();
  o.minimum_free_bytes = uint64_t{1} << 62;  // no disk is that big
  LogStart start;
  auto store = FileSegmentStore::open(o, {"k1"}, start, report_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("would go below minimumRequiredSpace"), std::string::npos)
      << store.error().message;
}

TEST_F(FileLogTest, DiskErrorsRefuseAppendsAndAreReported) {
  ASSERT_TRUE(open().ok());
  append(10);
  log_.reset();
  // Restart on a "full" disk: the current segment exists, so the log opens, but it cannot roll.
  FileStoreOptions o = options();
  o.minimum_free_bytes = uint64_t{1} << 62;
  LogStart start;
  auto store = FileSegmentStore::open(o, {"k1"}, start, report_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  FileSegmentStore* raw = store.value().get();
  LogOptions lo;
  lo.capacity_bytes = 16 * kSegment;
  Log log(lo, std::move(store).value(), &bell_, start);
  uint64_t accepted = 0;
  Log* logs[] = {&log};
  for (int i = 0; i < 10000; ++i) {
    std::string body(200, 'd');
    if (!append_event(logs, {.timestamp_ms = 1, .headers = {}, .body = body})) break;
    ++accepted;
  }
  EXPECT_EQ(log.refusal(), AppendRefusal::store_error);
  EXPECT_TRUE(raw->stats().failing);
  EXPECT_GE(raw->stats().errors, 1u);
  EXPECT_GT(accepted, 100u) << "the current segment fills up first";
  EXPECT_LT(accepted, 400u);
}

TEST_F(FileLogTest, RecycledSegmentsLeaveNoGarbageAfterACrash) {
  ASSERT_TRUE(open({"k1"}, 8 * kSegment).ok());
  for (int round = 0; round < 6; ++round) {
    append(700, 50 + round * 37);  // different record sizes each round over recycled files
    read_all();
    log_->maintain();
  }
  EXPECT_GT(store_->stats().spare_files, 0u);
  append(123, 11);
  ASSERT_TRUE(store_->write_checkpoint_now(*log_, false).ok());
  ASSERT_TRUE(open({"k1"}, 8 * kSegment).ok());
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(read_all().size(), 123u);
}

TEST_F(FileLogTest, IncompatibleFormatVersionIsAStartError) {
  ASSERT_TRUE(open().ok());
  append(10);
  log_.reset();
  auto file = segment_files().front();
  std::byte header[kSegmentHeaderBytes];
  SegmentHeader h{.version = 99, .segment_bytes = kSegment, .index = 0, .first_sequence = 0};
  encode_segment_header(h, header);
  poke(file, 0, std::string_view(reinterpret_cast<const char*>(header), sizeof header));
  Status s = open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("segment format version 99, this sluice reads version 1"), std::string::npos)
      << s.message();
}

TEST_F(FileLogTest, ChangedSegmentSizeIsAStartError) {
  ASSERT_TRUE(open().ok());
  append(10);
  log_.reset();
  FileStoreOptions o = options();
  o.segment_bytes = 2 * kSegment;
  LogStart start;
  RecoveryReport report;
  auto store = FileSegmentStore::open(o, {"k1"}, start, report);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("set segmentSize back to 65536"), std::string::npos) << store.error().message;
}

TEST_F(FileLogTest, SecondProcessOnTheSameDirectoryIsRefused) {
  ASSERT_TRUE(open().ok());
  LogStart start;
  RecoveryReport report;
  auto second = FileSegmentStore::open(options(), {"k1"}, start, report);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use by another sluice process"), std::string::npos);
}

TEST_F(FileLogTest, UnwritableDirectoryIsAStartError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  FileStoreOptions o = options();
  o.directory = (dir_ / "file" / "sub").string();
  LogStart start;
  RecoveryReport report;
  auto store = FileSegmentStore::open(o, {"k1"}, start, report);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("cannot create data directory"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace sluice::ringbuf
