// Flume's Kafka sink (`kafka`, org.apache.flume.sink.kafka.KafkaSink) on librdkafka: a
// pipelined sink. Each shard's events are produced asynchronously, in log order, up to a window
// per shard; the runner commits a shard only over the contiguous prefix whose delivery reports
// all came back successful, so a restart resends at most what was in flight (at-least-once).
//
// Records: the body as value (or Flume's Avro event with useFlumeEventFormat), every event
// header as a record header, the event time as the record timestamp, the `key` header as key;
// topic from kafka.topic (with %{header} filled in) or, with allowTopicOverride (off by
// default, unlike Flume: a topic header comes from the client, and an untrusted client must not
// pick the topic), from the topicHeader header; partition from partitionIdHeader or
// defaultPartitionId.
//
// Failures: librdkafka retries what can be retried (idempotently: acks=all and
// enable.idempotence=true unless configured otherwise; message.timeout.ms=0, i.e. until the
// broker takes it, so an outage fills the channel and pushes back on the sources instead of
// failing events). A delivery that still fails with a passing error is produced again after a
// backoff. A record the broker rejects for good (unknown topic, authorization, too large) goes
// to the dead-letter action — dropped and counted, or appended to a file — so that it cannot
// block the channel. A fatal producer error (idempotence broken) recreates the producer and
// produces again whatever was in flight.
//
// Threads: the sink runner's thread only (librdkafka's own threads call nothing here: delivery
// reports and errors are served from poll()); collect() may run on the admin thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/counter.h"
#include "sinks/common/sink.h"
#include "sinks/kafka/kafka_sink_probe.h"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace sluice::sinks::kafka {

enum class DeadLetterAction : uint8_t { drop, file };

struct KafkaSinkOptions {
  std::string name;
  uint32_t shards = 1;
  // librdkafka settings: bootstrap.servers and the kafka.producer.* keys (prefix removed), in
  // order; later ones win.
  std::vector<std::pair<std::string, std::string>> producer_config;
  std::string topic = "default-flume-topic";  // may contain %{header}
  bool allow_topic_override = false;          // open() logs once when it is on
  std::string topic_header = "topic";
  std::string partition_header;    // empty: none
  int32_t default_partition = -1;  // -1: librdkafka's partitioner
  bool flume_event_format = false;
  size_t window_per_shard = 10000;  // events in flight per shard
  DeadLetterAction dead_letter = DeadLetterAction::drop;
  std::string dead_letter_file;
};

class KafkaSink final : public Sink {
 public:
  explicit KafkaSink(KafkaSinkOptions options);
  ~KafkaSink() override;

  Status open() override;
  bool pipelined() const override { return true; }
  size_t window(uint32_t shard) const override;
  void start(uint32_t shard, std::span<const ringbuf::EventView> events) override;
  void poll(int64_t timeout_ms, DoneCallback& done) override;
  int64_t tick_interval_ms() const override { return 100; }
  void close() override;
  void collect(base::MetricsWriter& out, const base::Labels& labels) const override;

  // librdkafka callbacks (static trampolines call these).
  void on_delivery(const rd_kafka_message_s& message);
  void on_error(int error, const char* reason);

 private:
  enum class State : uint8_t { free, in_flight, retry, done };
  struct Entry {
    ringbuf::EventView event;
    State state = State::free;
    uint32_t shard = 0;
    uint32_t attempts = 0;
    int64_t produced_ns = 0;
  };
  // A shard's events in flight, oldest first: a fixed ring, so entries never move (librdkafka
  // holds pointers to them as message opaques).
  struct ShardQueue {
    std::vector<Entry> ring;
    size_t head = 0;
    size_t count = 0;
  };

  Status create_producer();
  void destroy_producer();
  // Produces one entry; on an immediate error decides between retry and dead letter.
  void produce(Entry& entry);
  void dead_letter(Entry& entry, const std::string& topic, std::string_view why);
  // kafka.topic with its %{header} escapes filled in.
  const std::string& topic_of(const ringbuf::EventView& event);
  void retry_due();

  const KafkaSinkOptions options_;
  rd_kafka_s* producer_ = nullptr;
  std::vector<ShardQueue> queues_;
  std::string topic_buffer_;
  std::string value_buffer_;
  bool fatal_ = false;
  size_t retries_waiting_ = 0;
  int64_t retry_at_ms_ = 0;
  int64_t retry_backoff_ms_ = 0;
  int dead_letter_fd_ = -1;
  int64_t last_error_log_ms_ = 0;
  uint64_t errors_not_logged_ = 0;
  // The clock for latencies, read once per batch rather than per event (a clock read costs as
  // much as a good part of producing a record): when the current start()/retry began, and
  // when the current poll() served its first delivery report (0: not yet).
  int64_t produce_clock_ns_ = 0;
  int64_t delivery_clock_ns_ = 0;

  PendingRejections rejections_;  // dead-lettered events, for the runner
  KafkaSinkProbe probe_;
};

}  // namespace sluice::sinks::kafka
