#include "bench/cli/verify.h"

#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench/cli/event_marker.h"
#include "bench/cli/kafka_event_reader.h"
#include "bench/cli/report.h"
#include "bench/cli/text_event_reader.h"

namespace sluice::bench {
namespace {

// Feeds events into the ledger; counts what has no marker.
class EventCounter {
 public:
  EventCounter(SequenceLedger& ledger, VerifyReport& report) : ledger_(ledger), report_(report) {}

  void add(std::string_view event, uint32_t stream) {
    ++report_.events_read;
    auto marker = find_event_marker(event);
    if (!marker) {
      ++report_.without_marker;
      return;
    }
    ledger_.record(marker->conn, marker->seq, stream);
  }

 private:
  SequenceLedger& ledger_;
  VerifyReport& report_;
};

std::string format_ranges(const ConnectionTally& t) {
  std::string out;
  for (const SeqRange& r : t.lost_ranges) {
    if (!out.empty()) out += ", ";
    out += r.first == r.last ? fmt::format("{}", r.first) : fmt::format("{}-{}", r.first, r.last);
  }
  uint64_t listed = 0;
  for (const SeqRange& r : t.lost_ranges) listed += r.last - r.first + 1;
  if (listed < t.lost) out += ", ...";
  return out;
}

std::string text_row(std::string_view label, const ConnectionTally& t, bool expectation) {
  std::string expected = expectation ? group_thousands(t.expected.value_or(0)) : "-";
  return fmt::format("{:<6}{:>14}{:>14}{:>14}{:>12}{:>12}{:>14}{:>12}\n", label, expected, group_thousands(t.received),
                     group_thousands(t.unique), group_thousands(t.lost), group_thousands(t.duplicates),
                     group_thousands(t.out_of_order), group_thousands(t.unexpected));
}

std::string json_tally_fields(const ConnectionTally& t, bool expectation) {
  return fmt::format(
      "\"expected\":{},\"received\":{},\"unique\":{},\"lost\":{},\"duplicates\":{},\"out_of_order\":{},"
      "\"unexpected\":{}",
      expectation ? std::to_string(t.expected.value_or(0)) : "null", t.received, t.unique, t.lost, t.duplicates,
      t.out_of_order, t.unexpected);
}

}  // namespace

ConnectionTally VerifyReport::total() const {
  ConnectionTally sum;
  if (expectation) sum.expected = 0;
  for (const ConnectionTally& t : connections) {
    sum.received += t.received;
    sum.unique += t.unique;
    sum.duplicates += t.duplicates;
    sum.out_of_order += t.out_of_order;
    sum.lost += t.lost;
    sum.unexpected += t.unexpected;
    if (sum.expected) *sum.expected += t.expected.value_or(0);
  }
  return sum;
}

Result<VerifyReport> verify_inputs(const VerifyOptions& o) {
  VerifyReport report;
  SequenceLedger ledger;
  if (o.expected) {
    ledger.expect(*o.expected);
    report.expectation = true;
  }
  EventCounter counter(ledger, report);
  uint32_t stream = 0;
  if (!o.files.empty()) {
    auto paths = list_text_inputs(o.files, o.include_in_use);
    if (!paths) return paths.error();
    for (const std::string& path : paths.value()) {
      const uint32_t file_stream = stream++;
      auto read = read_text_events(path, [&](std::string_view line) { counter.add(line, file_stream); });
      if (!read) return read.error();
      ++report.files;
      if (read->encoding != TextEncoding::plain) ++report.files_compressed;
      if (read->truncated)
        report.warnings.push_back(
            fmt::format("{}: the {} data ends in the middle of a stream (a file still being "
                        "written?); the events before the cut were read",
                        path, text_encoding_name(read->encoding)));
    }
    if (paths->empty()) report.warnings.push_back("no files to read under the paths given");
  }
  if (o.kafka) {
    const uint32_t first_stream = stream;
    auto read = read_kafka_topic(*o.kafka, [&](int32_t partition, std::string_view value) {
      counter.add(value, first_stream + static_cast<uint32_t>(partition));
    });
    if (!read) return read.error();
    report.partitions = read->partitions;
  }
  report.connections = ledger.tally();
  return report;
}

std::string format_verify_text(const VerifyReport& r) {
  std::string out;
  std::vector<std::string> sources;
  if (r.files || r.partitions == 0)
    sources.push_back(fmt::format("{} file{} ({} compressed)", group_thousands(r.files), r.files == 1 ? "" : "s",
                                  group_thousands(r.files_compressed)));
  if (r.partitions) sources.push_back(fmt::format("{} Kafka partition{}", r.partitions, r.partitions == 1 ? "" : "s"));
  out += fmt::format("verify: {}, {} events read, {} without a conn=/seq= marker\n", fmt::join(sources, " and "),
                     group_thousands(r.events_read), group_thousands(r.without_marker));
  out += fmt::format("{:<6}{:>14}{:>14}{:>14}{:>12}{:>12}{:>14}{:>12}\n", "conn", "expected", "received", "unique",
                     "lost", "duplicates", "out-of-order", "unexpected");
  for (const ConnectionTally& t : r.connections) out += text_row(fmt::format("{:03}", t.conn), t, r.expectation);
  const ConnectionTally total = r.total();
  out += text_row("total", total, r.expectation);
  for (const ConnectionTally& t : r.connections)
    if (t.lost) out += fmt::format("conn {:03} missing: {}\n", t.conn, format_ranges(t));
  for (const std::string& w : r.warnings) out += fmt::format("warning: {}\n", w);
  if (!r.expectation) out += "(no expectation given: events lost after a connection's highest number cannot be seen)\n";
  out += total.lost ? fmt::format("result: {} event{} LOST\n", group_thousands(total.lost), total.lost == 1 ? "" : "s")
                    : std::string("result: nothing lost\n");
  return out;
}

std::string format_verify_json(const VerifyReport& r) {
  std::string connections = "[";
  for (const ConnectionTally& t : r.connections) {
    if (connections.size() > 1) connections += ',';
    std::string ranges = "[";
    for (const SeqRange& range : t.lost_ranges) {
      if (ranges.size() > 1) ranges += ',';
      ranges += fmt::format("[{},{}]", range.first, range.last);
    }
    ranges += ']';
    connections +=
        fmt::format("{{\"conn\":{},{},\"lost_ranges\":{}}}", t.conn, json_tally_fields(t, r.expectation), ranges);
  }
  connections += ']';
  return fmt::format(
      "{{\"files\":{},\"files_compressed\":{},\"partitions\":{},\"events_read\":{},\"without_marker\":{},"
      "\"total\":{{{}}},\"connections\":{},\"warnings\":{}}}\n",
      r.files, r.files_compressed, r.partitions, r.events_read, r.without_marker,
      json_tally_fields(r.total(), r.expectation), connections, json_string_array(r.warnings));
}

int run_verify(std::span<const std::string_view> args) {
  auto command = parse_verify_options(args);
  if (!command) {
    fmt::print(stderr, "sluice-bench verify: {}\nTry 'sluice-bench verify --help'.\n", command.error().message);
    return 2;
  }
  if (command->help) {
    fmt::print("{}", verify_usage());
    return 0;
  }
  auto report = verify_inputs(command->options);
  if (!report) {
    fmt::print(stderr, "sluice-bench verify: {}\n", report.error().message);
    return 3;
  }
  fmt::print("{}", command->options.json ? format_verify_json(report.value()) : format_verify_text(report.value()));
  std::fflush(stdout);
  return report->total().lost ? 1 : 0;
}

}  // namespace sluice::bench
