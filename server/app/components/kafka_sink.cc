// The kafka sink (Flume's KafkaSink, through librdkafka): its options and its builder.
#include <fmt/format.h>

#include "server/app/components/component_type.h"
#include "sinks/kafka/kafka_sink.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "kafka",
      .type_aliases = {"org.apache.flume.sink.kafka.KafkaSink"},
      .description =
          "Produces every event to Kafka (librdkafka), asynchronously and in order per shard, "
          "committing the channel only over what the brokers confirmed: a restart resends at "
          "most what was in flight. Body as the value, headers as record headers, the event "
          "time as the record timestamp, the `key` header as the key. acks=all and "
          "idempotence are on unless kafka.producer.* says otherwise; while brokers are away "
          "events wait in the channel (message.timeout.ms=0).",
      .options =
          {
              {.name = "kafka.bootstrap.servers",
               .description = "Brokers to start from, host:port separated by commas.",
               .aliases = {"brokerList"},
               .required = true},
              {.name = "kafka.topic",
               .default_value = "default-flume-topic",
               .description = "Topic of every event; %{header} is replaced by that header's value.",
               .aliases = {"topic"}},
              {.name = "allowTopicOverride",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "An event with a topicHeader header goes to the topic it names. Off by "
                              "default, unlike Flume (on there): the header comes from the client (any "
                              "HTTP or Avro sender can set it), and an untrusted client must not choose "
                              "the topic. When on, start-up logs it once for the sink."},
              {.name = "topicHeader", .default_value = "topic", .description = "The header allowTopicOverride reads."},
              {.name = "partitionIdHeader",
               .description = "A header holding the partition number to write the event to (empty: "
                              "none)."},
              {.name = "defaultPartitionId",
               .type = OptionType::integer,
               .default_value = "-1",
               .description = "Partition for events without partitionIdHeader; -1 leaves it to the "
                              "partitioner (by key).",
               .min = -1,
               .max = 1'000'000},
              {.name = "flumeBatchSize",
               .type = OptionType::integer,
               .default_value = "1000",
               .description = "Most events read from a shard at a time (Flume's default is 100).",
               .aliases = {"batchSize"},
               .min = 1,
               .max = 1'000'000},
              {.name = "useFlumeEventFormat",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Write Flume's Avro event (headers and body) as the value, for Flume's "
                              "Kafka source and channel to read."},
              {.name = "maxInFlight",
               .type = OptionType::integer,
               .default_value = "20000",
               .description = "sluice: most events produced and not yet confirmed, per shard.",
               .min = 1,
               .max = 10'000'000},
              {.name = "deadLetter",
               .type = OptionType::enumeration,
               .default_value = "drop",
               .description = "sluice: what becomes of an event Kafka refuses for good (unknown topic, "
                              "authorization, too large): drop counts and logs it; file also appends "
                              "it as a JSON line to deadLetterFile.",
               .values = {"drop", "file"}},
              {.name = "deadLetterFile", .description = "sluice: the file deadLetter = file writes to."},
              {.name = "kafka.producer.",
               .type = OptionType::prefixed,
               .description = "Passed to librdkafka without the prefix (kafka.producer.linger.ms = 10 "
                              "sets linger.ms). Names are librdkafka's: see its CONFIGURATION.md."},
          },
      .flume_options_not_supported = {"requiredAcks", "kafka.producer.type"},
  };
}

Result<BuiltSink> build_kafka_sink(const config::ComponentConfig& c, uint32_t shards) {
  sinks::kafka::KafkaSinkOptions o;
  o.name = c.name();
  o.shards = shards;
  o.producer_config.emplace_back("bootstrap.servers", c.get_string("kafka.bootstrap.servers"));
  for (const auto& kv : c.get_prefixed("kafka.producer.")) o.producer_config.push_back(kv);
  o.topic = c.get_string("kafka.topic");
  o.allow_topic_override = c.get_bool("allowTopicOverride");
  o.topic_header = c.get_string("topicHeader");
  o.partition_header = c.get_string("partitionIdHeader");
  o.default_partition = static_cast<int32_t>(c.get_int("defaultPartitionId"));
  o.flume_event_format = c.get_bool("useFlumeEventFormat");
  o.window_per_shard = static_cast<size_t>(c.get_int("maxInFlight"));
  o.dead_letter =
      c.get_enum("deadLetter") == "file" ? sinks::kafka::DeadLetterAction::file : sinks::kafka::DeadLetterAction::drop;
  o.dead_letter_file = c.get_string("deadLetterFile");
  if (o.dead_letter == sinks::kafka::DeadLetterAction::file && o.dead_letter_file.empty())
    return make_error(fmt::format("{}: deadLetter = file needs deadLetterFile", c.locate("deadLetter")));
  BuiltSink built;
  built.batch_events_max = static_cast<size_t>(c.get_int("flumeBatchSize"));
  built.description =
      fmt::format("sink {} (kafka) produces to {} at {}", c.name(), o.topic, c.get_string("kafka.bootstrap.servers"));
  built.sink = std::make_unique<sinks::kafka::KafkaSink>(std::move(o));
  return built;
}

}  // namespace

ComponentType kafka_sink_type() { return {spec(), &build_kafka_sink}; }

}  // namespace sluice::app
