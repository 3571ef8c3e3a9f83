// kafka-mock-cluster: librdkafka's mock Kafka cluster as its own process, for end-to-end tests
// that must talk the real Kafka protocol to something they can break on purpose (brokers down,
// injected errors, slow responses). Usage and the control protocol: kafka_mock_command.cc
// (usage_text, printed by --help); the Python side: tests/support/kafka_harness.py.
//
// Threads: main reads stdin and the signals and applies the commands; librdkafka runs the
// cluster on its own thread (the mock API hands every change to it through a queue).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tests/support/kafka_mock_command.h"

// rdkafka_mock.h must follow rdkafka.h (which kafka_mock_command.h includes).
#include <librdkafka/rdkafka_mock.h>

#include <fmt/format.h>

namespace sluice::testing::kafka_mock {
namespace {

constexpr const char* program = "kafka-mock-cluster";

void log_line(std::string_view text) {
  std::string line = fmt::format("{}: {}\n", program, text);
  // One write per line: the mock thread's log lines come through the same path.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

void rdkafka_log(const rd_kafka_t*, int level, const char* facility, const char* message) {
  // The handle exists only for the mock's bookkeeping and never connects anywhere: its warning
  // about having no bootstrap.servers would only mislead whoever reads a failed test's log.
  if (std::string_view(facility) == "CONFWARN" && std::strstr(message, "bootstrap.servers")) return;
  log_line(fmt::format("rdkafka {} {}: {}", level, facility, message));
}

// Every answer is one line, flushed at once: the test on the other end waits for it.
bool answer(std::string_view text) {
  std::string line(text);
  line += '\n';
  return std::fwrite(line.data(), 1, line.size(), stdout) == line.size() && std::fflush(stdout) == 0;
}

std::string broker_label(int32_t id) { return id == all_brokers ? std::string("all") : std::to_string(id); }

std::string describe(rd_kafka_resp_err_t err) {
  return fmt::format("{} ({})", rd_kafka_err2name(err), rd_kafka_err2str(err));
}

// The producer handle that rd_kafka_mock_cluster_new() needs for its bookkeeping, and the cluster.
class Cluster {
 public:
  Cluster() = default;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster() {
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (handle_) rd_kafka_destroy(handle_);
  }

  Status start(const Options& options) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    rd_kafka_conf_set_log_cb(conf, rdkafka_log);
    if (!options.debug.empty() &&
        rd_kafka_conf_set(conf, "debug", options.debug.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return make_error(fmt::format("--debug {}: {}", options.debug, errstr));
    }
    // rd_kafka_new() owns conf when it succeeds and leaves it to us when it fails.
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!handle_) {
      rd_kafka_conf_destroy(conf);
      return make_error(fmt::format("cannot create the rdkafka handle: {}", errstr));
    }
    cluster_ = rd_kafka_mock_cluster_new(handle_, options.brokers);
    if (!cluster_)
      return make_error(fmt::format("cannot create a mock cluster of {} brokers (see the log above)", options.brokers));
    broker_count_ = options.brokers;
    for (const auto& topic : options.topics) {
      rd_kafka_resp_err_t err =
          rd_kafka_mock_topic_create(cluster_, topic.topic.c_str(), topic.partitions, topic.replication);
      if (err) return make_error(fmt::format("cannot create topic {}: {}", topic.topic, describe(err)));
    }
    return {};
  }

  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  int broker_count() const { return broker_count_; }

  // The answer line for `command`.
  std::string apply(const Command& command) {
    return std::visit([this](const auto& c) { return apply_one(c); }, command);
  }

 private:
  static std::string result(rd_kafka_resp_err_t err, std::string what) {
    if (err) return fmt::format("error {}: {}", what, describe(err));
    return "ok " + what;
  }

  std::string apply_one(const BrokerDown& c) {
    return result(rd_kafka_mock_broker_set_down(cluster_, c.broker_id), "broker-down " + broker_label(c.broker_id));
  }
  std::string apply_one(const BrokerUp& c) {
    return result(rd_kafka_mock_broker_set_up(cluster_, c.broker_id), "broker-up " + broker_label(c.broker_id));
  }
  std::string apply_one(const SetRtt& c) {
    return result(rd_kafka_mock_broker_set_rtt(cluster_, c.broker_id, c.rtt_ms),
                  fmt::format("rtt {} {}", broker_label(c.broker_id), c.rtt_ms));
  }
  std::string apply_one(const TopicCreate& c) {
    return result(rd_kafka_mock_topic_create(cluster_, c.topic.c_str(), c.partitions, c.replication),
                  fmt::format("topic-create {} {} {}", c.topic, c.partitions, c.replication));
  }
  std::string apply_one(const TopicError& c) {
    // The mock creates the topic (4 partitions) if it does not exist yet.
    rd_kafka_mock_topic_set_error(cluster_, c.topic.c_str(), c.error);
    return fmt::format("ok topic-error {} {}", c.topic, rd_kafka_err2name(c.error));
  }
  std::string apply_one(const PushErrors& c) {
    rd_kafka_mock_push_request_errors_array(cluster_, c.api_key, c.errors.size(), c.errors.data());
    return fmt::format("ok push-errors {} {}", api_key_name(c.api_key), c.errors.size());
  }
  std::string apply_one(const BrokerPushErrors& c) {
    for (const auto& e : c.errors) {
      rd_kafka_resp_err_t err =
          rd_kafka_mock_broker_push_request_error_rtts(cluster_, c.broker_id, c.api_key, 1, e.error, e.rtt_ms);
      if (err) return result(err, fmt::format("broker-push-errors {}", c.broker_id));
    }
    return fmt::format("ok broker-push-errors {} {} {}", c.broker_id, api_key_name(c.api_key), c.errors.size());
  }
  std::string apply_one(const ClearErrors& c) {
    rd_kafka_mock_clear_request_errors(cluster_, c.api_key);
    return fmt::format("ok clear-errors {}", api_key_name(c.api_key));
  }
  std::string apply_one(const BrokerErrorCount& c) {
    size_t count = 0;
    rd_kafka_resp_err_t err = rd_kafka_mock_broker_error_stack_cnt(cluster_, c.broker_id, c.api_key, &count);
    if (err) return result(err, fmt::format("broker-error-count {} {}", c.broker_id, api_key_name(c.api_key)));
    return fmt::format("ok {}", count);
  }
  std::string apply_one(const SetLeader& c) {
    // The mock creates the topic (PARTITION + 1 partitions) if it does not exist yet.
    return result(rd_kafka_mock_partition_set_leader(cluster_, c.topic.c_str(), c.partition, c.broker_id),
                  fmt::format("leader {} {} {}", c.topic, c.partition,
                              c.broker_id == no_leader ? std::string("none") : std::to_string(c.broker_id)));
  }
  std::string apply_one(const Ping&) { return "ok pong"; }
  std::string apply_one(const Quit&) { return "ok quit"; }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  int broker_count_ = 0;
};

// Written to a temporary name and renamed, so a reader never sees half a line.
Status write_port_file(const std::string& path, std::string_view line) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return make_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size() && std::fputc('\n', f) != EOF;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    return make_error(fmt::format("cannot write {}: {}", path, std::strerror(e)));
  }
  return {};
}

enum class Stop { stdin_closed, quit, signal, output_closed };

// Reads stdin line by line (bounded: an over-long line is answered with an error and skipped)
// and the signal fd, until one of them says stop.
class ControlLoop {
 public:
  ControlLoop(Cluster& cluster, int signal_fd, bool read_stdin)
      : cluster_(cluster), signal_fd_(signal_fd), read_stdin_(read_stdin) {}

  Stop run() {
    for (;;) {
      pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      int n = ::poll(fds, read_stdin_ ? 2 : 1, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        log_line(fmt::format("poll: {}", std::strerror(errno)));
        return Stop::signal;
      }
      if (fds[0].revents) {
        signalfd_siginfo info{};
        [[maybe_unused]] ssize_t r = ::read(signal_fd_, &info, sizeof(info));
        log_line(fmt::format("stopping on {}", ::strsignal(static_cast<int>(info.ssi_signo))));
        return Stop::signal;
      }
      if (read_stdin_ && fds[1].revents) {
        if (auto stop = read_input()) return *stop;
      }
    }
  }

 private:
  std::optional<Stop> read_input() {
    char chunk[4096];
    ssize_t n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return std::nullopt;
      log_line(fmt::format("reading stdin: {}", std::strerror(errno)));
      return Stop::stdin_closed;
    }
    if (n == 0) {
      // A last line without its newline still counts.
      if (!pending_.empty() && !discarding_) {
        if (auto stop = handle_line(pending_)) return stop;
      }
      log_line("stopping: stdin closed");
      return Stop::stdin_closed;
    }
    for (ssize_t i = 0; i < n; ++i) {
      char c = chunk[i];
      if (c == '\n') {
        bool was_discarding = discarding_;
        discarding_ = false;
        std::string line;
        line.swap(pending_);
        if (was_discarding) {
          if (!answer(fmt::format("error line longer than {} bytes", line_bytes_max))) return Stop::output_closed;
          continue;
        }
        if (auto stop = handle_line(line)) return stop;
      } else if (!discarding_) {
        if (pending_.size() == line_bytes_max) {
          discarding_ = true;
          pending_.clear();
        } else {
          pending_ += c;
        }
      }
    }
    return std::nullopt;
  }

  std::optional<Stop> handle_line(const std::string& line) {
    auto command = parse_command(line, cluster_.broker_count());
    std::string reply = command ? cluster_.apply(command.value()) : "error " + command.error().message;
    if (!answer(reply)) {
      log_line("stdout closed: stopping");
      return Stop::output_closed;
    }
    if (command && std::holds_alternative<Quit>(command.value())) return Stop::quit;
    return std::nullopt;
  }

  Cluster& cluster_;
  int signal_fd_;
  bool read_stdin_;
  std::string pending_;
  bool discarding_ = false;
};

int run(const Options& options) {
  // Block the stop signals before librdkafka starts its threads (they inherit the mask), and
  // take them from a signalfd in the control loop instead of in a handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    log_line("cannot block SIGTERM/SIGINT");
    return 1;
  }
  int signal_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    log_line(fmt::format("signalfd: {}", std::strerror(errno)));
    return 1;
  }
  // A test that stops reading our answers must not kill us mid-command: writes then fail instead.
  ::signal(SIGPIPE, SIG_IGN);

  int code = 0;
  {
    Cluster cluster;
    if (auto started = cluster.start(options); !started) {
      log_line(started.message());
      code = 1;
    } else {
      std::string line = "bootstrap=" + cluster.bootstrap();
      Status written = options.port_file.empty() ? Status() : write_port_file(options.port_file, line);
      if (!written) {
        log_line(written.message());
        code = 1;
      } else if (!answer(line)) {
        log_line("cannot write to stdout");
        code = 1;
      } else {
        ControlLoop(cluster, signal_fd, options.read_stdin).run();
      }
    }
    // ~Cluster: closes every connection, joins the mock thread, destroys the handle.
  }
  ::close(signal_fd);
  return code;
}

}  // namespace
}  // namespace sluice::testing::kafka_mock

int main(int argc, char** argv) {
  using namespace sluice::testing::kafka_mock;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto options = parse_options(args);
  if (!options) {
    std::fprintf(stderr, "kafka-mock-cluster: %s\n%s", options.error().message.c_str(), usage_text);
    return 2;
  }
  if (options->help) {
    std::fputs(usage_text, stdout);
    return 0;
  }
  return run(options.value());
}
