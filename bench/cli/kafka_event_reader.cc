#include "bench/cli/kafka_event_reader.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/time.h"

namespace sluice::bench {
namespace {

constexpr int kPollMs = 100;

struct ConsumerDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using Consumer = std::unique_ptr<rd_kafka_t, ConsumerDeleter>;

struct PartitionsDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};

Result<Consumer> make_consumer(const KafkaInputOptions& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", o.bootstrap},
      // Required for a consumer handle; nothing is committed under it.
      {"group.id", "sluice-bench-verify"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return make_error(fmt::format("kafka setting {}: {}", key, error));
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);  // takes conf
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return make_error(fmt::format("cannot create a Kafka consumer: {}", error));
  }
  return Consumer(rk);
}

int remaining_ms(int64_t deadline_ns) {
  return static_cast<int>(std::max<int64_t>(0, (deadline_ns - base::monotonic_ns()) / 1'000'000));
}

// The high watermark of every partition of the topic.
Result<std::vector<int64_t>> read_watermarks(rd_kafka_t* rk, const std::string& topic, int64_t deadline_ns) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &metadata, remaining_ms(deadline_ns));
  rd_kafka_topic_destroy(handle);
  if (err) return make_error(fmt::format("no metadata for topic {}: {}", topic, rd_kafka_err2str(err)));
  std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> held(metadata,
                                                                                        rd_kafka_metadata_destroy);
  if (metadata->topic_cnt != 1) return make_error(fmt::format("no metadata for topic {}", topic));
  const rd_kafka_metadata_topic_t& t = metadata->topics[0];
  if (t.err) return make_error(fmt::format("topic {}: {}", topic, rd_kafka_err2str(t.err)));
  std::vector<int64_t> high(static_cast<size_t>(t.partition_cnt), 0);
  for (int i = 0; i < t.partition_cnt; ++i) {
    const int32_t partition = t.partitions[i].id;
    if (partition < 0 || partition >= t.partition_cnt)
      return make_error(fmt::format("topic {}: partition ids are not 0..{}", topic, t.partition_cnt - 1));
    int64_t low = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high[partition],
                                           remaining_ms(deadline_ns));
    if (err)
      return make_error(fmt::format("topic {} partition {}: no offsets: {}", topic, partition, rd_kafka_err2str(err)));
    if (high[partition] <= low) high[partition] = 0;  // empty (or emptied by retention): nothing to wait for
  }
  return high;
}

}  // namespace

Result<KafkaReadResult> read_kafka_topic(
    const KafkaInputOptions& o, const std::function<void(int32_t partition, std::string_view value)>& on_record) {
  const int64_t deadline_ns = base::monotonic_ns() + o.timeout_ms * 1'000'000;
  auto consumer = make_consumer(o);
  if (!consumer) return consumer.error();
  rd_kafka_t* rk = consumer->get();
  auto watermarks = read_watermarks(rk, o.topic, deadline_ns);
  if (!watermarks) return watermarks.error();
  const std::vector<int64_t>& high = watermarks.value();

  KafkaReadResult result;
  result.partitions = static_cast<uint32_t>(high.size());
  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionsDeleter> assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(high.size())));
  size_t open = 0;
  for (size_t p = 0; p < high.size(); ++p) {
    if (high[p] == 0) continue;
    rd_kafka_topic_partition_list_add(assignment.get(), o.topic.c_str(), static_cast<int32_t>(p))->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    ++open;
  }
  if (open == 0) return result;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, assignment.get()))
    return make_error(fmt::format("cannot assign topic {}: {}", o.topic, rd_kafka_err2str(err)));

  std::vector<bool> done(high.size(), false);
  for (size_t p = 0; p < high.size(); ++p) done[p] = high[p] == 0;
  std::string last_error;
  while (open > 0 && base::monotonic_ns() < deadline_ns) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, kPollMs);
    if (!m) continue;
    const size_t p = static_cast<size_t>(m->partition);
    const bool known = m->partition >= 0 && p < done.size();
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && known) {
      ++result.records;
      on_record(m->partition, std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0));
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Transport errors and the like: librdkafka retries on its own; kept for the timeout message.
      last_error = rd_kafka_message_errstr(m);
    }
    // Records written after the watermarks were read are read too until the partition is done.
    if (known && !done[p] &&
        (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
         (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset + 1 >= high[p]))) {
      done[p] = true;
      --open;
    }
    rd_kafka_message_destroy(m);
  }
  if (open > 0)
    return make_error(fmt::format("topic {}: {} of {} partitions not read to their end within {} s{}{}", o.topic, open,
                                  high.size(), o.timeout_ms / 1000.0,
                                  last_error.empty() ? "" : "; last error: ", last_error));
  return result;
}

}  // namespace sluice::bench
