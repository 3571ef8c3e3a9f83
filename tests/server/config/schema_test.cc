#include "server/config/schema.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "server/app/components/component_type.h"

namespace sluice::config {
namespace {

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;

const OptionSpec& option_of(ComponentKind kind, std::string_view type, std::string_view name) {
  const ComponentSpec* spec = app::component_catalog().find(kind, type);
  EXPECT_NE(spec, nullptr) << type;
  const OptionSpec* o = find_option(kind, spec, name);
  EXPECT_NE(o, nullptr) << name;
  return *o;
}

std::string value_error(const OptionSpec& o, std::string_view text) {
  Result<OptionValue> r = parse_option_value(o, text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? std::string("(parsed)") : r.error().message;
}

template <typename T>
T value_of(const OptionSpec& o, std::string_view text) {
  Result<OptionValue> r = parse_option_value(o, text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(r.value()));
  return std::holds_alternative<T>(r.value()) ? std::get<T>(r.value()) : T{};
}

TEST(Schema, Integers) {
  EXPECT_EQ(parse_integer("0").value(), 0);
  EXPECT_EQ(parse_integer("42").value(), 42);
  EXPECT_EQ(parse_integer("-7").value(), -7);
  EXPECT_EQ(parse_integer("+3").value(), 3);
  EXPECT_EQ(parse_integer("9223372036854775807").value(), INT64_MAX);
  for (std::string_view bad : {"", "-", "abc", "1.5", "12k", "1 2", " 1", "0x10", "9223372036854775808"}) {
    Result<int64_t> r = parse_integer(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, fmt::format("expected an integer, got '{}'", bad));
  }
}

TEST(Schema, Bytes) {
  EXPECT_EQ(parse_bytes("65536").value(), 65536);
  EXPECT_EQ(parse_bytes("0").value(), 0);
  for (std::string_view s : {"64k", "64K", "64kb", "64KB", "64KiB", "64kib", "64 k", "64 KiB"}) {
    EXPECT_EQ(parse_bytes(s).value(), 64 * kKiB) << s;
  }
  for (std::string_view s : {"16m", "16M", "16MB", "16MiB"}) EXPECT_EQ(parse_bytes(s).value(), 16 * kMiB) << s;
  for (std::string_view s : {"2g", "2G", "2GB", "2GiB"}) EXPECT_EQ(parse_bytes(s).value(), 2 * kGiB) << s;
  EXPECT_EQ(parse_bytes("1t").value(), 1024 * kGiB);
  EXPECT_EQ(parse_bytes("100b").value(), 100);
  EXPECT_EQ(parse_bytes("100B").value(), 100);
  for (std::string_view bad : {"", "k", "64x", "-1", "1.5m", "64kk", "64 k b", "99999999999t", "64mi"}) {
    Result<int64_t> r = parse_bytes(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, fmt::format("expected a size in bytes such as 65536, 64k or 16m, got '{}'", bad));
  }
}

TEST(Schema, Durations) {
  EXPECT_EQ(parse_duration_ms("30", DurationUnit::seconds).value(), 30'000);
  EXPECT_EQ(parse_duration_ms("30", DurationUnit::milliseconds).value(), 30);
  EXPECT_EQ(parse_duration_ms("2", DurationUnit::minutes).value(), 120'000);
  EXPECT_EQ(parse_duration_ms("0", DurationUnit::seconds).value(), 0);
  EXPECT_EQ(parse_duration_ms("30s", DurationUnit::milliseconds).value(), 30'000);
  EXPECT_EQ(parse_duration_ms("30S", DurationUnit::milliseconds).value(), 30'000);
  EXPECT_EQ(parse_duration_ms("500ms", DurationUnit::seconds).value(), 500);
  EXPECT_EQ(parse_duration_ms("500MS", DurationUnit::seconds).value(), 500);
  EXPECT_EQ(parse_duration_ms("5m", DurationUnit::seconds).value(), 300'000);
  EXPECT_EQ(parse_duration_ms("1h", DurationUnit::seconds).value(), 3'600'000);
  EXPECT_EQ(parse_duration_ms("10 s", DurationUnit::seconds).value(), 10'000);
  for (std::string_view bad : {"", "s", "30x", "-5", "1.5s", "30sec", "5d", "9223372036854775807s"}) {
    Result<int64_t> r = parse_duration_ms(bad, DurationUnit::seconds);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message,
              fmt::format("expected a duration such as 30 (seconds), 30s, 500ms or 5m, got '{}'", bad));
  }
}

TEST(Schema, Booleans) {
  EXPECT_TRUE(parse_bool("true").value());
  EXPECT_TRUE(parse_bool("TRUE").value());
  EXPECT_FALSE(parse_bool("false").value());
  EXPECT_FALSE(parse_bool("False").value());
  for (std::string_view bad : {"", "yes", "1", "on", "truee"}) {
    Result<bool> r = parse_bool(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, fmt::format("expected true or false, got '{}'", bad));
  }
}

TEST(Schema, Lists) {
  EXPECT_EQ(split_list("  c1   c2\tc3 "), (std::vector<std::string>{"c1", "c2", "c3"}));
  EXPECT_EQ(split_list("one"), (std::vector<std::string>{"one"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list("  \t ").empty());
}

TEST(Schema, IntegerOptionRange) {
  const OptionSpec& port = option_of(ComponentKind::source, "syslogtcp", "port");
  EXPECT_EQ(value_of<int64_t>(port, "1"), 1);
  EXPECT_EQ(value_of<int64_t>(port, "65535"), 65535);
  EXPECT_EQ(value_error(port, "0"), "expected an integer from 1 to 65535, got '0'");
  EXPECT_EQ(value_error(port, "65536"), "expected an integer from 1 to 65535, got '65536'");
  EXPECT_EQ(value_error(port, "http"), "expected an integer from 1 to 65535, got 'http'");
  EXPECT_EQ(value_error(port, ""), "a value is required");
  const OptionSpec& capacity = option_of(ComponentKind::channel, "memory", "capacity");
  EXPECT_EQ(value_error(capacity, "-1"), "expected an integer of at least 0, got '-1'");
}

TEST(Schema, BytesOptionRange) {
  const OptionSpec& tcp = option_of(ComponentKind::source, "syslogtcp", "eventSize");
  EXPECT_EQ(value_of<int64_t>(tcp, "64"), 64);
  EXPECT_EQ(value_of<int64_t>(tcp, "16m"), 16 * kMiB);
  EXPECT_EQ(value_of<int64_t>(tcp, "2500"), 2500);
  EXPECT_EQ(value_error(tcp, "63"), "expected a size in bytes from 64 to 16m (such as 65536, 64k or 16m), got '63'");
  EXPECT_EQ(value_error(tcp, "17m"), "expected a size in bytes from 64 to 16m (such as 65536, 64k or 16m), got '17m'");
  EXPECT_EQ(value_error(tcp, "big"), "expected a size in bytes from 64 to 16m (such as 65536, 64k or 16m), got 'big'");
  const OptionSpec& udp = option_of(ComponentKind::source, "syslogudp", "eventSize");
  EXPECT_EQ(value_of<int64_t>(udp, "65507"), 65507);
  EXPECT_EQ(value_error(udp, "64k"),
            "expected a size in bytes from 64 to 65507 (such as 65536, 64k or 16m), got '64k'");
  const OptionSpec& bytes = option_of(ComponentKind::channel, "memory", "byteCapacity");
  EXPECT_EQ(value_of<int64_t>(bytes, "800000"), 800000);
  EXPECT_EQ(value_error(bytes, "0"), "expected a size in bytes of at least 64k (such as 65536, 64k or 16m), got '0'");
}

TEST(Schema, DurationOption) {
  const OptionSpec& roll = option_of(ComponentKind::sink, "file_roll", "sink.rollInterval");
  EXPECT_EQ(value_of<int64_t>(roll, "30"), 30'000);
  EXPECT_EQ(value_of<int64_t>(roll, "0"), 0);
  EXPECT_EQ(value_of<int64_t>(roll, "500ms"), 500);
  EXPECT_EQ(value_of<int64_t>(roll, "5m"), 300'000);
  EXPECT_EQ(value_error(roll, "-1"),
            "expected a duration (such as 30, 30s, 500ms or 5m; a bare number is in seconds), got '-1'");
}

TEST(Schema, BoolOption) {
  const OptionSpec& o = option_of(ComponentKind::source, "syslogtcp", "syslogHeaders");
  EXPECT_FALSE(value_of<bool>(o, "FALSE"));
  EXPECT_EQ(value_error(o, "yes"), "expected true or false, got 'yes'");
}

TEST(Schema, EnumOptionKeepsTheCanonicalSpelling) {
  const OptionSpec& o = option_of(ComponentKind::sink, "file_roll", "sink.serializer");
  EXPECT_EQ(value_of<std::string>(o, "text"), "TEXT");
  EXPECT_EQ(value_of<std::string>(o, "header_and_text"), "HEADER_AND_TEXT");
  EXPECT_EQ(value_of<std::string>(o, "Json"), "JSON");
  EXPECT_EQ(value_error(o, "xml"), "expected one of TEXT, HEADER_AND_TEXT, JSON, got 'xml'");
  EXPECT_EQ(value_error(o, "avro_event"),
            "'avro_event' is not supported yet (sluice has: TEXT, HEADER_AND_TEXT, JSON)");
}

TEST(Schema, ListOption) {
  const OptionSpec& o = option_of(ComponentKind::source, "syslogtcp", "channels");
  EXPECT_EQ(value_of<std::vector<std::string>>(o, "c1  c2"), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(value_error(o, ""), "a value is required");
}

TEST(Schema, StringOption) {
  const OptionSpec& host = option_of(ComponentKind::source, "syslogtcp", "host");
  EXPECT_EQ(value_of<std::string>(host, "::1"), "::1");
  const OptionSpec& header = option_of(ComponentKind::source, "syslogtcp", "clientIPHeader");
  EXPECT_EQ(value_of<std::string>(header, ""), "");
  const OptionSpec& directory = option_of(ComponentKind::sink, "file_roll", "sink.directory");
  EXPECT_EQ(value_error(directory, ""), "a value is required");
}

TEST(Schema, KeepFields) {
  const OptionSpec& o = option_of(ComponentKind::source, "syslogtcp", "keepFields");
  for (std::string_view good : {"none", "all", "true", "FALSE", "priority", "timestamp hostname",
                                "priority version timestamp hostname", "Hostname"}) {
    EXPECT_EQ(value_of<std::string>(o, good), good);
  }
  for (std::string_view bad : {"", "everything", "all priority", "none hostname", "host"}) {
    EXPECT_EQ(value_error(o, bad),
              fmt::format("expected none, all, or a list of priority, version, timestamp, hostname, got '{}'", bad));
  }
}

TEST(Schema, SinkChannelIsOneName) {
  const OptionSpec& o = option_of(ComponentKind::sink, "null", "channel");
  EXPECT_EQ(value_of<std::string>(o, "c1"), "c1");
  EXPECT_EQ(value_error(o, "c1 c2"), "expected one channel name (a sink reads one channel), got 'c1 c2'");
}

TEST(Schema, Formatting) {
  EXPECT_EQ(format_bytes(0), "0");
  EXPECT_EQ(format_bytes(64), "64");
  EXPECT_EQ(format_bytes(65507), "65507");
  EXPECT_EQ(format_bytes(65536), "64k");
  EXPECT_EQ(format_bytes(16 * kMiB), "16m");
  EXPECT_EQ(format_bytes(3 * kGiB), "3g");
  EXPECT_EQ(format_bytes(1024 * kGiB), "1t");
  EXPECT_EQ(format_bytes(1536 * kKiB), "1536k");
  EXPECT_EQ(format_duration_ms(0), "0");
  EXPECT_EQ(format_duration_ms(1500), "1500ms");
  EXPECT_EQ(format_duration_ms(30'000), "30s");
  EXPECT_EQ(format_duration_ms(300'000), "5m");
  EXPECT_EQ(format_duration_ms(7'200'000), "2h");
}

TEST(Schema, EditDistance) {
  EXPECT_EQ(edit_distance("port", "port"), 0u);
  EXPECT_EQ(edit_distance("prot", "port"), 1u);  // a swap counts once
  EXPECT_EQ(edit_distance("eventsize", "eventSize"), 0u);
  EXPECT_EQ(edit_distance("chanels", "channels"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Schema, TypeNamesIgnoreCaseAndAcceptFlumeClassNames) {
  struct Case {
    ComponentKind kind;
    std::string_view name;
    std::string_view type;
  };
  for (const Case& c : std::vector<Case>{
           {ComponentKind::source, "syslogtcp", "syslogtcp"},
           {ComponentKind::source, "SyslogTCP", "syslogtcp"},
           {ComponentKind::source, "org.apache.flume.source.SyslogTcpSource", "syslogtcp"},
           {ComponentKind::source, "ORG.APACHE.FLUME.SOURCE.SYSLOGTCPSOURCE", "syslogtcp"},
           {ComponentKind::source, "syslogudp", "syslogudp"},
           {ComponentKind::source, "org.apache.flume.source.SyslogUDPSource", "syslogudp"},
           {ComponentKind::channel, "MEMORY", "memory"},
           {ComponentKind::channel, "org.apache.flume.channel.MemoryChannel", "memory"},
           {ComponentKind::sink, "File_Roll", "file_roll"},
           {ComponentKind::sink, "org.apache.flume.sink.RollingFileSink", "file_roll"},
           {ComponentKind::sink, "LOGGER", "logger"},
           {ComponentKind::sink, "org.apache.flume.sink.LoggerSink", "logger"},
           {ComponentKind::sink, "Null", "null"},
           {ComponentKind::sink, "org.apache.flume.sink.NullSink", "null"},
       }) {
    const ComponentSpec* spec = app::component_catalog().find(c.kind, c.name);
    ASSERT_NE(spec, nullptr) << c.name;
    EXPECT_EQ(spec->type, c.type);
    EXPECT_EQ(spec->kind, c.kind);
  }
}

TEST(Schema, UnknownAndNotYetSupportedTypes) {
  EXPECT_EQ(app::component_catalog().find(ComponentKind::source, "multiport_syslogtcp"), nullptr);
  EXPECT_TRUE(is_flume_type_not_supported(ComponentKind::source, "multiport_syslogtcp"));
  EXPECT_EQ(app::component_catalog().find(ComponentKind::sink, "memory"), nullptr);  // kinds do not mix
  EXPECT_EQ(app::component_catalog().find(ComponentKind::source, "syslog"), nullptr);
  EXPECT_FALSE(is_flume_type_not_supported(ComponentKind::source, "syslog"));
  EXPECT_TRUE(is_flume_type_not_supported(ComponentKind::channel, "SpillableMemory"));
  EXPECT_FALSE(is_flume_type_not_supported(ComponentKind::channel, "file"));  // sluice has it
  EXPECT_NE(app::component_catalog().find(ComponentKind::channel, "org.apache.flume.channel.file.FileChannel"),
            nullptr);
  EXPECT_TRUE(is_flume_type_not_supported(ComponentKind::sink, "hbase"));
  EXPECT_TRUE(is_flume_type_not_supported(ComponentKind::sink, "elasticsearch"));
  EXPECT_NE(app::component_catalog().find(ComponentKind::sink, "org.apache.flume.sink.kafka.KafkaSink"), nullptr);
  EXPECT_FALSE(is_flume_type_not_supported(ComponentKind::channel, "hdfs"));
}

TEST(Schema, AliasesFindTheirOption) {
  const ComponentSpec* spec = app::component_catalog().find(ComponentKind::sink, "file_roll");
  ASSERT_NE(spec, nullptr);
  const OptionSpec* by_alias = find_option(ComponentKind::sink, spec, "batchSize");
  ASSERT_NE(by_alias, nullptr);
  EXPECT_EQ(by_alias->name, "sink.batchSize");
  EXPECT_EQ(find_option(ComponentKind::sink, spec, "batchsize"), nullptr);  // keys keep their case
  EXPECT_EQ(find_option(ComponentKind::sink, spec, "type"), nullptr);       // type is not an option
  EXPECT_EQ(find_option(ComponentKind::source, nullptr, "channels")->name, "channels");
}

// The defaults the brief fixes; a change to one of them must be deliberate.
TEST(Schema, DocumentedDefaults) {
  struct Case {
    ComponentKind kind;
    std::string_view type, option, default_value;
    OptionType option_type;
  };
  for (const Case& c : std::vector<Case>{
           {ComponentKind::source, "syslogtcp", "host", "0.0.0.0", OptionType::string},
           {ComponentKind::source, "syslogtcp", "eventSize", "64k", OptionType::bytes},
           {ComponentKind::source, "syslogtcp", "keepFields", "none", OptionType::string},
           {ComponentKind::source, "syslogtcp", "clientIPHeader", "", OptionType::string},
           {ComponentKind::source, "syslogtcp", "syslogHeaders", "true", OptionType::boolean},
           {ComponentKind::source, "syslogtcp", "maxConnections", "10000", OptionType::integer},
           {ComponentKind::source, "syslogtcp", "selector.type", "replicating", OptionType::enumeration},
           {ComponentKind::source, "syslogudp", "eventSize", "65507", OptionType::bytes},  // the largest UDP payload
           {ComponentKind::channel, "memory", "capacity", "0", OptionType::integer},
           {ComponentKind::channel, "memory", "byteCapacity", "256m", OptionType::bytes},
           {ComponentKind::channel, "memory", "segmentSize", "4m", OptionType::bytes},
           {ComponentKind::sink, "file_roll", "sink.rollInterval", "30s", OptionType::duration},
           {ComponentKind::sink, "file_roll", "sink.serializer", "TEXT", OptionType::enumeration},
           {ComponentKind::sink, "file_roll", "sink.batchSize", "1000", OptionType::integer},
           {ComponentKind::sink, "file_roll", "sink.pathManager", "DEFAULT", OptionType::enumeration},
           {ComponentKind::sink, "logger", "maxBytesToLog", "16", OptionType::integer},
           {ComponentKind::sink, "null", "batchSize", "1000", OptionType::integer},
       }) {
    const OptionSpec& o = option_of(c.kind, c.type, c.option);
    EXPECT_EQ(o.default_value, c.default_value) << c.type << " " << c.option;
    EXPECT_EQ(o.type, c.option_type) << c.type << " " << c.option;
    EXPECT_FALSE(o.required) << c.type << " " << c.option;
  }
  EXPECT_TRUE(option_of(ComponentKind::source, "syslogtcp", "port").required);
  EXPECT_TRUE(option_of(ComponentKind::source, "syslogudp", "port").required);
  EXPECT_TRUE(option_of(ComponentKind::source, "syslogudp", "channels").required);
  EXPECT_TRUE(option_of(ComponentKind::sink, "file_roll", "sink.directory").required);
  EXPECT_TRUE(option_of(ComponentKind::sink, "logger", "channel").required);
  const ComponentSpec* udp = app::component_catalog().find(ComponentKind::source, "syslogudp");
  EXPECT_EQ(find_option(ComponentKind::source, udp, "maxConnections"), nullptr);
}

TEST(Schema, EveryTableIsWellFormed) {
  std::set<std::string> seen;
  for (const ComponentSpec* listed : app::component_catalog().specs()) {
    const ComponentSpec& spec = *listed;
    EXPECT_TRUE(seen.insert(fmt::format("{}/{}", kind_name(spec.kind), spec.type)).second) << spec.type;
    EXPECT_FALSE(spec.description.empty()) << spec.type;
    for (const OptionSpec& o : spec.options) {
      EXPECT_FALSE(o.description.empty()) << spec.type << " " << o.name;
      if (!o.required) {
        Result<OptionValue> v = parse_option_value(o, o.default_value);
        EXPECT_TRUE(v.ok()) << spec.type << " " << o.name << ": " << (v.ok() ? "" : v.error().message);
      }
    }
  }
  EXPECT_EQ(seen.size(), app::component_catalog().specs().size());
  EXPECT_GE(seen.size(), 8u);
}

}  // namespace
}  // namespace sluice::config
