// librdkafka's mock cluster inside the test process (rd_kafka_mock_cluster_new): the real Kafka
// protocol on loopback ports, for C++ tests that produce or consume with librdkafka. (The e2e
// tests run it as its own process instead: kafka_mock_cluster.cc.)
//
// Threads: construct, create_topic() and destroy on the test's thread; the brokers run on
// librdkafka's own threads.
#pragma once

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h must follow rdkafka.h.
#include <librdkafka/rdkafka_mock.h>

#include <string>

namespace sluice::testing {

class InProcessKafka {
 public:
  explicit InProcessKafka(int brokers) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    // The mock cluster lives inside a client handle, which owns it.
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!owner_) {
      error_ = error;
      return;
    }
    cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
    if (!cluster_) error_ = "rd_kafka_mock_cluster_new failed";
    else bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~InProcessKafka() {
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (owner_) rd_kafka_destroy(owner_);
  }
  InProcessKafka(const InProcessKafka&) = delete;
  InProcessKafka& operator=(const InProcessKafka&) = delete;

  bool ok() const { return cluster_ != nullptr; }
  const std::string& error() const { return error_; }
  bool create_topic(const char* name, int partitions, int replication) {
    return rd_kafka_mock_topic_create(cluster_, name, partitions, replication) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  const std::string& bootstrap() const { return bootstrap_; }
  // For injecting errors (rd_kafka_mock_push_request_errors and the like).
  rd_kafka_mock_cluster_t* cluster() { return cluster_; }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
  std::string error_;
};

}  // namespace sluice::testing
