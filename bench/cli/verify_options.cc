#include "bench/cli/verify_options.h"

#include <fmt/format.h>

#include "bench/cli/options.h"
#include "bench/cli/sequence_ledger.h"

namespace sluice::bench {
namespace {

struct VerifySpecs {
  std::vector<OptionSpec> specs;
  VerifyOptions options;
  bool files_given = false;
  std::optional<std::string> bootstrap;
  std::optional<std::string> topic;
  int64_t kafka_timeout_ms = kKafkaTimeoutMsDefault;
  std::optional<uint32_t> expect_connections;
  std::optional<uint64_t> expect_count;
  std::optional<std::vector<uint64_t>> expect_list;
};

Result<std::vector<uint64_t>> parse_count_list(std::string_view text) {
  std::vector<uint64_t> out;
  while (true) {
    const size_t comma = text.find(',');
    auto n = parse_quantity(text.substr(0, comma));
    if (!n) return n.error();
    out.push_back(n.value());
    if (out.size() > kLedgerConnectionsMax)
      return make_error(fmt::format("more than {} connections", kLedgerConnectionsMax));
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

// The table of `sluice-bench verify`; its entries write into `s`, which must stay in place.
void declare(VerifySpecs& s) {
  s.specs.push_back({"--files", "PATH", "read these files and directories (more paths may follow: --files a b c)",
                     [&s](std::string_view v) -> Status {
                       s.files_given = true;
                       s.options.files.emplace_back(v);
                       return {};
                     }});
  s.specs.push_back({"--include-in-use", "", "also read *.tmp files found in directories (files a sink is writing)",
                     [&s](std::string_view) -> Status {
                       s.options.include_in_use = true;
                       return {};
                     }});
  s.specs.push_back({"--kafka", "BOOTSTRAP", "read a Kafka topic from these brokers (host:port[,host:port...])",
                     [&s](std::string_view v) -> Status {
                       if (v.empty()) return make_error("needs at least one broker");
                       s.bootstrap = std::string(v);
                       return {};
                     }});
  s.specs.push_back(
      {"--topic", "T", "the Kafka topic, read whole from the beginning", [&s](std::string_view v) -> Status {
         if (v.empty()) return make_error("needs a topic name");
         s.topic = std::string(v);
         return {};
       }});
  s.specs.push_back({"--kafka-timeout", "S", "give up on the topic after this many seconds (default 30)",
                     [&s](std::string_view v) -> Status {
                       auto seconds = parse_seconds(v);
                       if (!seconds) return seconds.error();
                       if (seconds.value() > kDurationSecondsMax)
                         return make_error(fmt::format("{} is above the maximum of {} s", v, kDurationSecondsMax));
                       s.kafka_timeout_ms = static_cast<int64_t>(seconds.value() * 1000);
                       return {};
                     }});
  s.specs.push_back({"--expect-connections", "N", "connections the load used (with --expect-count)",
                     [&s](std::string_view v) -> Status {
                       auto n = parse_quantity(v);
                       if (!n) return n.error();
                       if (n.value() < 1 || n.value() > kLedgerConnectionsMax)
                         return make_error(fmt::format("{} is outside 1-{}", v, kLedgerConnectionsMax));
                       s.expect_connections = static_cast<uint32_t>(n.value());
                       return {};
                     }});
  s.specs.push_back({"--expect-count", "N", "events the load sent in total, split over the connections as --count is",
                     [&s](std::string_view v) -> Status {
                       auto n = parse_quantity(v);
                       if (!n) return n.error();
                       s.expect_count = n.value();
                       return {};
                     }});
  s.specs.push_back(
      {"--expect", "N,N,...", "events sent per connection, connection 0 first", [&s](std::string_view v) -> Status {
         auto list = parse_count_list(v);
         if (!list) return list.error();
         s.expect_list = std::move(list.value());
         return {};
       }});
  s.specs.push_back({"--json", "", "print the report as one JSON object on stdout", [&s](std::string_view) -> Status {
                       s.options.json = true;
                       return {};
                     }});
}

Status finish(VerifySpecs& s) {
  VerifyOptions& o = s.options;
  if (!o.files.empty() && !s.files_given) return make_error("give the paths to read after --files");
  if (s.bootstrap.has_value() != s.topic.has_value()) return make_error("--kafka and --topic go together");
  if (s.bootstrap) o.kafka = KafkaInputOptions{*s.bootstrap, *s.topic, s.kafka_timeout_ms};
  if (o.files.empty() && !o.kafka)
    return make_error("give what to read: --files PATH... or --kafka BOOTSTRAP --topic T");
  if (s.expect_list && (s.expect_connections || s.expect_count))
    return make_error("give either --expect or --expect-connections with --expect-count");
  if (s.expect_connections.has_value() != s.expect_count.has_value())
    return make_error("--expect-connections and --expect-count go together");
  if (s.expect_list) o.expected = std::move(s.expect_list);
  if (s.expect_connections) {
    std::vector<uint64_t> counts;
    for (uint32_t i = 0; i < *s.expect_connections; ++i)
      counts.push_back(count_share(*s.expect_count, *s.expect_connections, i));
    o.expected = std::move(counts);
  }
  if (o.expected)
    for (uint64_t count : *o.expected)
      if (count > kSeqEnd)
        return make_error(
            fmt::format("{} events per connection is above the {}-digit sequence numbers", count, kSeqDigits));
  return {};
}

}  // namespace

Result<VerifyCommand> parse_verify_options(std::span<const std::string_view> args) {
  VerifySpecs s;
  declare(s);
  auto help = parse_options(args, s.specs, [&s](std::string_view path) -> Status {
    s.options.files.emplace_back(path);
    return {};
  });
  if (!help) return help.error();
  VerifyCommand command;
  if (help.value()) {
    command.help = true;
    return command;
  }
  if (Status finished = finish(s); !finished) return make_error(finished.message());
  command.options = std::move(s.options);
  return command;
}

std::string verify_usage() {
  VerifySpecs s;
  declare(s);
  return fmt::format(
      "usage: sluice-bench verify --files PATH... | --kafka BOOTSTRAP --topic T [options]\n"
      "\n"
      "Reads back what a sink wrote and checks the events sluice-bench sent: every syslog message,\n"
      "http and avro event carries 'conn=NNN seq=NNNNNNNNNN' (found anywhere in a line or record, so\n"
      "text bodies and Flume JSON lines both work). Reports per connection and in total: received,\n"
      "unique, lost (with the first missing ranges), duplicates, out of order (below a number seen\n"
      "earlier in the same file or partition; duplicates are not counted again) and lines without a\n"
      "marker.\n"
      "\n"
      "Files hold one event per line: file_roll output, HDFS DataStream text; gzip and zstd files are\n"
      "decompressed (told by their first bytes). Directories are read recursively in name order,\n"
      "leaving out *.tmp files unless --include-in-use. A Kafka topic is read from the beginning of\n"
      "every partition to the end it had at the start; each record's value is one event.\n"
      "\n"
      "Lost: with --expect-connections and --expect-count (as given to the load's --connections and\n"
      "--count) or --expect, every number sent and never seen; without, only the gaps below each\n"
      "connection's highest number (events lost at the end of a connection go unnoticed).\n"
      "\n"
      "options:\n"
      "{}"
      "\n"
      "Exit status: 0 nothing lost, 1 events lost, 2 bad usage, 3 an input could not be read.\n",
      format_option_help(s.specs));
}

}  // namespace sluice::bench
