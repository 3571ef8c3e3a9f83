// The TAILDIR source on a real reactor over a memory log, with behaviours from Flume's
// TestTaildirSource (maxBatchCount turns, consume order, header mapping, file and byte offset
// headers, a line without its newline, many files, a Flume position file) and what sluice
// adds: positions only for durable events, a full channel that loses nothing, rename rotation,
// copytruncate with a matching copy, inode reuse, files rotated while sluice was down.
#include "server/sources/taildir_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/time.h"
#include "tests/server/sources/source_harness.h"
#include "tests/support/temp_dir.h"

namespace sluice::sources {
namespace {

using sluice::testing::TempDir;
using testing::SourceHarness;
using testing::StoredEvent;

void append(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t inode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// Sets a file's modification time `seconds_ago` in the past (Flume reads oldest first).
void age(const std::filesystem::path& path, int seconds_ago) {
  timespec times[2];
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = ::time(nullptr) - seconds_ago;
  times[1].tv_nsec = 0;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

std::vector<std::string> bodies(const std::vector<StoredEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.body);
  return out;
}

// Bodies in any order: after a rotation, the old and the new file are read in turns.
std::multiset<std::string> body_set(const std::vector<StoredEvent>& events) {
  std::multiset<std::string> out;
  for (const auto& e : events) out.insert(e.body);
  return out;
}

struct Taildir {
  TempDir dir{"sluice-taildir"};
  std::filesystem::path logs = dir.path() / "logs";
  std::filesystem::path position_file = dir.path() / "position.json";
  TaildirOptions options;
  TaildirProbe probe;

  Taildir() {
    std::filesystem::create_directories(logs);
    options.name = "t1";
    options.position_file = position_file;
    options.write_pos_interval_ms = 20;
    options.rescan_interval_ms = 50;
    options.rotated_linger_ms = 100;
  }
  void group(const std::string& name, const std::string& regex,
             std::vector<std::pair<std::string, std::string>> h = {}) {
    auto pattern = tailing::FilePattern::parse((logs / regex).string());
    ASSERT_TRUE(pattern.ok()) << pattern.error().message;
    options.groups.push_back({name, std::move(pattern).value(), std::move(h)});
  }
  std::unique_ptr<TaildirSource> make(SourceHarness& harness) {
    auto source = TaildirSource::create(options, EventWriter(harness.logs()), harness.probe(), probe);
    EXPECT_TRUE(source.ok()) << source.error().message;
    return std::move(source).value();
  }
  std::vector<tailing::FilePosition> positions() const {
    auto parsed = tailing::parse_position_file(slurp(position_file));
    EXPECT_TRUE(parsed.ok());
    return parsed.ok() ? parsed.value() : std::vector<tailing::FilePosition>{};
  }
  // The committed position of `path` in the position file, or -1.
  int64_t position_of(const std::filesystem::path& path) const {
    for (const auto& p : positions())
      if (p.file == path.string()) return static_cast<int64_t>(p.pos);
    return -1;
  }
};

// Reads (and commits) until `count` events arrived or 10 s passed.

bool wait_for(const std::function<bool()>& done, int64_t timeout_ms = 10'000) {
  const int64_t deadline = base::monotonic_ms() + timeout_ms;
  while (!done()) {
    if (base::monotonic_ms() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST(TaildirSource, MaxBatchCountTakesTurnsBetweenFiles) {
  Taildir t;
  t.group("f1", "file.*");
  t.options.batch_size = 1;
  t.options.max_batch_count = 2;
  append(t.logs / "file1", "a.log.1\na.log.2\na.log.3\na.log.4\n");
  append(t.logs / "file2", "b.log.1\nb.log.2\nb.log.3\nb.log.4\n");
  age(t.logs / "file1", 20);
  age(t.logs / "file2", 10);
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(8);
  harness.stop();
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"a.log.1", "a.log.2", "b.log.1", "b.log.2", "a.log.3", "a.log.4",
                                                      "b.log.3", "b.log.4"}));
}

TEST(TaildirSource, FilesAreReadOldestModificationFirst) {
  Taildir t;
  t.group("f1", ".*");
  append(t.logs / "c", "c1\nc2\n");
  append(t.logs / "a", "a1\n");
  append(t.logs / "b", "b1\n");
  age(t.logs / "c", 30);
  age(t.logs / "a", 20);
  age(t.logs / "b", 10);
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(4);
  harness.stop();
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"c1", "c2", "a1", "b1"}));
}

TEST(TaildirSource, GroupHeadersFileHeaderAndByteOffsets) {
  Taildir t;
  t.group("f1", "file1", {{"headerKeyTest", "value1"}});
  t.group("f2", "file2", {{"headerKeyTest", "value2"}, {"headerKeyTest2", "value2-2"}});
  t.options.file_header = true;
  t.options.file_header_key = "path";
  t.options.byte_offset_header = true;
  append(t.logs / "file1", "file1line1\nfile1line2\nfile1line3\n");
  append(t.logs / "file2", "file2line1\r\n");
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(4);
  harness.stop();
  ASSERT_EQ(events.size(), 4u);
  std::vector<std::string> offsets;
  for (const auto& e : events) {
    if (e.body.rfind("file1", 0) == 0) {
      EXPECT_EQ(e.header("headerKeyTest"), "value1");
      EXPECT_EQ(e.header("path"), (t.logs / "file1").string());
      offsets.push_back(e.header("byteoffset"));
    } else {
      EXPECT_EQ(e.body, "file2line1");  // CRLF ends the line, neither byte is kept
      EXPECT_EQ(e.header("headerKeyTest"), "value2");
      EXPECT_EQ(e.header("headerKeyTest2"), "value2-2");
      EXPECT_EQ(e.header("path"), (t.logs / "file2").string());
      EXPECT_EQ(e.header("byteoffset"), "0");
    }
  }
  EXPECT_EQ(offsets, (std::vector<std::string>{"0", "11", "22"}));
}

TEST(TaildirSource, ALineWithoutItsNewlineWaitsForIt) {
  Taildir t;
  t.group("f1", "app\\.log");
  append(t.logs / "app.log", "complete\nhalf");
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several rescans
  auto more = harness.read_some();
  EXPECT_TRUE(more.empty()) << "a line was sent before its newline";
  EXPECT_EQ(t.position_of(t.logs / "app.log"), 9);
  append(t.logs / "app.log", " and the rest\n");
  events = harness.read_until(2, events);
  harness.stop();
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"complete", "half and the rest"}));
  EXPECT_EQ(t.position_of(t.logs / "app.log"), 27);
}

TEST(TaildirSource, AnOverlongLineIsCutIntoPiecesKeepingEveryByte) {
  Taildir t;
  t.group("f1", "app\\.log");
  t.options.max_line_bytes = 10;
  append(t.logs / "app.log", "0123456789abcdefghijXYZ\nshort\n");
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(4);
  harness.stop();
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"0123456789", "abcdefghij", "XYZ", "short"}));
  EXPECT_EQ(t.probe.lines_cut.value(), 2u);
}

TEST(TaildirSource, NewFilesAndGrowthAreFoundWhileRunning) {
  Taildir t;
  t.group("f1", ".*\\.log");
  t.options.rescan_interval_ms = 60'000;  // inotify alone must find them
  SourceHarness harness;
  harness.start(t.make(harness));
  append(t.logs / "new.log", "n1\n");
  auto events = harness.read_until(1);
  append(t.logs / "new.log", "n2\n");
  append(t.logs / "ignored.txt", "x\n");
  events = harness.read_until(2, events);
  harness.stop();
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"n1", "n2"}));
}

TEST(TaildirSource, ManyFiles) {
  Taildir t;
  t.group("f1", "file.*");
  constexpr int kFiles = 1000;
  for (int i = 0; i < kFiles; ++i) append(t.logs / ("file" + std::to_string(i)), "line of " + std::to_string(i) + "\n");
  SourceHarness harness(false, 16 << 20);
  harness.start(t.make(harness));
  auto events = harness.read_until(kFiles);
  harness.stop();
  ASSERT_EQ(events.size(), size_t{kFiles});
  std::set<std::string> distinct;
  for (const auto& e : events) distinct.insert(e.body);
  EXPECT_EQ(distinct.size(), size_t{kFiles});
  EXPECT_EQ(t.positions().size(), size_t{kFiles});
}

TEST(TaildirSource, PositionsAreWrittenOnlyForDurableEvents) {
  Taildir t;
  t.group("f1", "app\\.log");
  append(t.logs / "app.log", "one\ntwo\n");
  SourceHarness harness(/*durable_on_demand=*/true);
  harness.start(t.make(harness));
  ASSERT_TRUE(wait_for([&] { return harness.probe().accepted_events() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // several position writes
  EXPECT_EQ(t.position_of(t.logs / "app.log"), 0) << "a position ran ahead of durability";
  harness.make_durable();
  EXPECT_TRUE(wait_for([&] { return t.position_of(t.logs / "app.log") == 8; }));
  harness.stop();
}

TEST(TaildirSource, AFullChannelDelaysButLosesNothing) {
  Taildir t;
  t.group("f1", "app\\.log");
  t.options.batch_size = 50;
  std::string text;
  constexpr int kLines = 20'000;
  for (int i = 0; i < kLines; ++i) text += "line " + std::to_string(i) + "\n";
  append(t.logs / "app.log", text);
  SourceHarness harness(false, 64 << 10);  // holds about a thousand of them
  harness.start(t.make(harness));
  auto events = harness.read_until(kLines);
  harness.stop();
  ASSERT_EQ(events.size(), size_t{kLines});
  for (int i = 0; i < kLines; ++i) ASSERT_EQ(events[i].body, "line " + std::to_string(i));
  EXPECT_GT(harness.probe().backpressure_pauses(), 0u);
  EXPECT_EQ(t.position_of(t.logs / "app.log"), static_cast<int64_t>(text.size()));
}

TEST(TaildirSource, RenameRotationKeepsReadingTheOldFileToItsEnd) {
  Taildir t;
  t.group("f1", "app\\.log");
  const auto log = t.logs / "app.log";
  append(log, "before 1\nbefore 2\n");
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(2);
  // The writer still holds the old file while it is renamed (as logrotate's create does).
  std::ofstream writer(log, std::ios::app | std::ios::binary);
  std::filesystem::rename(log, t.logs / "app.log.1");
  writer << "late 1\nlate 2\n" << std::flush;
  append(log, "new 1\n");
  events = harness.read_until(5, events);
  writer << "last, without newline" << std::flush;
  writer.close();
  events = harness.read_until(6, events);
  // Let go of once drained.
  EXPECT_TRUE(wait_for([&] { return t.probe.files_tracked.value() == 1; }));
  harness.stop();
  EXPECT_EQ(body_set(events),
            (std::multiset<std::string>{"before 1", "before 2", "late 1", "late 2", "new 1", "last, without newline"}));
  EXPECT_EQ(t.probe.rotations.value(), 1u);
  EXPECT_EQ(t.positions().size(), 1u);
  EXPECT_EQ(t.position_of(log), 6);
}

TEST(TaildirSource, RenamedToAMatchingNameIsTheSameFile) {
  Taildir t;
  t.group("f1", "app\\.log.*");
  const auto log = t.logs / "app.log";
  append(log, "first\n");
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(1);
  std::filesystem::rename(log, t.logs / "app.log.1");
  append(t.logs / "app.log.1", "second\n");
  append(log, "third\n");
  events = harness.read_until(3, events);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto more = harness.read_some();
  harness.stop();
  EXPECT_TRUE(more.empty()) << more.size() << " events sent twice";
  EXPECT_EQ(body_set(events), (std::multiset<std::string>{"first", "second", "third"}));
  EXPECT_EQ(t.position_of(t.logs / "app.log.1"), 13);
}

TEST(TaildirSource, CopytruncateWithAMatchingCopySendsNothingTwice) {
  Taildir t;
  t.group("f1", "app\\.log.*");
  const auto log = t.logs / "app.log";
  std::string text;
  for (int i = 0; i < 100; ++i) text += "old line " + std::to_string(i) + " with some padding to pass 256 bytes\n";
  append(log, text);
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(100);
  std::filesystem::copy_file(log, t.logs / "app.log.1");
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  append(log, "after truncation\n");
  events = harness.read_until(101, events);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto more = harness.read_some();
  harness.stop();
  EXPECT_TRUE(more.empty()) << more.size() << " events sent twice, first: " << more.front().body;
  ASSERT_EQ(events.size(), 101u);
  EXPECT_EQ(events.back().body, "after truncation");
  EXPECT_EQ(t.probe.copies_recognised.value(), 1u);
  EXPECT_EQ(t.probe.truncations.value(), 1u);
  EXPECT_EQ(t.position_of(log), 17);
  EXPECT_EQ(t.position_of(t.logs / "app.log.1"), static_cast<int64_t>(text.size()));
}

TEST(TaildirSource, ANewFileThatStartsLikeAnotherButIsNoCopyIsSent) {
  Taildir t;
  t.group("f1", ".*\\.log");
  t.options.copy_wait_ms = 200;
  const std::string banner = "service starting\nlistening on 8080\n";
  append(t.logs / "a.log", banner);
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(2);
  append(t.logs / "b.log", banner);  // the same bytes, but a.log is never truncated
  events = harness.read_until(4, events);
  harness.stop();
  EXPECT_EQ(body_set(events), (std::multiset<std::string>{"service starting", "service starting", "listening on 8080",
                                                          "listening on 8080"}));
  EXPECT_EQ(t.probe.copies_recognised.value(), 0u);
}

TEST(TaildirSource, ACopyCreatedEmptyAndFilledLaterIsRecognised) {
  Taildir t;
  t.group("f1", "app\\.log.*");
  const auto log = t.logs / "app.log";
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + " of the file before its rotation\n";
  append(log, text);
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(2000);
  append(t.logs / "app.log.1", "");  // logrotate creates the copy empty ...
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  for (size_t at = 0; at < text.size(); at += 8192) {  // ... fills it 8 KiB at a time ...
    append(t.logs / "app.log.1", text.substr(at, 8192));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);  // ... then truncates the original
  append(log, "after\n");
  events = harness.read_until(2001, events);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto more = harness.read_some();
  harness.stop();
  EXPECT_TRUE(more.empty()) << more.size() << " events sent twice";
  EXPECT_EQ(events.size(), 2001u);
  EXPECT_EQ(t.probe.copies_recognised.value(), 1u);
}

TEST(TaildirSource, AFlumePositionFileIsResumed) {
  Taildir t;
  t.group("f1", "app\\.log");
  const auto log = t.logs / "app.log";
  append(log, "line1\nline2\nline3\nline4\nline5\n");
  append(t.position_file,
         "[{\"inode\":" + std::to_string(inode_of(log)) + ",\"pos\":18,\"file\":\"" + log.string() + "\"}]");
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto more = harness.read_some();
  harness.stop();
  EXPECT_TRUE(more.empty());
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"line4", "line5"}));
  EXPECT_EQ(t.position_of(log), 30);
}

TEST(TaildirSource, AReusedInodeWithOtherContentsIsReadFromItsStart) {
  Taildir t;
  t.group("f1", "app\\.log");
  const auto log = t.logs / "app.log";
  append(log, "new contents 1\nnew contents 2\n");
  // The position file says this inode was another file, read up to byte 15.
  tailing::FilePosition p{inode_of(log), 15, log.string(), tailing::fingerprint_of("something else\n")};
  append(t.position_file, tailing::format_position_file({&p, 1}));
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(2);
  harness.stop();
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"new contents 1", "new contents 2"}));
}

TEST(TaildirSource, AFileRotatedWhileDownIsReadToItsEnd) {
  Taildir t;
  t.group("f1", "app\\.log");
  const auto log = t.logs / "app.log";
  append(log, "sent before\nnot yet sent\n");
  tailing::FilePosition p{inode_of(log), 12, log.string(), tailing::fingerprint_of("sent before\nnot yet sent\n")};
  append(t.position_file, tailing::format_position_file({&p, 1}));
  std::filesystem::rename(log, t.logs / "app.log.1");  // rotated while sluice was down
  append(log, "in the new file\n");
  SourceHarness harness;
  harness.start(t.make(harness));
  auto events = harness.read_until(2);
  harness.stop();
  EXPECT_EQ(body_set(events), (std::multiset<std::string>{"not yet sent", "in the new file"}));
}

TEST(TaildirSource, SkipToEndStartsUnknownFilesAtTheirEnd) {
  Taildir t;
  t.group("f1", "app\\.log");
  t.options.skip_to_end = true;
  append(t.logs / "app.log", "old\n");
  SourceHarness harness;
  harness.start(t.make(harness));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  append(t.logs / "app.log", "new\n");
  auto events = harness.read_until(1);
  harness.stop();
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"new"}));
}

TEST(TaildirSource, AnUnreadablePositionFileIsAClearError) {
  Taildir t;
  t.group("f1", "app\\.log");
  append(t.position_file, "[{\"inode\":\"x\"}]");
  SourceHarness harness;
  auto source = TaildirSource::create(t.options, EventWriter(harness.logs()), harness.probe(), t.probe);
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message.find(t.position_file.string()), std::string::npos) << source.error().message;
}

}  // namespace
}  // namespace sluice::sources
