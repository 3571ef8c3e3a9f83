// sluice: the server binary. Parses the command line, loads the configuration (a Flume
// properties file, or the embedded default), checks io_uring, builds and starts the agent, and
// stops it gracefully on SIGTERM or SIGINT. Main thread only.
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#ifdef SLUICE_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "base/fd_budget.h"
#include "base/logger.h"
#include "server/app/agent.h"
#include "server/app/components/component_type.h"
#include "server/app/default_config.h"
#include "server/config/agent_config.h"
#include "server/config/reference.h"
#include "server/reactor/io_uring_check.h"

namespace {

using namespace sluice;

constexpr std::string_view kUsage = R"(Usage: sluice [options]

sluice is an event ingestion server: it takes syslog (UDP and TCP) into per-core channels (in
memory, or durable files) and writes it out through sinks, configured like an Apache Flume agent.

With no -f, sluice runs its embedded default: syslog on UDP and TCP port 5514 into a file
channel under ./var/channel, written as JSON lines under ./var/out (see --print-default-config).

Options:
  -f, --conf-file FILE     Flume-style properties file to run
  -n, --name AGENT         agent in that file to run (the prefix of its keys, e.g. a1)
      --shards N           shards (threads, each with its own io_uring and core); default: one
                           per available core
      --no-pin             do not pin shards to cores
      --admin HOST:PORT    admin endpoint (/metrics, /health, /); default 127.0.0.1:9595
      --no-admin           no admin endpoint
      --drain-timeout S    on SIGTERM/SIGINT, how long sinks may take to drain the channels
                           (default 30)
      --fd-reserve N       file descriptors kept back from accepted connections for channel
                           segments, checkpoints, sinks and the admin endpoint (default: an
                           eighth of the open files limit, 64 to 4096)
      --log-level LEVEL    debug, info (default), warn or error
      --check              load and validate the configuration, then exit
      --print-default-config
                           print the embedded default configuration and exit
      --print-config-reference
                           print every component's options (docs/CONFIG.md) and exit
  -h, --help               this text
      --version            version and build information

Stop with SIGTERM or SIGINT: sluice stops reading, lets the sinks deliver what the channels
hold, and exits 0. A second signal exits at once.
)";

struct CommandLine {
  std::string conf_file;
  std::string agent;
  uint32_t shards = 0;
  bool pin = true;
  bool admin = true;
  std::string admin_host = "127.0.0.1";
  uint16_t admin_port = 9595;
  int64_t drain_timeout_s = 30;
  int64_t fd_reserve = -1;  // -1: base::fd_reserve() of the limit
  bool check_only = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "sluice: %s\nTry 'sluice --help'.\n", message.c_str());
  std::exit(2);
}

template <typename T>
T parse_number(std::string_view flag, std::string_view text, T min, T max) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    usage_error(fmt::format("{} takes a number from {} to {}, not '{}'", flag, min, max, text));
  return value;
}

void print_version() {
  std::printf("sluice %s\n", SLUICE_VERSION);
#ifdef SLUICE_WITH_MIMALLOC
  std::printf("allocator: mimalloc %d.%d.%d\n", mi_version() / 100, (mi_version() / 10) % 10, mi_version() % 10);
#else
  std::printf("allocator: system (sanitizer build)\n");
#endif
}

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) -> std::string_view {
      if (i + 1 >= argc) usage_error(fmt::format("{} needs a value", flag));
      return argv[++i];
    };
    if (arg == "-f" || arg == "--conf-file") cl.conf_file = value(arg);
    else if (arg == "-n" || arg == "--name") cl.agent = value(arg);
    else if (arg == "--shards") cl.shards = parse_number<uint32_t>(arg, value(arg), 1, 1024);
    else if (arg == "--no-pin") cl.pin = false;
    else if (arg == "--no-admin") cl.admin = false;
    else if (arg == "--admin") {
      std::string_view v = value(arg);
      size_t colon = v.rfind(':');
      if (colon == std::string_view::npos) usage_error("--admin takes HOST:PORT, e.g. 127.0.0.1:9595");
      cl.admin_host = std::string(v.substr(0, colon));
      if (cl.admin_host.size() > 2 && cl.admin_host.front() == '[' && cl.admin_host.back() == ']')
        cl.admin_host = cl.admin_host.substr(1, cl.admin_host.size() - 2);
      cl.admin_port = parse_number<uint16_t>("--admin port", v.substr(colon + 1), 0, 65535);
    } else if (arg == "--drain-timeout") cl.drain_timeout_s = parse_number<int64_t>(arg, value(arg), 0, 86400);
    else if (arg == "--fd-reserve") cl.fd_reserve = parse_number<int64_t>(arg, value(arg), 0, 1'000'000);
    else if (arg == "--log-level") {
      base::LogLevel level;
      std::string_view v = value(arg);
      if (!base::parse_log_level(v, level)) usage_error(fmt::format("unknown log level '{}'", v));
      base::set_log_level(level);
    } else if (arg == "--check") cl.check_only = true;
    else if (arg == "--print-default-config") {
      std::fwrite(app::kDefaultConfig.data(), 1, app::kDefaultConfig.size(), stdout);
      std::exit(0);
    } else if (arg == "--print-config-reference") {
      std::string reference = config::config_reference_markdown(app::component_catalog());
      std::fwrite(reference.data(), 1, reference.size(), stdout);
      std::exit(0);
    } else if (arg == "-h" || arg == "--help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      std::exit(0);
    } else if (arg == "--version") {
      print_version();
      std::exit(0);
    } else {
      usage_error(fmt::format("unknown option '{}'", arg));
    }
  }
  if (!cl.conf_file.empty() && cl.agent.empty())
    usage_error("-f needs -n AGENT: the name its keys start with (a1 in a1.sources = r1)");
  if (cl.conf_file.empty() && !cl.agent.empty() && cl.agent != app::kDefaultAgentName)
    usage_error("-n needs -f FILE (without -f, sluice runs its embedded default agent)");
  return cl;
}

uint32_t default_shards() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<uint32_t>(std::max(1, CPU_COUNT(&set)));
  return std::max(1u, std::thread::hardware_concurrency());
}

// Exits at once on a second signal while the first one's drain is still running.
void exit_on_second_signal(const sigset_t& signals) {
  std::thread([signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    base::log_warn("second {}: exiting without waiting for the drain", strsignal(signal));
    std::_Exit(1);
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cl = parse_command_line(argc, argv);

  // Threads inherit this mask, so the signals reach only the sigwait() below. SIGPIPE would
  // kill the process on a write to a closed socket; errors are handled where they happen.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const bool embedded = cl.conf_file.empty();
  auto config = embedded ? config::load_agent_config(app::kDefaultConfig, app::kDefaultAgentName, "(embedded default)",
                                                     app::component_catalog())
                         : config::load_agent_config_file(cl.conf_file, cl.agent, app::component_catalog());
  if (!config.ok()) {
    std::fprintf(stderr, "sluice: configuration errors:\n%s\n", config.error().message.c_str());
    return 2;
  }
  if (cl.check_only) {
    std::printf("sluice: configuration of agent '%s' in %s is valid\n", config->agent.c_str(),
                config->file_name.c_str());
    return 0;
  }

  if (Status probe = reactor::check_io_uring_features(); !probe) {
    std::fprintf(stderr, "sluice: %s\n", probe.message().c_str());
    return 1;
  }

  // Each connection is a descriptor: 1024, a common default soft limit, is far too few for a
  // collector. The hard limit is what the administrator allows.
  if (auto limit = base::raise_open_files_limit(); !limit.ok())
    base::log_warn("open files limit not raised: {}", limit.error().message);
  else if (limit->soft != limit->soft_before)
    base::log_info("open files limit raised from {} to {}", limit->soft_before, limit->soft);

  app::AgentOptions options;
  options.shards = cl.shards ? cl.shards : default_shards();
  options.pin_shards = cl.pin;
  options.admin_enabled = cl.admin;
  options.admin_host = cl.admin_host;
  options.admin_port = cl.admin_port;
  options.drain_timeout_ms = cl.drain_timeout_s * 1000;
  options.fd_reserve = cl.fd_reserve;

  auto agent = app::Agent::build(config.value(), options);
  if (!agent.ok()) {
    std::fprintf(stderr, "sluice: %s\n", agent.error().message.c_str());
    return 1;
  }
  if (Status started = agent.value()->start(); !started) {
    std::fprintf(stderr, "sluice: %s\n", started.message().c_str());
    agent.value()->stop();
    return 1;
  }

  std::printf("sluice %s: agent '%s' from %s, %u shard%s\n", SLUICE_VERSION, config->agent.c_str(),
              config->file_name.c_str(), options.shards, options.shards == 1 ? "" : "s");
  for (const std::string& line : agent.value()->describe()) std::printf("  %s\n", line.c_str());
  std::printf("sluice: ready (stop with Ctrl-C or SIGTERM)\n");
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  base::log_info("{}: stopping; sinks drain the channels (up to {} s)", strsignal(signal), cl.drain_timeout_s);
  exit_on_second_signal(signals);
  bool drained = agent.value()->stop();
  base::log_info("stopped{}", drained ? "" : " (some events were not delivered)");
  return drained ? 0 : 1;
}
