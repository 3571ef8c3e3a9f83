#include "ringbuf/log.h"

#include "ringbuf/append.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sluice::ringbuf {
namespace {

constexpr uint32_t kSegment = 4096;

std::unique_ptr<Log> make_log(uint64_t capacity_bytes, uint32_t readers = 1, uint64_t capacity_events = 0,
                              Doorbell* bell = nullptr) {
  static Doorbell default_bell;
  LogOptions options;
  options.capacity_bytes = capacity_bytes;
  options.capacity_events = capacity_events;
  options.readers = readers;
  return std::make_unique<Log>(options, std::make_unique<MemorySegmentStore>(kSegment), bell ? bell : &default_bell);
}

// Appends one event whose body is `body`; false when the log refused it.
bool append(Log& log, std::string_view body, int64_t ts = 1000) {
  Header headers[] = {{"host", "h"}};
  size_t need = record_size(headers, body.size());
  auto space = log.reserve(need);
  if (space.empty()) return false;
  size_t written = encode_record(space, log.next_sequence(), ts, headers, body);
  log.commit(written);
  return true;
}

std::vector<std::string> read_all(LogReader& reader, size_t max = 1'000'000) {
  std::vector<EventView> views;
  reader.read(views, max, SIZE_MAX);
  std::vector<std::string> bodies;
  for (auto& v : views) bodies.emplace_back(v.body());
  return bodies;
}

TEST(Log, NothingVisibleBeforePublish) {
  auto log = make_log(4 * kSegment);
  ASSERT_TRUE(append(*log, "one"));
  EXPECT_TRUE(read_all(log->reader(0)).empty());
  log->publish();
  EXPECT_EQ(read_all(log->reader(0)), std::vector<std::string>{"one"});
}

TEST(Log, RollsAcrossSegmentsInOrder) {
  auto log = make_log(64 * kSegment);
  std::vector<std::string> sent;
  for (int i = 0; i < 1000; ++i) {
    sent.push_back("event-" + std::to_string(i) + std::string(i % 50, 'x'));
    ASSERT_TRUE(append(*log, sent.back()));
  }
  log->publish();
  EXPECT_GT(log->stats().segments_live, 3u);
  EXPECT_EQ(read_all(log->reader(0)), sent);
}

TEST(Log, FullByBytesThenFreedByCommit) {
  auto log = make_log(2 * kSegment);
  int accepted = 0;
  while (append(*log, std::string(100, 'a'))) ++accepted;
  EXPECT_EQ(log->refusal(), AppendRefusal::full_bytes);
  EXPECT_GT(accepted, 40);
  log->publish();
  auto& reader = log->reader(0);
  EXPECT_EQ(read_all(reader).size(), static_cast<size_t>(accepted));
  EXPECT_FALSE(append(*log, std::string(100, 'a'))) << "reading alone must not free space";
  reader.commit();
  EXPECT_TRUE(append(*log, std::string(100, 'a')));
}

TEST(Log, FullByEvents) {
  auto log = make_log(64 * kSegment, 1, 5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(append(*log, "e"));
  EXPECT_FALSE(append(*log, "e"));
  EXPECT_EQ(log->refusal(), AppendRefusal::full_events);
  log->publish();
  std::vector<EventView> views;
  log->reader(0).read(views, 2, SIZE_MAX);
  log->reader(0).commit();
  EXPECT_TRUE(append(*log, "e"));
  EXPECT_TRUE(append(*log, "e"));
  EXPECT_FALSE(append(*log, "e"));
  EXPECT_EQ(log->stats().size_events(), 3u);  // published ones only: 3 left of the first 5
}

TEST(Log, RejectsRecordLargerThanASegment) {
  auto log = make_log(8 * kSegment);
  EXPECT_FALSE(append(*log, std::string(kSegment, 'z')));
  EXPECT_EQ(log->refusal(), AppendRefusal::too_large);
  EXPECT_TRUE(append(*log, "small"));
}

TEST(Log, SpaceFreedOnlyWhenEveryReaderPassed) {
  auto log = make_log(2 * kSegment, 2);
  while (append(*log, std::string(200, 'b'))) {
  }
  log->publish();
  auto& fast = log->reader(0);
  auto& slow = log->reader(1);
  read_all(fast);
  fast.commit();
  EXPECT_FALSE(append(*log, std::string(200, 'b'))) << "slow reader still holds the space";
  read_all(slow);
  slow.commit();
  EXPECT_TRUE(append(*log, std::string(200, 'b')));
}

TEST(Log, SegmentsReleasedAfterReadersPass) {
  auto log = make_log(16 * kSegment);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(append(*log, std::string(100, 'c')));
  log->publish();
  uint64_t live_before = log->stats().segments_live;
  EXPECT_GT(live_before, 5u);
  read_all(log->reader(0));
  log->reader(0).commit();
  log->maintain();
  EXPECT_EQ(log->stats().segments_live, 1u);
  EXPECT_EQ(log->stats().size_bytes(), 0u);
}

TEST(Log, CommitThroughAndRewind) {
  auto log = make_log(8 * kSegment);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(append(*log, "e" + std::to_string(i)));
  log->publish();
  auto& reader = log->reader(0);
  std::vector<EventView> views;
  reader.read(views, 10, SIZE_MAX);
  ASSERT_EQ(views.size(), 10u);
  reader.commit_through(views[3]);
  EXPECT_EQ(reader.committed_sequence(), 4u);
  reader.rewind();
  auto again = read_all(reader);
  ASSERT_EQ(again.size(), 6u);
  EXPECT_EQ(again.front(), "e4");
}

TEST(Log, DrainedAfterCloseAndCommit) {
  auto log = make_log(8 * kSegment);
  ASSERT_TRUE(append(*log, "last"));
  log->publish();
  log->close();
  auto& reader = log->reader(0);
  EXPECT_FALSE(reader.drained());
  EXPECT_EQ(read_all(reader).size(), 1u);
  EXPECT_FALSE(reader.drained());
  reader.commit();
  EXPECT_TRUE(reader.drained());
}

TEST(Log, ReadStopsAtEventAndByteLimits) {
  auto log = make_log(8 * kSegment);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(append(*log, std::string(60, 'd')));
  log->publish();
  std::vector<EventView> views;
  EXPECT_EQ(log->reader(0).read(views, 5, SIZE_MAX), 5u);
  views.clear();
  EXPECT_EQ(log->reader(0).read(views, 100, 1), 1u);
}

// A producer and two consumers on their own threads: every event arrives once, in order.
TEST(Log, ConcurrentProducerAndReadersKeepOrderWithoutLoss) {
  Doorbell bell;
  auto log = make_log(8 * kSegment, 2, 0, &bell);
  constexpr uint64_t kEvents = 200'000;
  std::atomic<bool> failed{false};

  auto consume = [&](uint32_t index) {
    auto& reader = log->reader(index);
    std::vector<EventView> views;
    uint64_t expected = 0;
    while (!reader.drained()) {
      uint32_t ticket = bell.prepare_wait();
      views.clear();
      if (reader.read(views, 256, SIZE_MAX) == 0 && !reader.has_uncommitted()) {
        bell.wait(ticket, 10);
        continue;
      }
      bell.cancel_wait();
      for (auto& v : views) {
        std::string want = std::to_string(expected);
        if (v.sequence() != expected || v.body() != want) failed = true;
        ++expected;
      }
      reader.commit();
    }
    if (expected != kEvents) failed = true;
  };
  std::thread a(consume, 0), b(consume, 1);

  uint64_t next = 0;
  uint64_t refusals = 0;
  while (next < kEvents) {
    std::string body = std::to_string(next);
    if (append(*log, body)) {
      ++next;
      if (next % 64 == 0) log->publish();
    } else {
      ++refusals;
      log->publish();
      std::this_thread::yield();
    }
  }
  log->publish();
  log->close();
  a.join();
  b.join();
  EXPECT_FALSE(failed.load());
  EXPECT_GT(refusals, 0u) << "the log should have filled at least once (small capacity)";
}

}  // namespace
}  // namespace sluice::ringbuf

namespace sluice::ringbuf {
namespace {

TEST(LogRollback, UndoesAppendsWithinASegmentAndAcrossRolls) {
  auto log = make_log(64 * kSegment);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(append(*log, "kept-" + std::to_string(i)));
  log->publish();
  uint64_t live = log->stats().segments_live;
  LogMark mark = log->mark();
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(append(*log, std::string(100, 'u')));  // rolls several times
  EXPECT_GT(log->stats().segments_live, live);
  log->rollback(mark);
  EXPECT_EQ(log->stats().segments_live, live);
  EXPECT_EQ(log->next_sequence(), 10u);
  ASSERT_TRUE(append(*log, "after"));
  log->publish();
  auto bodies = read_all(log->reader(0));
  ASSERT_EQ(bodies.size(), 11u);
  EXPECT_EQ(bodies.back(), "after");
  // Rolling again into the segments given back works.
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(append(*log, std::string(100, 'v')));
  log->publish();
  EXPECT_EQ(read_all(log->reader(0)).size(), 500u);
}

TEST(LogRollback, RoomForIsConservative) {
  auto log = make_log(2 * kSegment);
  EXPECT_TRUE(log->room_for(1000, 10, 200));
  EXPECT_FALSE(log->room_for(3 * kSegment, 100, 200));
  // When room_for says yes, the appends succeed.
  uint64_t n = 0;
  while (log->room_for(150, 1, 150)) {
    ASSERT_TRUE(append(*log, std::string(100, 'r'))) << "after " << n;
    ++n;
  }
  EXPECT_GT(n, 10u);
}

}  // namespace
}  // namespace sluice::ringbuf

namespace sluice::ringbuf {
namespace {

TEST(AppendBatch, AllOrNothingAcrossLogs) {
  auto small = make_log(2 * kSegment);
  auto large = make_log(64 * kSegment);
  Log* logs[] = {large.get(), small.get()};
  std::string body(100, 'b');
  std::vector<PreparedEvent> batch(20, PreparedEvent{.timestamp_ms = 1, .headers = {}, .body = body});
  EXPECT_EQ(append_batch(logs, batch), AppendRefusal::none);
  EXPECT_EQ(small->next_sequence(), 20u);
  EXPECT_EQ(large->next_sequence(), 20u);
  // A batch the small log cannot take leaves both untouched.
  std::vector<PreparedEvent> huge(200, PreparedEvent{.timestamp_ms = 1, .headers = {}, .body = body});
  EXPECT_EQ(append_batch(logs, huge), AppendRefusal::full_bytes);
  EXPECT_EQ(small->next_sequence(), 20u);
  EXPECT_EQ(large->next_sequence(), 20u);
  std::string too_big(kSegment, 'z');
  std::vector<PreparedEvent> one(1, PreparedEvent{.timestamp_ms = 1, .headers = {}, .body = too_big});
  EXPECT_EQ(append_batch(logs, one), AppendRefusal::too_large);
  EXPECT_EQ(append_batch(logs, {}), AppendRefusal::none);
}

// Damage under a published record (a bit flip in the mapping) is counted and skipped; the
// process goes on and the reader resynchronizes on the next sound record.
TEST(Log, DamagedPublishedRecordIsSkippedAndCounted) {
  auto log = make_log(16 * kSegment, 2);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(append(*log, "event-" + std::to_string(i)));
  log->publish();
  std::vector<EventView> views;
  log->reader(1).read(views, SIZE_MAX, SIZE_MAX);
  ASSERT_EQ(views.size(), 30u);
  const_cast<char*>(views[7].body().data())[0] ^= 0x40;  // bad CRC
  const_cast<char*>(views[20].body().data())[0] ^= 0x40;
  std::vector<std::string> got = read_all(log->reader(0));
  std::vector<std::string> want;
  for (int i = 0; i < 30; ++i)
    if (i != 7 && i != 20) want.push_back("event-" + std::to_string(i));
  EXPECT_EQ(got, want);
  EXPECT_EQ(log->reader(0).corrupt_records(), 2u);
  EXPECT_EQ(log->reader(0).skipped_events(), 2u);
  log->reader(0).commit();
  EXPECT_EQ(log->stats().corrupt_records, 2u);
  EXPECT_EQ(log->stats().skipped_events, 2u);
  // Appends and reads go on.
  ASSERT_TRUE(append(*log, "after"));
  log->publish();
  EXPECT_EQ(read_all(log->reader(0)), std::vector<std::string>{"after"});
}

TEST(Log, DamagedLastVisibleRecordResumesAtTheNextPublish) {
  auto log = make_log(16 * kSegment);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(append(*log, "event-" + std::to_string(i)));
  log->publish();
  std::vector<EventView> views;
  log->reader(0).read(views, 2, SIZE_MAX);
  log->reader(0).commit();
  views.clear();
  log->reader(0).read(views, 1, SIZE_MAX);
  log->reader(0).rewind();
  ASSERT_EQ(views.size(), 1u);
  const_cast<char*>(views[0].body().data())[0] ^= 0x01;
  EXPECT_TRUE(read_all(log->reader(0)).empty());
  EXPECT_FALSE(log->reader(0).has_unread());
  ASSERT_TRUE(append(*log, "next"));
  log->publish();
  EXPECT_EQ(read_all(log->reader(0)), std::vector<std::string>{"next"});
  EXPECT_EQ(log->reader(0).corrupt_records(), 1u);
  EXPECT_EQ(log->reader(0).skipped_events(), 1u);
}

TEST(Log, FailStopRefusesAppendsButKeepsWhatIsVisible) {
  auto log = make_log(16 * kSegment);
  ASSERT_TRUE(append(*log, "before"));
  log->publish();
  log->fail_stop();
  EXPECT_FALSE(append(*log, "after"));
  EXPECT_EQ(log->refusal(), AppendRefusal::store_error);
  std::string body = "batch";
  PreparedEvent e{.timestamp_ms = 1, .headers = {}, .body = body};
  Log* logs[] = {log.get()};
  EXPECT_EQ(append_batch(logs, std::span<const PreparedEvent>(&e, 1)), AppendRefusal::store_error);
  EXPECT_TRUE(log->stats().failed);
  EXPECT_EQ(read_all(log->reader(0)), std::vector<std::string>{"before"});
}

}  // namespace
}  // namespace sluice::ringbuf

// --- append_routed / append_where_room: each event to its own logs (channel selectors) ---

namespace sluice::ringbuf {
namespace {

std::vector<std::string> published_bodies(Log& log) {
  log.publish();
  return read_all(log.reader(0));
}

TEST(AppendRouted, EachEventGoesToTheLogsOfItsMask) {
  auto a = make_log(64 * 1024), b = make_log(64 * 1024), c = make_log(64 * 1024);
  Log* logs[] = {a.get(), b.get(), c.get()};
  const PreparedEvent events[] = {{1, {}, "to a"}, {2, {}, "to b and c"}, {3, {}, "nowhere"}, {4, {}, "to all"}};
  const LogMask masks[] = {0b001, 0b110, 0, 0b111};
  EXPECT_EQ(append_routed(logs, events, masks), AppendRefusal::none);
  EXPECT_EQ(published_bodies(*a), (std::vector<std::string>{"to a", "to all"}));
  EXPECT_EQ(published_bodies(*b), (std::vector<std::string>{"to b and c", "to all"}));
  EXPECT_EQ(published_bodies(*c), (std::vector<std::string>{"to b and c", "to all"}));
}

TEST(AppendRouted, AllOrNothingAcrossLogs) {
  auto a = make_log(64 * 1024), small = make_log(kSegment * 2);
  Log* logs[] = {a.get(), small.get()};
  std::string big(1500, 'x');
  std::vector<PreparedEvent> events;
  std::vector<LogMask> masks;
  for (int i = 0; i < 20; ++i) {
    events.push_back({i, {}, big});
    masks.push_back(i % 2 == 0 ? 0b01 : 0b11);  // the small log gets every other one and cannot take them all
  }
  EXPECT_EQ(append_routed(logs, events, masks), AppendRefusal::full_bytes);
  EXPECT_TRUE(published_bodies(*a).empty()) << "the log with room took nothing either";
  EXPECT_TRUE(published_bodies(*small).empty());
  events.resize(2);
  masks.resize(2);
  EXPECT_EQ(append_routed(logs, events, masks), AppendRefusal::none);
  EXPECT_EQ(published_bodies(*a).size(), 2u);
  EXPECT_EQ(published_bodies(*small).size(), 1u);
}

TEST(AppendWhereRoom, OneFullLogDoesNotStopTheOthers) {
  auto room = make_log(64 * 1024), full = make_log(64 * 1024, 1, /*capacity_events=*/1);
  Log* logs[] = {room.get(), full.get()};
  const PreparedEvent events[] = {{1, {}, "one"}, {2, {}, "two"}, {3, {}, "three"}};
  const LogMask masks[] = {0b11, 0b11, 0b11};
  EXPECT_EQ(append_where_room(logs, events, masks), 2u) << "the one-event log refused two copies";
  EXPECT_EQ(published_bodies(*room), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(published_bodies(*full), (std::vector<std::string>{"one"}));
}

}  // namespace
}  // namespace sluice::ringbuf
