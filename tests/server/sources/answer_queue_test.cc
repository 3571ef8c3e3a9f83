#include "server/sources/answer_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ringbuf/append.h"
#include "ringbuf/doorbell.h"
#include "ringbuf/segment_store.h"

namespace sluice::sources {
namespace {

struct TestAnswer {
  std::string text;
};

std::unique_ptr<ringbuf::Log> durable_log(ringbuf::Doorbell& bell) {
  ringbuf::LogOptions options;
  options.capacity_bytes = 1 << 20;
  options.publish_mode = ringbuf::PublishMode::on_durable;
  return std::make_unique<ringbuf::Log>(options, std::make_unique<ringbuf::MemorySegmentStore>(64 * 1024), &bell);
}

void append(std::span<ringbuf::Log* const> logs, std::string_view body) {
  ringbuf::Header headers[] = {{"h", "v"}};
  ASSERT_TRUE(ringbuf::append_event(logs, {.timestamp_ms = 1, .headers = headers, .body = body}));
}

void make_durable(ringbuf::Log& log) { log.set_durable(log.write_position(), log.next_sequence()); }

class AnswerQueueTest : public ::testing::Test {
 protected:
  ringbuf::Doorbell bell_;
  std::unique_ptr<ringbuf::Log> a_ = durable_log(bell_), b_ = durable_log(bell_);
  ringbuf::Log* logs_[2] = {a_.get(), b_.get()};
};

TEST_F(AnswerQueueTest, PlainAnswersAreReadyInOrder) {
  AnswerQueue<TestAnswer, 4> q(logs_);
  EXPECT_EQ(q.ready_front(), nullptr);
  q.push().text = "one";
  q.push().text = "two";
  ASSERT_NE(q.ready_front(), nullptr);
  EXPECT_EQ(q.ready_front()->text, "one");
  q.pop_front();
  EXPECT_EQ(q.ready_front()->text, "two");
  q.pop_front();
  EXPECT_TRUE(q.empty());
}

TEST_F(AnswerQueueTest, AnAnswerAfterStoredEventsWaitsUntilEveryLogIsDurable) {
  AnswerQueue<TestAnswer, 4> q(logs_);
  append(logs_, "e1");
  q.push_after_durable().text = "ok";
  q.push().text = "after";  // behind it: waits too, order is kept
  EXPECT_TRUE(q.front_waits_for_durability());
  EXPECT_EQ(q.ready_front(), nullptr);
  make_durable(*a_);
  EXPECT_EQ(q.ready_front(), nullptr) << "one log of two is not enough";
  append(logs_, "e2");  // later events do not matter to the earlier answer
  make_durable(*b_);
  ASSERT_NE(q.ready_front(), nullptr);
  EXPECT_EQ(q.ready_front()->text, "ok");
  q.pop_front();
  EXPECT_FALSE(q.front_waits_for_durability());
  EXPECT_EQ(q.ready_front()->text, "after");
}

TEST_F(AnswerQueueTest, AnAnswerWaitingForAFailStoppedLogIsNeverDurable) {
  AnswerQueue<TestAnswer, 4> q(logs_);
  append(logs_, "e1");
  make_durable(*a_);
  make_durable(*b_);
  q.push_after_durable().text = "durable before the failure";
  append(logs_, "e2");
  q.push_after_durable().text = "never durable";
  EXPECT_FALSE(q.front_never_durable());
  b_->fail_stop();
  EXPECT_FALSE(q.front_never_durable()) << "its events were durable before the failure";
  EXPECT_EQ(q.ready_front()->text, "durable before the failure");
  q.pop_front();
  EXPECT_TRUE(q.front_never_durable());
  EXPECT_EQ(q.ready_front(), nullptr) << "no OK for events that are not on disk";
  make_durable(*a_);  // the other log reaching them does not help
  EXPECT_TRUE(q.front_never_durable());
}

TEST_F(AnswerQueueTest, IsBoundedAndReusesSlots) {
  AnswerQueue<TestAnswer, 2> q(logs_);
  q.push().text = std::string(1000, 'x');
  q.push().text = "b";
  EXPECT_TRUE(q.full());
  q.pop_front();
  EXPECT_FALSE(q.full());
  // The slot comes back as it was left, so its buffer keeps its capacity.
  TestAnswer& reused = q.push();
  EXPECT_GE(reused.text.capacity(), 1000u);
  EXPECT_EQ(q.back().text.size(), 1000u);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_DEATH(q.pop_front(), "empty answer queue");
}

TEST(EventTime, TheTimestampHeaderInMillisecondsElseArrival) {
  ringbuf::Header with[] = {{"a", "b"}, {"timestamp", "1700000000123"}};
  ringbuf::Header bad[] = {{"timestamp", "yesterday"}};
  ringbuf::Header partly[] = {{"timestamp", "17x"}};
  EXPECT_EQ(event_time(with, 5), 1700000000123);
  EXPECT_EQ(event_time(bad, 5), 5);
  EXPECT_EQ(event_time(partly, 5), 5);
  EXPECT_EQ(event_time({}, 5), 5);
}

}  // namespace
}  // namespace sluice::sources
