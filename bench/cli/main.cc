// sluice-bench: load generator for sluice and its peers. This file only dispatches to the
// subcommands; each lives in its own <name>_load.cc with its options in <name>_options.cc.
#include <cstdio>
#include <span>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bench/cli/avro_load.h"
#include "bench/cli/http_load.h"
#include "bench/cli/syslog_load.h"
#include "bench/cli/verify.h"

namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(std::span<const std::string_view> args);
};

constexpr Subcommand kSubcommands[] = {
    {"syslog", "RFC 5424 syslog over TCP (octet counting or LF framing) or UDP", sluice::bench::run_syslog},
    {"http", "batches of events POSTed as Flume JSON, NDJSON or text lines over keep-alive HTTP/1.1",
     sluice::bench::run_http},
    {"avro", "Flume appendBatch calls over Avro IPC (Netty framing), as Flume's Avro sink sends them",
     sluice::bench::run_avro},
    {"verify", "reads back what a sink wrote (files, a Kafka topic): lost, duplicated, out-of-order events",
     sluice::bench::run_verify},
};

void print_usage(std::FILE* out) {
  fmt::print(out,
             "usage: sluice-bench SUBCOMMAND [options]\n"
             "\n"
             "Generates load for an event ingestion server and reports what was sent and what the\n"
             "server accepted (read from its Prometheus /metrics); verify checks what a sink wrote.\n"
             "\n"
             "subcommands:\n");
  for (const auto& s : kSubcommands) fmt::print(out, "  {:<10}{}\n", s.name, s.summary);
  fmt::print(out, "\nRun 'sluice-bench SUBCOMMAND --help' for a subcommand's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(stderr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(stdout);
    return 0;
  }
  for (const auto& s : kSubcommands)
    if (args[0] == s.name) return s.run(std::span<const std::string_view>(args).subspan(1));
  fmt::print(stderr, "sluice-bench: unknown subcommand '{}'\n\n", args[0]);
  print_usage(stderr);
  return 2;
}
