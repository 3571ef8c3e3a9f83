#include "tests/support/kafka_mock_command.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "base/ascii.h"

namespace sluice::testing::kafka_mock {
namespace {

struct ApiKeyName {
  int16_t key;
  const char* name;
};

// The request types whose handlers in librdkafka 2.0.2's mock broker
// (src/rdkafka_mock_handlers.c) consult the injected-error stacks. Metadata is served but
// ignores them: there, topic-error is the tool.
constexpr std::array<ApiKeyName, 16> injectable_api_keys{{
    {0, "Produce"},
    {1, "Fetch"},
    {2, "ListOffsets"},
    {8, "OffsetCommit"},
    {9, "OffsetFetch"},
    {10, "FindCoordinator"},
    {11, "JoinGroup"},
    {12, "Heartbeat"},
    {13, "LeaveGroup"},
    {14, "SyncGroup"},
    {18, "ApiVersion"},
    {22, "InitProducerId"},
    {24, "AddPartitionsToTxn"},
    {25, "AddOffsetsToTxn"},
    {26, "EndTxn"},
    {28, "TxnOffsetCommit"},
}};
constexpr int16_t metadata_api_key = 3;

struct ErrorAlias {
  const char* name;
  rd_kafka_resp_err_t code;
};
// Names newer Kafka versions (and the Java client) use for codes librdkafka 2.0.2 names otherwise.
constexpr std::array<ErrorAlias, 3> error_aliases{{
    {"NOT_LEADER_OR_FOLLOWER", RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION},
    {"UNKNOWN_TOPIC_OR_PARTITION", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
    {"MESSAGE_TOO_LARGE", RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE},
}};

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// A whole-token decimal integer in [min, max].
template <typename Int>
std::optional<Int> parse_int(std::string_view text, Int min, Int max) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

Result<int32_t> parse_broker_id(std::string_view text, int broker_count, bool allow_all) {
  if (allow_all && base::equals_ignoring_case(text, "all")) return all_brokers;
  if (auto id = parse_int<int32_t>(text, 1, broker_count)) return *id;
  return make_error(
      fmt::format("bad broker id '{}': brokers are 1..{}{}", text, broker_count, allow_all ? " (or 'all')" : ""));
}

Result<int> parse_rtt_ms(std::string_view text) {
  if (auto ms = parse_int<int>(text, 0, rtt_ms_max)) return *ms;
  return make_error(fmt::format("bad round-trip time '{}': milliseconds 0..{}", text, rtt_ms_max));
}

Result<int> parse_partition_count(std::string_view text) {
  if (auto n = parse_int<int>(text, 1, partitions_max)) return *n;
  return make_error(fmt::format("bad partition count '{}': 1..{}", text, partitions_max));
}

Result<int> parse_replication(std::string_view text, int broker_count) {
  if (auto n = parse_int<int>(text, 1, broker_count)) return *n;
  return make_error(fmt::format("bad replication factor '{}': 1..{} (the number of brokers)", text, broker_count));
}

// Kafka's rule: 1..249 of [a-zA-Z0-9._-], not "." or "..".
Result<std::string> parse_topic_name(std::string_view text) {
  bool legal = !text.empty() && text.size() <= topic_name_bytes_max && text != "." && text != ".." &&
               std::all_of(text.begin(), text.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
               });
  if (!legal)
    return make_error(fmt::format("bad topic name '{}': 1..{} of [a-zA-Z0-9._-]", text, topic_name_bytes_max));
  return std::string(text);
}

Status expect_args(std::string_view verb, const std::vector<std::string_view>& words, size_t count,
                   std::string_view synopsis) {
  if (words.size() != count + 1)
    return make_error(fmt::format("{} takes {} argument{}: {}", verb, count, count == 1 ? "" : "s", synopsis));
  return {};
}

Result<Command> parse_broker_push_errors(const std::vector<std::string_view>& words, int broker_count) {
  constexpr std::string_view synopsis = "broker-push-errors ID APIKEY ERR[@RTT_MS]...";
  if (words.size() < 4) return make_error(fmt::format("usage: {}", synopsis));
  if (words.size() - 3 > errors_per_command_max)
    return make_error(fmt::format("at most {} errors per command", errors_per_command_max));
  auto id = parse_broker_id(words[1], broker_count, false);
  if (!id) return id.error();
  auto key = parse_api_key(words[2]);
  if (!key) return key.error();
  BrokerPushErrors cmd{id.value(), key.value(), {}};
  for (size_t i = 3; i < words.size(); ++i) {
    std::string_view word = words[i];
    int rtt_ms = 0;
    if (size_t at = word.find('@'); at != std::string_view::npos) {
      auto rtt = parse_rtt_ms(word.substr(at + 1));
      if (!rtt) return rtt.error();
      rtt_ms = rtt.value();
      word = word.substr(0, at);
    }
    auto err = parse_error_code(word);
    if (!err) return err.error();
    cmd.errors.push_back({err.value(), rtt_ms});
  }
  return Command(std::move(cmd));
}

}  // namespace

Result<rd_kafka_resp_err_t> parse_error_code(std::string_view text) {
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  auto acceptable = [](rd_kafka_resp_err_t code) -> Status {
    if (code < 0 && code != RD_KAFKA_RESP_ERR__TRANSPORT)
      return make_error(
          fmt::format("{} is a librdkafka-local error: a broker can only send Kafka error codes "
                      "(>= 0) or drop the connection (_TRANSPORT)",
                      rd_kafka_err2name(code)));
    return {};
  };
  if (auto number = parse_int<int>(text, std::numeric_limits<int>::min(), std::numeric_limits<int>::max())) {
    for (size_t i = 0; i < count; ++i) {
      if (descs[i].name && descs[i].code == *number) {
        if (auto ok = acceptable(descs[i].code); !ok) return make_error(ok.message());
        return descs[i].code;
      }
    }
    return make_error(fmt::format("unknown error code {}", text));
  }
  std::string_view name = text;
  constexpr std::string_view prefix = "RD_KAFKA_RESP_ERR_";
  if (name.size() > prefix.size() && base::equals_ignoring_case(name.substr(0, prefix.size()), prefix))
    name.remove_prefix(prefix.size());
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name && base::equals_ignoring_case(name, descs[i].name)) {
      if (auto ok = acceptable(descs[i].code); !ok) return make_error(ok.message());
      return descs[i].code;
    }
  }
  for (const auto& alias : error_aliases)
    if (base::equals_ignoring_case(name, alias.name)) return alias.code;
  return make_error(
      fmt::format("unknown error '{}': use a Kafka error name such as NOT_LEADER_FOR_PARTITION, "
                  "REQUEST_TIMED_OUT, _TRANSPORT, or its number",
                  text));
}

Result<int16_t> parse_api_key(std::string_view text) {
  std::optional<int16_t> key;
  if (auto number = parse_int<int16_t>(text, 0, 1000)) {
    key = *number;
  } else {
    for (const auto& api : injectable_api_keys)
      if (base::equals_ignoring_case(text, api.name)) key = api.key;
    if (base::equals_ignoring_case(text, "ApiVersions")) key = 18;  // Kafka's spelling
    if (base::equals_ignoring_case(text, "Metadata")) key = metadata_api_key;
  }
  if (key == metadata_api_key)
    return make_error(
        "Metadata requests ignore injected errors in librdkafka 2.0.2's mock broker: "
        "use topic-error to fail a topic's metadata");
  if (key) {
    for (const auto& api : injectable_api_keys)
      if (api.key == *key) return *key;
  }
  std::string known;
  for (const auto& api : injectable_api_keys)
    known += fmt::format("{}{}({})", known.empty() ? "" : " ", api.name, api.key);
  return make_error(
      fmt::format("request type '{}' does not take injected errors in the mock broker; these do: {}", text, known));
}

std::string api_key_name(int16_t api_key) {
  for (const auto& api : injectable_api_keys)
    if (api.key == api_key) return api.name;
  return fmt::format("ApiKey{}", api_key);
}

Result<TopicCreate> parse_topic_spec(std::string_view spec, int broker_count) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < 4) {
    size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string_view::npos ? spec.npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3)
    return make_error(fmt::format("bad topic '{}': NAME:PARTITIONS[:REPLICATION]", spec));
  auto name = parse_topic_name(parts[0]);
  if (!name) return name.error();
  auto partitions = parse_partition_count(parts[1]);
  if (!partitions) return partitions.error();
  int replication = std::min(3, broker_count);
  if (parts.size() == 3) {
    auto r = parse_replication(parts[2], broker_count);
    if (!r) return r.error();
    replication = r.value();
  }
  return TopicCreate{std::move(name).value(), partitions.value(), replication};
}

Result<Command> parse_command(std::string_view line, int broker_count) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > line_bytes_max) return make_error(fmt::format("line longer than {} bytes", line_bytes_max));
  auto words = split_words(line);
  if (words.empty()) return make_error("empty command");
  std::string_view verb = words[0];

  if (verb == "broker-down" || verb == "broker-up") {
    if (auto ok = expect_args(verb, words, 1, fmt::format("{} ID", verb)); !ok) return make_error(ok.message());
    auto id = parse_broker_id(words[1], broker_count, false);
    if (!id) return id.error();
    if (verb == "broker-down") return Command(BrokerDown{id.value()});
    return Command(BrokerUp{id.value()});
  }
  if (verb == "all-down" || verb == "all-up") {
    if (auto ok = expect_args(verb, words, 0, std::string(verb)); !ok) return make_error(ok.message());
    if (verb == "all-down") return Command(BrokerDown{all_brokers});
    return Command(BrokerUp{all_brokers});
  }
  if (verb == "rtt") {
    if (auto ok = expect_args(verb, words, 2, "rtt ID|all MS"); !ok) return make_error(ok.message());
    auto id = parse_broker_id(words[1], broker_count, true);
    if (!id) return id.error();
    auto ms = parse_rtt_ms(words[2]);
    if (!ms) return ms.error();
    return Command(SetRtt{id.value(), ms.value()});
  }
  if (verb == "topic-create") {
    if (auto ok = expect_args(verb, words, 3, "topic-create NAME PARTITIONS REPLICATION"); !ok)
      return make_error(ok.message());
    auto name = parse_topic_name(words[1]);
    if (!name) return name.error();
    auto partitions = parse_partition_count(words[2]);
    if (!partitions) return partitions.error();
    auto replication = parse_replication(words[3], broker_count);
    if (!replication) return replication.error();
    return Command(TopicCreate{std::move(name).value(), partitions.value(), replication.value()});
  }
  if (verb == "topic-error") {
    if (auto ok = expect_args(verb, words, 2, "topic-error NAME ERR (NO_ERROR clears)"); !ok)
      return make_error(ok.message());
    auto name = parse_topic_name(words[1]);
    if (!name) return name.error();
    auto err = parse_error_code(words[2]);
    if (!err) return err.error();
    if (err.value() == RD_KAFKA_RESP_ERR__TRANSPORT)
      return make_error("_TRANSPORT is not a topic error: use push-errors to drop connections");
    return Command(TopicError{std::move(name).value(), err.value()});
  }
  if (verb == "push-errors") {
    if (words.size() < 3) return make_error("usage: push-errors APIKEY ERR...");
    if (words.size() - 2 > errors_per_command_max)
      return make_error(fmt::format("at most {} errors per command", errors_per_command_max));
    auto key = parse_api_key(words[1]);
    if (!key) return key.error();
    PushErrors cmd{key.value(), {}};
    for (size_t i = 2; i < words.size(); ++i) {
      auto err = parse_error_code(words[i]);
      if (!err) return err.error();
      cmd.errors.push_back(err.value());
    }
    return Command(std::move(cmd));
  }
  if (verb == "broker-push-errors") return parse_broker_push_errors(words, broker_count);
  if (verb == "clear-errors") {
    if (auto ok = expect_args(verb, words, 1, "clear-errors APIKEY"); !ok) return make_error(ok.message());
    auto key = parse_api_key(words[1]);
    if (!key) return key.error();
    return Command(ClearErrors{key.value()});
  }
  if (verb == "broker-error-count") {
    if (auto ok = expect_args(verb, words, 2, "broker-error-count ID APIKEY"); !ok) return make_error(ok.message());
    auto id = parse_broker_id(words[1], broker_count, false);
    if (!id) return id.error();
    auto key = parse_api_key(words[2]);
    if (!key) return key.error();
    return Command(BrokerErrorCount{id.value(), key.value()});
  }
  if (verb == "leader") {
    if (auto ok = expect_args(verb, words, 3, "leader TOPIC PARTITION BROKERID|none"); !ok)
      return make_error(ok.message());
    auto name = parse_topic_name(words[1]);
    if (!name) return name.error();
    auto partition = parse_int<int32_t>(words[2], 0, partitions_max - 1);
    if (!partition) return make_error(fmt::format("bad partition '{}': 0..{}", words[2], partitions_max - 1));
    int32_t broker_id = no_leader;
    if (!base::equals_ignoring_case(words[3], "none") && words[3] != "-1") {
      auto id = parse_broker_id(words[3], broker_count, false);
      if (!id) return make_error(id.error().message + " (or 'none')");
      broker_id = id.value();
    }
    return Command(SetLeader{std::move(name).value(), *partition, broker_id});
  }
  if (verb == "ping") {
    if (auto ok = expect_args(verb, words, 0, "ping"); !ok) return make_error(ok.message());
    return Command(Ping{});
  }
  if (verb == "quit") {
    if (auto ok = expect_args(verb, words, 0, "quit"); !ok) return make_error(ok.message());
    return Command(Quit{});
  }
  return make_error(fmt::format("unknown command '{}' (see kafka-mock-cluster --help)", verb.substr(0, 64)));
}

Result<Options> parse_options(const std::vector<std::string_view>& args) {
  Options options;
  std::vector<std::string_view> topic_specs;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view value;
    bool has_inline_value = false;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    auto take_value = [&]() -> Result<std::string_view> {
      if (has_inline_value) return value;
      if (i + 1 >= args.size()) return make_error(fmt::format("{} needs a value", arg));
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--no-stdin") {
      options.read_stdin = false;
    } else if (arg == "--brokers") {
      auto v = take_value();
      if (!v) return v.error();
      auto n = parse_int<int>(v.value(), 1, brokers_max);
      if (!n) return make_error(fmt::format("bad --brokers '{}': 1..{}", v.value(), brokers_max));
      options.brokers = *n;
    } else if (arg == "--topic") {
      auto v = take_value();
      if (!v) return v.error();
      if (topic_specs.size() == topics_max) return make_error(fmt::format("at most {} topics", topics_max));
      topic_specs.push_back(v.value());
    } else if (arg == "--port-file") {
      auto v = take_value();
      if (!v) return v.error();
      if (v.value().empty()) return make_error("--port-file needs a path");
      options.port_file = std::string(v.value());
    } else if (arg == "--debug") {
      auto v = take_value();
      if (!v) return v.error();
      options.debug = std::string(v.value());
    } else {
      return make_error(fmt::format("unknown argument '{}' (see --help)", arg));
    }
  }
  for (std::string_view spec : topic_specs) {
    auto topic = parse_topic_spec(spec, options.brokers);
    if (!topic) return make_error("--topic: " + topic.error().message);
    for (const auto& t : options.topics)
      if (t.topic == topic->topic) return make_error(fmt::format("--topic: '{}' given twice", t.topic));
    options.topics.push_back(std::move(topic).value());
  }
  return options;
}

const char* const usage_text = R"(usage: kafka-mock-cluster [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION]]...
                          [--port-file PATH] [--no-stdin] [--debug CONTEXTS]

Runs librdkafka's mock Kafka cluster (rd_kafka_mock_cluster_new): N brokers (default 3, ids
1..N) that speak the Kafka protocol on 127.0.0.1 ports chosen by the kernel. Prints
"bootstrap=127.0.0.1:PORT,..." (brokers in id order) as its first line on stdout, and writes the
same line to --port-file if given. Serves until stdin is closed (unless --no-stdin), a quit
command, SIGTERM or SIGINT; exits 0 then, 1 if the cluster cannot start, 2 on bad arguments.

Control commands, one per line on stdin, each answered by one line "ok ..." or "error ...":
  broker-down ID | broker-up ID     close a broker's connections and refuse new ones / listen again
  all-down | all-up                 the same for every broker
  rtt ID|all MS                     delay every response of the broker(s) by MS milliseconds
  topic-create NAME PARTITIONS REPLICATION
  topic-error NAME ERR              Metadata answers ERR for the topic (NO_ERROR clears)
  push-errors APIKEY ERR...         the next requests of APIKEY, on any broker, fail in order
  broker-push-errors ID APIKEY ERR[@MS]...
                                    the same on one broker; @MS also delays that response
                                    (NO_ERROR@MS only delays)
  clear-errors APIKEY               forget what push-errors queued and was not used yet
  broker-error-count ID APIKEY      answers "ok N": N of broker-push-errors' errors are still unused
  leader TOPIC PARTITION ID|none    move a partition's leader (none: leader-less)
  ping                              answers "ok pong"
  quit                              stops the cluster and exits
ERR is a Kafka error name (REQUEST_TIMED_OUT, NOT_LEADER_FOR_PARTITION, LEADER_NOT_AVAILABLE,
UNKNOWN_TOPIC_OR_PART, TOPIC_AUTHORIZATION_FAILED, MSG_SIZE_TOO_LARGE, NOT_ENOUGH_REPLICAS...),
_TRANSPORT (the broker drops the connection instead of answering) or a number. APIKEY is a
request type (Produce, Fetch, InitProducerId, ...) or its number.

What librdkafka 2.0.2's mock does not do: replicate (every partition has one log, held by the
cluster; the replication factor is not modelled), move leaders when a broker goes down, check
idempotent producers' sequence numbers (only transactional ones': a request an idempotent
producer resends after a lost response is stored twice), take injected errors on Metadata
requests, or keep more than 5 MiB per partition (older message sets are dropped). More in
tests/support/kafka_harness.py.
)";

}  // namespace sluice::testing::kafka_mock
