// The Kafka reader against librdkafka's mock cluster, in-process (rd_kafka_mock_cluster_new):
// the real protocol, no broker to start.
#include "bench/cli/kafka_event_reader.h"

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "bench/cli/batch_events.h"
#include "bench/cli/verify.h"
#include "tests/support/in_process_kafka.h"

namespace sluice::bench {
namespace {

class MockKafka : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kafka_.ok()) << kafka_.error();
    ASSERT_TRUE(kafka_.create_topic("events", 3, 1));
    ASSERT_TRUE(kafka_.create_topic("empty", 2, 1));
    bootstrap_ = kafka_.bootstrap();
  }

  // Writes `values` to the partitions given, in order, and waits until all are stored.
  void produce(const std::vector<std::pair<int32_t, std::string>>& values) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_.c_str(), error, sizeof error), RD_KAFKA_CONF_OK);
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    ASSERT_NE(producer, nullptr) << error;
    for (const auto& [partition, value] : values)
      ASSERT_EQ(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("events"), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    EXPECT_EQ(rd_kafka_flush(producer, 10'000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(producer);
  }

  static std::string body(uint32_t conn, uint64_t seq) {
    std::string out;
    append_event_body(out, conn, seq, 60);
    return out;
  }

  sluice::testing::InProcessKafka kafka_{1};
  std::string bootstrap_;
};

TEST_F(MockKafka, ReadsEveryPartitionToItsEnd) {
  std::vector<std::pair<int32_t, std::string>> values;
  for (uint64_t seq = 0; seq < 300; ++seq) values.emplace_back(static_cast<int32_t>(seq % 3), body(seq % 2, seq));
  produce(values);
  std::map<int32_t, std::vector<std::string>> read;
  auto r = read_kafka_topic({bootstrap_, "events", 15'000},
                            [&](int32_t partition, std::string_view value) { read[partition].emplace_back(value); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->partitions, 3u);
  EXPECT_EQ(r->records, 300u);
  ASSERT_EQ(read[1].size(), 100u);
  EXPECT_EQ(read[1][0], body(1, 1));  // offset order within the partition
  EXPECT_EQ(read[1][99], body(0, 298));
}

TEST_F(MockKafka, VerifyFindsLossAndOrderAcrossPartitions) {
  // Connection 0 sends 0..9: 4 is never written; 7 and 6 swap places within partition 0; 8 is
  // written twice, to two partitions.
  produce({{0, body(0, 0)},
           {1, body(0, 1)},
           {1, body(0, 2)},
           {2, body(0, 3)},
           {0, body(0, 5)},
           {0, body(0, 7)},
           {0, body(0, 6)},
           {1, body(0, 8)},
           {2, body(0, 8)},
           {2, body(0, 9)},
           {2, "not a bench event"}});
  VerifyOptions o;
  o.kafka = KafkaInputOptions{bootstrap_, "events", 15'000};
  o.expected = std::vector<uint64_t>{10};
  auto report = verify_inputs(o);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->partitions, 3u);
  EXPECT_EQ(report->without_marker, 1u);
  ConnectionTally total = report->total();
  EXPECT_EQ(total.received, 10u);
  EXPECT_EQ(total.lost, 1u);
  EXPECT_EQ(total.duplicates, 1u);
  EXPECT_EQ(total.out_of_order, 1u);
}

TEST_F(MockKafka, AnEmptyTopicIsReadAtOnceAndNoClusterIsAnError) {
  auto r = read_kafka_topic({bootstrap_, "empty", 15'000}, [](int32_t, std::string_view) { FAIL(); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->records, 0u);
  // (An unknown topic cannot be tested here: the mock cluster creates every topic asked for.)
  auto none = read_kafka_topic({"127.0.0.1:1", "events", 1'000}, [](int32_t, std::string_view) {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("events"), std::string::npos) << none.error().message;
}

}  // namespace
}  // namespace sluice::bench
