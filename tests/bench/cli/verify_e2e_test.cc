// End to end: the real sluice binary (syslog TCP source, memory channel, file_roll sink), the
// real `sluice-bench syslog --count` sending to it, and `sluice-bench verify` on what the sink
// wrote: nothing may be lost. The binaries come from the build (SLUICE_BIN, SLUICE_BENCH_BIN).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/cli/verify.h"

extern char** environ;

namespace sluice::bench {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kEvents = 20'000;
constexpr uint32_t kConnections = 4;
constexpr auto kWaitMax = std::chrono::seconds(60);

uint16_t free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Starts `args`; stdout goes to `stdout_fd` (-1: inherited).
pid_t spawn(const std::vector<std::string>& args, int stdout_fd = -1) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0) << args[0];
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class VerifyEndToEnd : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-verify-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "out");
    syslog_port_ = free_tcp_port();
    http_port_ = free_tcp_port();
    avro_port_ = free_tcp_port();
    admin_port_ = free_tcp_port();
    std::ofstream(dir_ / "sluice.conf") << "a1.sources = r1 web rpc\na1.channels = c1\na1.sinks = k1\n"
                                        << "a1.sources.r1.type = syslogtcp\na1.sources.r1.host = 127.0.0.1\n"
                                        << "a1.sources.r1.port = " << syslog_port_ << "\na1.sources.r1.channels = c1\n"
                                        << "a1.sources.web.type = http\na1.sources.web.bind = 127.0.0.1\n"
                                        << "a1.sources.web.port = " << http_port_ << "\na1.sources.web.channels = c1\n"
                                        << "a1.sources.rpc.type = avro\na1.sources.rpc.bind = 127.0.0.1\n"
                                        << "a1.sources.rpc.port = " << avro_port_ << "\na1.sources.rpc.channels = c1\n"
                                        << "a1.channels.c1.type = memory\na1.channels.c1.capacity = 100000\n"
                                        << "a1.sinks.k1.type = file_roll\na1.sinks.k1.channel = c1\n"
                                        << "a1.sinks.k1.sink.directory = " << (dir_ / "out").string() << "\n"
                                        << "a1.sinks.k1.sink.rollInterval = 1s\n";
  }
  void TearDown() override {
    if (sluice_ > 0) {
      ::kill(sluice_, SIGKILL);
      wait_exit(sluice_);
    }
    fs::remove_all(dir_);
  }

  // Starts sluice and waits for its "ready" line.
  void start_sluice() {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    sluice_ = spawn({SLUICE_BIN, "-f", (dir_ / "sluice.conf").string(), "-n", "a1", "--shards", "1", "--admin",
                     "127.0.0.1:" + std::to_string(admin_port_), "--no-pin"},
                    pipe_fds[1]);
    ::close(pipe_fds[1]);
    FILE* out = ::fdopen(pipe_fds[0], "r");
    char line[4096];
    bool ready = false;
    while (!ready && std::fgets(line, sizeof line, out))
      ready = std::string_view(line).find("ready") != std::string_view::npos;
    std::fclose(out);  // sluice's later writes to stdout are not needed
    ASSERT_TRUE(ready) << "sluice exited before it was ready";
  }

  fs::path dir_;
  uint16_t syslog_port_ = 0;
  uint16_t http_port_ = 0;
  uint16_t avro_port_ = 0;
  uint16_t admin_port_ = 0;
  pid_t sluice_ = -1;
};

TEST_F(VerifyEndToEnd, SyslogThroughFileRollLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(start_sluice());
  const std::string out_dir = (dir_ / "out").string();
  const int devnull = ::open("/dev/null", O_WRONLY);
  pid_t bench = spawn({SLUICE_BENCH_BIN, "syslog", "--tcp", "127.0.0.1:" + std::to_string(syslog_port_), "--count",
                       std::to_string(kEvents), "--connections", std::to_string(kConnections), "--size-dist",
                       "uniform:84-600", "--no-metrics", "--quiet"},
                      devnull);
  ASSERT_EQ(wait_exit(bench), 0);

  // The sink writes on its own schedule: wait until every event is in a file.
  VerifyOptions options;
  options.files = {out_dir};
  options.include_in_use = true;
  const auto deadline = std::chrono::steady_clock::now() + kWaitMax;
  uint64_t unique = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto report = verify_inputs(options);
    ASSERT_TRUE(report.ok()) << report.error().message;
    unique = report->total().unique;
    if (unique >= kEvents) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(unique, kEvents);
  ::kill(sluice_, SIGTERM);
  EXPECT_EQ(wait_exit(sluice_), 0);
  sluice_ = -1;

  const std::string report_path = (dir_ / "verify.json").string();
  const int report_fd = ::open(report_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t verify = spawn({SLUICE_BENCH_BIN, "verify", "--files", out_dir, "--expect-connections",
                        std::to_string(kConnections), "--expect-count", std::to_string(kEvents), "--json"},
                       report_fd);
  EXPECT_EQ(wait_exit(verify), 0);
  ::close(report_fd);
  ::close(devnull);
  std::ifstream in(report_path);
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"total\":{\"expected\":20000,\"received\":20000,\"unique\":20000,\"lost\":0,\"duplicates\":0"),
            std::string::npos)
      << json;
}

// Runs sluice-bench with `args` and its metrics and JSON options; returns the JSON summary.
std::string run_bench_json(std::vector<std::string> args, const fs::path& dir, uint16_t admin_port) {
  const std::string summary_path = (dir / "summary.json").string();
  const int summary_fd = ::open(summary_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  args.insert(args.begin(), SLUICE_BENCH_BIN);
  const std::string metrics = "http://127.0.0.1:" + std::to_string(admin_port) + "/metrics";
  args.insert(args.end(), {"--metrics", metrics, "--json", "--quiet"});
  pid_t bench = spawn(args, summary_fd);
  EXPECT_EQ(wait_exit(bench), 0);
  ::close(summary_fd);
  std::ifstream in(summary_path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The summary says every one of `events` was delivered, measured from its send time, and that
// half of them took less than half a second from send to sink (two seconds at a steady rate:
// had the events carried the run's start time, half would be a second old or more).
void expect_delivery_from_send(const std::string& json, uint64_t events) {
  EXPECT_NE(json.find("\"delivery_from\":\"send\",\"delivery_events\":" + std::to_string(events) + ","),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"delivery_note\":null"), std::string::npos) << json;
  const size_t p50_at = json.find("\"delivery_p50_ms\":");
  ASSERT_NE(p50_at, std::string::npos) << json;
  const double p50_ms = std::strtod(json.c_str() + p50_at + std::strlen("\"delivery_p50_ms\":"), nullptr);
  EXPECT_LT(p50_ms, 500) << json;
}

TEST_F(VerifyEndToEnd, LatencyToSinkDeliveryComesFromSluicesEventAgeHistogram) {
  ASSERT_NO_FATAL_FAILURE(start_sluice());
  std::string json = run_bench_json({"syslog", "--tcp", "127.0.0.1:" + std::to_string(syslog_port_), "--rate", "10k",
                                     "--count", "20000", "--connections", "2"},
                                    dir_, admin_port_);
  EXPECT_NE(json.find("\"server_events_accepted\":20000,"), std::string::npos) << json;
  expect_delivery_from_send(json, 20000);
  // HTTP and Avro events carry their send time in a timestamp header, which sluice takes as
  // their time.
  json = run_bench_json({"http", "http://127.0.0.1:" + std::to_string(http_port_) + "/", "--rate", "10k", "--count",
                         "20000", "--connections", "2"},
                        dir_, admin_port_);
  expect_delivery_from_send(json, 20000);
  json = run_bench_json(
      {"avro", "127.0.0.1:" + std::to_string(avro_port_), "--rate", "10k", "--count", "20000", "--connections", "2"},
      dir_, admin_port_);
  expect_delivery_from_send(json, 20000);
}

}  // namespace
}  // namespace sluice::bench
