// The Kafka ceiling: a bare librdkafka producer sending fixed-size messages to one topic as
// fast as it can with the settings sluice's Kafka sink uses (acks=all, idempotence, linger 5 ms),
// counting delivery reports. What it sustains is what the cluster and librdkafka allow on this
// machine; sluice's sink is measured against it.
//
//   kafka-ceiling --bootstrap HOST:PORT,... --topic T [--count N] [--size BYTES] [--headers N] [--json]
// --headers adds N record headers of ~12 bytes to every message (sluice's syslog events carry 5).
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

long delivered = 0;
long failed = 0;

extern "C" void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err) ++failed;
  else ++delivered;
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "kafka-ceiling: %s\n", message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap, topic;
  long count = 1'000'000;
  size_t size = 200;
  int header_count = 0;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--bootstrap") bootstrap = next();
    else if (a == "--topic") topic = next();
    else if (a == "--count") count = std::stol(next());
    else if (a == "--size") size = std::stoul(next());
    else if (a == "--headers") header_count = std::stoi(next());
    else if (a == "--json") json = true;
    else die("unknown option " + std::string(a));
  }
  if (bootstrap.empty() || topic.empty()) die("usage: kafka-ceiling --bootstrap B --topic T [--count N] [--size S]");

  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (auto [k, v] : {std::pair{"bootstrap.servers", bootstrap.c_str()}, std::pair{"acks", "all"},
                      std::pair{"enable.idempotence", "true"}, std::pair{"linger.ms", "5"},
                      std::pair{"queue.buffering.max.messages", "200000"}}) {
    if (rd_kafka_conf_set(conf, k, v, error, sizeof error) != RD_KAFKA_CONF_OK) die(error);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!producer) die(error);
  std::string payload(size, 'k');

  auto started = std::chrono::steady_clock::now();
  for (long sent = 0; sent < count;) {
    rd_kafka_headers_t* headers = nullptr;
    if (header_count > 0) {
      headers = rd_kafka_headers_new(header_count);
      for (int h = 0; h < header_count; ++h) rd_kafka_header_add(headers, "Severity", 8, "6", 1);
    }
    rd_kafka_resp_err_t err = headers
                                  ? rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                                      RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                                                      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END)
                                  : rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                                      RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_END);
    if (err) rd_kafka_headers_destroy(headers);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer, 1);
      continue;
    }
    if (err) die(rd_kafka_err2str(err));
    ++sent;
    if (sent % 1000 == 0) rd_kafka_poll(producer, 0);
  }
  rd_kafka_flush(producer, 600'000);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  rd_kafka_destroy(producer);
  if (json)
    std::printf("{\"delivered\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"events_per_s\":%.0f}\n", delivered, failed,
                seconds, delivered / seconds);
  else
    std::printf("delivered %ld (failed %ld) in %.3f s: %.0f events/s\n", delivered, failed, seconds,
                delivered / seconds);
  return failed == 0 ? 0 : 1;
}
