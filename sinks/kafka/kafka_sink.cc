#include "sinks/kafka/kafka_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/logger.h"
#include "base/time.h"
#include "protocols/avro/avro_binary.h"
#include "sinks/common/event_format.h"

namespace sluice::sinks::kafka {
namespace {

constexpr int64_t kRetryBackoffMinMs = 100;
constexpr int64_t kRetryBackoffMaxMs = 5000;
constexpr int64_t kErrorLogIntervalMs = 10'000;

// Errors no retry can fix: the record goes to the dead-letter action.
bool is_permanent(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR__INVALID_ARG: return true;
    default: return false;
  }
}

extern "C" void delivery_trampoline(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  static_cast<KafkaSink*>(opaque)->on_delivery(*message);
}

extern "C" void error_trampoline(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaSink*>(opaque)->on_error(err, reason);
}

extern "C" void log_trampoline(const rd_kafka_t*, int level, const char* facility, const char* message) {
  // librdkafka's own log lines: warnings and worse go to sluice's log.
  if (level <= 4) base::log_warn("kafka: {}: {}", facility, message);
}

}  // namespace

KafkaSink::KafkaSink(KafkaSinkOptions options) : options_(std::move(options)) {}

KafkaSink::~KafkaSink() {
  destroy_producer();
  if (dead_letter_fd_ >= 0) ::close(dead_letter_fd_);
}

Status KafkaSink::open() {
  queues_.resize(options_.shards);
  for (auto& q : queues_) q.ring.resize(options_.window_per_shard);
  if (options_.dead_letter == DeadLetterAction::file) {
    dead_letter_fd_ = ::open(options_.dead_letter_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (dead_letter_fd_ < 0)
      return make_error(
          fmt::format("cannot open the dead-letter file {}: {}", options_.dead_letter_file, std::strerror(errno)));
  }
  // Off by default (unlike Flume): said once when on, since from then on clients choose topics.
  if (options_.allow_topic_override)
    base::log_info(
        "sink {}: allowTopicOverride is on: an event's '{}' header chooses its Kafka topic, so any "
        "client that can send events here can choose topics",
        options_.name, options_.topic_header);
  return create_producer();
}

Status KafkaSink::create_producer() {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
      return make_error(fmt::format("kafka setting {}={}: {}", key, value, error));
    return {};
  };
  // What matters for safety is set here rather than left to librdkafka's defaults; the user's
  // kafka.producer.* settings come after and win.
  const size_t in_flight_max = options_.window_per_shard * options_.shards;
  std::vector<std::pair<std::string, std::string>> settings = {
      {"acks", "all"},
      {"enable.idempotence", "true"},
      {"message.timeout.ms", "0"},  // keep trying while the broker is away; the channel holds the rest
      {"queue.buffering.max.messages", std::to_string(std::max<size_t>(in_flight_max * 2, 1000))},
      {"linger.ms", "5"},
  };
  settings.insert(settings.end(), options_.producer_config.begin(), options_.producer_config.end());
  for (const auto& [key, value] : settings) {
    if (Status s = set(key, value); !s) {
      rd_kafka_conf_destroy(conf);
      return s;
    }
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, delivery_trampoline);
  rd_kafka_conf_set_error_cb(conf, error_trampoline);
  rd_kafka_conf_set_log_cb(conf, log_trampoline);
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!producer_) {
    rd_kafka_conf_destroy(conf);
    return make_error(fmt::format("cannot create a Kafka producer: {}", error));
  }
  probe_.producer_created();
  return {};
}

void KafkaSink::destroy_producer() {
  if (!producer_) return;
  rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(producer_, 0);  // the purged messages' reports: they are produced again later
  rd_kafka_destroy(producer_);
  producer_ = nullptr;
}

size_t KafkaSink::window(uint32_t shard) const {
  const ShardQueue& q = queues_[shard];
  return fatal_ ? 0 : q.ring.size() - q.count;
}

void KafkaSink::start(uint32_t shard, std::span<const ringbuf::EventView> events) {
  ShardQueue& q = queues_[shard];
  SLUICE_ASSERT(events.size() <= q.ring.size() - q.count, "more events than the window");
  produce_clock_ns_ = base::monotonic_ns();
  for (const ringbuf::EventView& e : events) {
    Entry& entry = q.ring[(q.head + q.count) % q.ring.size()];
    ++q.count;
    entry = Entry{e, State::in_flight, shard, 0, 0};
    produce(entry);
  }
}

const std::string& KafkaSink::topic_of(const ringbuf::EventView& event) {
  std::string_view value;
  const std::string& t = options_.topic;
  if (t.find("%{") == std::string::npos) return t;
  topic_buffer_.clear();
  for (size_t i = 0; i < t.size();) {
    size_t close = t.find('}', i);
    if (t.compare(i, 2, "%{") == 0 && close != std::string::npos) {
      std::string_view name(t.data() + i + 2, close - i - 2);
      if (event.find_header(name, value)) topic_buffer_.append(value);
      i = close + 1;
    } else {
      topic_buffer_.push_back(t[i++]);
    }
  }
  return topic_buffer_;
}

void KafkaSink::produce(Entry& entry) {
  const ringbuf::EventView& e = entry.event;
  // One pass over the headers: the record headers, and the ones that steer the record.
  rd_kafka_headers_t* headers = rd_kafka_headers_new(e.header_count() + 1);
  std::string_view key, topic_override, partition_text;
  bool has_key = false;
  e.for_each_header([&](std::string_view k, std::string_view v) {
    rd_kafka_header_add(headers, k.data(), static_cast<ssize_t>(k.size()), v.data(), static_cast<ssize_t>(v.size()));
    if (k == "key" && !has_key) {
      key = v;
      has_key = true;
    } else if (options_.allow_topic_override && k == options_.topic_header && topic_override.empty()) {
      topic_override = v;
    } else if (!options_.partition_header.empty() && k == options_.partition_header && partition_text.empty()) {
      partition_text = v;
    }
  });
  const std::string* topic = &options_.topic;
  if (!topic_override.empty()) {
    topic_buffer_.assign(topic_override);
    topic = &topic_buffer_;
  } else if (options_.topic.find("%{") != std::string::npos) {
    topic = &topic_of(e);
  }
  int32_t partition = options_.default_partition >= 0 ? options_.default_partition : RD_KAFKA_PARTITION_UA;
  if (!partition_text.empty()) {
    int32_t p = -1;
    auto [end, ec] = std::from_chars(partition_text.data(), partition_text.data() + partition_text.size(), p);
    if (ec == std::errc() && end == partition_text.data() + partition_text.size() && p >= 0) partition = p;
  }
  std::string_view value = e.body();
  int flags = 0;  // the body stays in the channel until the delivery report: no copy
  if (options_.flume_event_format) {
    // Flume's AvroFlumeEvent {headers: map<string>, body: bytes}, Avro binary, no container.
    value_buffer_.clear();
    avro::Writer w(value_buffer_);
    size_t count = 0;
    e.for_each_header([&](std::string_view, std::string_view) { ++count; });
    if (count > 0) {
      w.write_block_count(count);
      e.for_each_header([&](std::string_view k, std::string_view v) {
        w.write_string(k);
        w.write_string(v);
      });
    }
    w.write_end_of_blocks();
    w.write_bytes(e.body());
    value = value_buffer_;
    flags = RD_KAFKA_MSG_F_COPY;
  }
  ++entry.attempts;
  entry.produced_ns = produce_clock_ns_;
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_TOPIC(topic->c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_KEY(has_key ? key.data() : nullptr, has_key ? key.size() : 0), RD_KAFKA_V_MSGFLAGS(flags),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(e.timestamp_ms()), RD_KAFKA_V_OPAQUE(&entry), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    entry.state = State::in_flight;
    probe_.produced(e.body().size());
    return;
  }
  rd_kafka_headers_destroy(headers);
  if (is_permanent(err)) {
    dead_letter(entry, *topic, rd_kafka_err2str(err));
    return;
  }
  entry.state = State::retry;
  ++retries_waiting_;
  probe_.delivery_failed();
}

void KafkaSink::on_delivery(const rd_kafka_message_s& m) {
  auto* entry = static_cast<Entry*>(m._private);
  if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    entry->state = State::done;
    if (delivery_clock_ns_ == 0) delivery_clock_ns_ = base::monotonic_ns();
    probe_.delivered(entry->event.body().size(), std::max<int64_t>(0, delivery_clock_ns_ - entry->produced_ns));
    retry_backoff_ms_ = 0;
    return;
  }
  probe_.delivery_reported_failed();
  if (is_permanent(m.err)) {
    dead_letter(*entry, m.rkt ? rd_kafka_topic_name(m.rkt) : "", rd_kafka_err2str(m.err));
    return;
  }
  // A passing failure (timeout, a purge after a fatal error): produce it again after a backoff.
  entry->state = State::retry;
  ++retries_waiting_;
  probe_.delivery_failed();
  on_error(m.err, rd_kafka_err2str(m.err));
}

void KafkaSink::dead_letter(Entry& entry, const std::string& topic, std::string_view why) {
  entry.state = State::done;
  probe_.dead_lettered();
  bool to_file = options_.dead_letter == DeadLetterAction::file;
  if (to_file) {
    std::string line = fmt::format("{{\"sink\":\"{}\",\"topic\":\"", options_.name);
    size_t replaced = append_json_string_body(line, topic);
    line += "\",\"error\":\"";
    append_json_string_body(line, why);
    line += "\",\"event\":";
    if (append_line(line, entry.event, LineFormat::json) || replaced > 0) probe_.invalid_utf8_event();
    line += "}\n";
    line.erase(line.size() - 3, 1);  // append_line ends the event with a newline: move it after the brace
    if (::write(dead_letter_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      base::log_error("sink {}: cannot write to the dead-letter file {}: {}", options_.name, options_.dead_letter_file,
                      std::strerror(errno));
  }
  // The runner counts and logs it (sluice_sink_rejected_events_total).
  rejections_.add(fmt::format("Kafka refused the event for topic '{}' ({}); it was {}", topic, why,
                              to_file ? "written to " + options_.dead_letter_file : std::string("dropped")));
}

void KafkaSink::on_error(int error, const char* reason) {
  auto err = static_cast<rd_kafka_resp_err_t>(error);
  if (err == RD_KAFKA_RESP_ERR__FATAL) fatal_ = true;
  if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
      err == RD_KAFKA_RESP_ERR__RESOLVE)
    probe_.connection_failed();
  int64_t now = base::monotonic_ms();
  if (now - last_error_log_ms_ >= kErrorLogIntervalMs) {
    base::log_warn("sink {}: Kafka: {} ({}); events wait in the channel until it is back{}", options_.name, reason,
                   rd_kafka_err2name(err),
                   errors_not_logged_ ? fmt::format(" ({} similar messages not logged)", errors_not_logged_) : "");
    last_error_log_ms_ = now;
    errors_not_logged_ = 0;
  } else {
    ++errors_not_logged_;
  }
}

void KafkaSink::retry_due() {
  if (retries_waiting_ == 0 || fatal_) return;
  int64_t now = base::monotonic_ms();
  if (now < retry_at_ms_) return;
  retry_backoff_ms_ = std::clamp<int64_t>(retry_backoff_ms_ * 2, kRetryBackoffMinMs, kRetryBackoffMaxMs);
  retry_at_ms_ = now + retry_backoff_ms_;
  retries_waiting_ = 0;
  produce_clock_ns_ = base::monotonic_ns();
  for (ShardQueue& q : queues_) {
    for (size_t i = 0; i < q.count; ++i) {
      Entry& entry = q.ring[(q.head + i) % q.ring.size()];
      if (entry.state != State::retry) continue;
      probe_.produced_again();
      produce(entry);
    }
  }
}

void KafkaSink::poll(int64_t timeout_ms, DoneCallback& done) {
  delivery_clock_ns_ = 0;
  rd_kafka_poll(producer_, static_cast<int>(timeout_ms));
  if (fatal_) {
    char reason[512];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(producer_, reason, sizeof reason);
    base::log_error(
        "sink {}: the Kafka producer failed for good ({}: {}); starting a new one and producing again "
        "what was in flight",
        options_.name, rd_kafka_err2name(err), reason);
    destroy_producer();
    fatal_ = false;
    if (Status s = create_producer(); !s) {
      base::log_error("sink {}: {}", options_.name, s.message());
      fatal_ = true;  // try again at the next poll
      return;
    }
    for (ShardQueue& q : queues_)
      for (size_t i = 0; i < q.count; ++i) {
        Entry& entry = q.ring[(q.head + i) % q.ring.size()];
        if (entry.state == State::in_flight) {
          entry.state = State::retry;
          ++retries_waiting_;
        }
      }
    retry_at_ms_ = 0;
  }
  retry_due();
  for (uint32_t shard = 0; shard < queues_.size(); ++shard) {
    ShardQueue& q = queues_[shard];
    size_t n = 0;
    while (q.count > 0 && q.ring[q.head].state == State::done) {
      q.ring[q.head].state = State::free;
      q.head = (q.head + 1) % q.ring.size();
      --q.count;
      ++n;
    }
    if (n > 0) done.done(shard, n);
  }
  rejections_.report(done);
}

void KafkaSink::close() { destroy_producer(); }

void KafkaSink::collect(base::MetricsWriter& out, const base::Labels& labels) const { probe_.collect(out, labels); }

}  // namespace sluice::sinks::kafka
