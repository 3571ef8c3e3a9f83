// The command line and the stdin control protocol of kafka-mock-cluster (a test utility that runs
// librdkafka's mock Kafka cluster as its own process), parsed into values by pure functions so
// that every error path has a unit test. Nothing here touches a cluster: kafka_mock_cluster.cc
// applies the commands. Any thread may call these (they only read librdkafka's constant error
// table).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace sluice::testing::kafka_mock {

// Limits: everything a test can ask for is bounded.
inline constexpr int brokers_max = 32;
inline constexpr int topics_max = 256;
inline constexpr int partitions_max = 1024;
inline constexpr size_t topic_name_bytes_max = 249;  // Kafka's own limit
inline constexpr size_t errors_per_command_max = 1000;
inline constexpr int rtt_ms_max = 600'000;
inline constexpr size_t line_bytes_max = 4096;

// Broker id -1 means every broker (what librdkafka's mock API takes for "all").
inline constexpr int32_t all_brokers = -1;
// Partition leader -1 makes the partition leader-less.
inline constexpr int32_t no_leader = -1;

struct BrokerDown {
  int32_t broker_id;  // or all_brokers
};
struct BrokerUp {
  int32_t broker_id;  // or all_brokers
};
struct SetRtt {
  int32_t broker_id;  // or all_brokers
  int rtt_ms;
};
struct TopicCreate {
  std::string topic;
  int partitions;
  int replication;
};
struct TopicError {
  std::string topic;
  rd_kafka_resp_err_t error;  // RD_KAFKA_RESP_ERR_NO_ERROR clears it
};
// Cluster-wide: the next requests of `api_key`, on any broker, fail with these errors in order.
struct PushErrors {
  int16_t api_key;
  std::vector<rd_kafka_resp_err_t> errors;
};
struct ErrorWithRtt {
  rd_kafka_resp_err_t error;
  int rtt_ms;
};
// One broker: the next requests of `api_key` it serves fail (or are only delayed) in order.
struct BrokerPushErrors {
  int32_t broker_id;
  int16_t api_key;
  std::vector<ErrorWithRtt> errors;
};
struct ClearErrors {
  int16_t api_key;
};
// How many of a broker's own injected errors (broker-push-errors) for `api_key` are still unused.
struct BrokerErrorCount {
  int32_t broker_id;
  int16_t api_key;
};
struct SetLeader {
  std::string topic;
  int32_t partition;
  int32_t broker_id;  // or no_leader
};
struct Ping {};
struct Quit {};

using Command = std::variant<BrokerDown, BrokerUp, SetRtt, TopicCreate, TopicError, PushErrors, BrokerPushErrors,
                             ClearErrors, BrokerErrorCount, SetLeader, Ping, Quit>;

// One control line (without its newline; a trailing '\r' is ignored). `broker_count` is the
// cluster's size: broker ids are checked against 1..broker_count.
Result<Command> parse_command(std::string_view line, int broker_count);

// A Kafka error by name ("NOT_LEADER_FOR_PARTITION", "_TRANSPORT", case-insensitive, with or
// without the "RD_KAFKA_RESP_ERR_" prefix, a few newer Kafka aliases) or by number. Only broker
// error codes (>= 0) and _TRANSPORT (which makes the mock broker drop the connection) are
// accepted: other librdkafka-local codes mean nothing on the wire.
Result<rd_kafka_resp_err_t> parse_error_code(std::string_view text);

// A Kafka request type by name ("Produce", "InitProducerId") or number, among those the mock
// broker serves and that take injected errors.
Result<int16_t> parse_api_key(std::string_view text);
// The name of a request type the mock serves ("Produce"), or "ApiKey<N>".
std::string api_key_name(int16_t api_key);

// "NAME:PARTITIONS[:REPLICATION]" from --topic; replication defaults to min(3, broker_count).
Result<TopicCreate> parse_topic_spec(std::string_view spec, int broker_count);

struct Options {
  int brokers = 3;
  std::vector<TopicCreate> topics;
  std::string port_file;   // empty: none
  bool read_stdin = true;  // false: serve until a signal, ignore stdin
  std::string debug;       // librdkafka debug contexts ("mock,protocol"), empty: none
  bool help = false;
};

// argv[1..]. Topic specs are checked against the final broker count, whatever the order.
Result<Options> parse_options(const std::vector<std::string_view>& args);

extern const char* const usage_text;

}  // namespace sluice::testing::kafka_mock
