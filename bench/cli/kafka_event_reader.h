// The Kafka input of `sluice-bench verify`: every record of one topic, each record's value one
// event. The partitions and their high watermarks are read first; the topic is then consumed
// from the beginning (assigned, not subscribed: no group rebalance, nothing committed) until
// every partition has reached the watermark it had at the start, or the time is up.
//
// Threads: read_kafka_topic() blocks its caller; librdkafka runs its own threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::bench {

inline constexpr int64_t kKafkaTimeoutMsDefault = 30'000;

struct KafkaInputOptions {
  std::string bootstrap;  // bootstrap.servers
  std::string topic;
  int64_t timeout_ms = kKafkaTimeoutMsDefault;  // the whole read, metadata included
};

struct KafkaReadResult {
  uint32_t partitions = 0;
  uint64_t records = 0;
};

// Calls `on_record` with each record's partition and value (empty for a null value), in
// offset order within a partition. An error when the topic is unknown, the cluster does not
// answer, or not every partition was read to its end within the timeout.
Result<KafkaReadResult> read_kafka_topic(
    const KafkaInputOptions& options, const std::function<void(int32_t partition, std::string_view value)>& on_record);

}  // namespace sluice::bench
