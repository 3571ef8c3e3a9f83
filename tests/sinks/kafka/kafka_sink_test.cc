// The Kafka sink against librdkafka's mock cluster, in-process (rd_kafka_mock_cluster_new):
// the real protocol on loopback, read back with a real consumer.
#include "sinks/kafka/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "base/time.h"
#include "tests/sinks/common/done_counter.h"
#include "tests/support/event_builder.h"
#include "tests/support/in_process_kafka.h"

namespace sluice::sinks::kafka {
namespace {

using sinks::testing::DoneCounter;

struct Record {
  int32_t partition = -1;
  std::string key, value;
  std::map<std::string, std::string> headers;
  int64_t timestamp_ms = 0;
};

class KafkaSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kafka_.ok()) << kafka_.error();
    ASSERT_TRUE(kafka_.create_topic("events", 3, 3));
    bootstrap_ = kafka_.bootstrap();
  }

  KafkaSinkOptions options(uint32_t shards = 1) {
    KafkaSinkOptions o;
    o.name = "k1";
    o.shards = shards;
    o.topic = "events";
    o.producer_config = {{"bootstrap.servers", bootstrap_}, {"linger.ms", "1"}, {"log_level", "3"}};
    return o;
  }

  // Polls until `n` events are done (at most 30 s).
  static void poll_until_done(KafkaSink& sink, DoneCounter& done, size_t n) {
    const int64_t until = base::monotonic_ms() + 30'000;
    while (done.total < n && base::monotonic_ms() < until) sink.poll(50, done);
  }

  // Reads `topic` from the beginning of every partition until `n` records came (at most 30 s).
  std::vector<Record> consume(const std::string& topic, size_t n) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", "test", error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    EXPECT_NE(consumer, nullptr) << error;
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(3);
    for (int32_t p = 0; p < 3; ++p)
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    std::vector<Record> out;
    const int64_t until = base::monotonic_ms() + 30'000;
    while (out.size() < n && base::monotonic_ms() < until) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        Record r;
        r.partition = m->partition;
        r.value.assign(static_cast<const char*>(m->payload), m->len);
        if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
        r.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* name;
          const void* value;
          size_t size;
          for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
               ++i)
            r.headers[name] = std::string(static_cast<const char*>(value), size);
        }
        out.push_back(std::move(r));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return out;
  }

  sluice::testing::InProcessKafka kafka_{3};
  std::string bootstrap_;
  sluice::testing::EventBuffer buffer_;
};

TEST_F(KafkaSinkTest, EveryEventIsProducedAndReportedDonePerShard) {
  KafkaSink sink(options(2));
  ASSERT_TRUE(sink.open().ok());
  std::vector<ringbuf::EventView> shard0, shard1;
  for (int i = 0; i < 60; ++i) (i % 2 ? shard1 : shard0).push_back(buffer_.add({}, "event " + std::to_string(i)));
  sink.start(0, shard0);
  sink.start(1, shard1);
  DoneCounter done;
  poll_until_done(sink, done, 60);
  EXPECT_EQ(done.done_by_shard[0], 30u);
  EXPECT_EQ(done.done_by_shard[1], 30u);
  EXPECT_EQ(done.rejected_total, 0u);
  auto records = consume("events", 60);
  EXPECT_EQ(records.size(), 60u);
  base::MetricsWriter out;
  sink.collect(out, {});
  EXPECT_EQ(out.sum("sluice_sink_kafka_acked_events_total"), 60);
  EXPECT_EQ(out.sum("sluice_sink_kafka_in_flight_events"), 0);
  sink.close();
}

TEST_F(KafkaSinkTest, HeadersKeyAndTimeGoIntoTheRecord) {
  KafkaSink sink(options());
  ASSERT_TRUE(sink.open().ok());
  std::vector<ringbuf::EventView> batch = {
      buffer_.add({{"key", "user-7"}, {"app", "web"}}, "with key", /*timestamp_ms=*/1'700'000'000'123)};
  sink.start(0, batch);
  DoneCounter done;
  poll_until_done(sink, done, 1);
  ASSERT_EQ(done.total, 1u);
  auto records = consume("events", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value, "with key");
  EXPECT_EQ(records[0].key, "user-7");
  EXPECT_EQ(records[0].headers["app"], "web");
  EXPECT_EQ(records[0].timestamp_ms, 1'700'000'000'123);
  sink.close();
}

TEST_F(KafkaSinkTest, ARecordRefusedForGoodIsRejectedNotRetriedAndDoesNotBlock) {
  KafkaSink sink(options());
  ASSERT_TRUE(sink.open().ok());
  rd_kafka_mock_push_request_errors(kafka_.cluster(), /*Produce*/ 0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  std::vector<ringbuf::EventView> first = {buffer_.add({}, "refused")};
  sink.start(0, first);
  DoneCounter done;
  poll_until_done(sink, done, 1);
  EXPECT_EQ(done.total, 1u) << "a refused record is done, so the channel moves on";
  EXPECT_EQ(done.rejected_total, 1u);
  EXPECT_NE(done.last_rejection.find("dropped"), std::string::npos) << done.last_rejection;
  std::vector<ringbuf::EventView> second = {buffer_.add({}, "after")};
  sink.start(0, second);
  poll_until_done(sink, done, 2);
  EXPECT_EQ(done.total, 2u);
  base::MetricsWriter out;
  sink.collect(out, {});
  EXPECT_EQ(out.sum("sluice_sink_kafka_dead_lettered_events_total"), 1);
  EXPECT_EQ(out.sum("sluice_sink_kafka_acked_events_total"), 1);
  sink.close();
}

}  // namespace
}  // namespace sluice::sinks::kafka
