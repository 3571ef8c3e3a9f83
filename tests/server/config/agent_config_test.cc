#include "server/config/agent_config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "server/app/components/component_type.h"

namespace sluice::config {
namespace {

// "syslogtcp, syslogudp, ...": the types of a kind as the loader lists them, so that these
// expectations do not change with every new component.
std::string known_types(ComponentKind kind) {
  std::string out;
  for (const ComponentSpec* listed : app::component_catalog().specs()) {
    const ComponentSpec& spec = *listed;
    if (spec.kind != kind) continue;
    if (!out.empty()) out += ", ";
    out += spec.type;
  }
  return out;
}

// The brief's example, one key per line; tests add lines after it (line 11 on) or drop some.
//  1 a1.sources = r1
//  2 a1.channels = c1
//  3 a1.sinks = k1
//  4 a1.sources.r1.type = syslogtcp
//  5 a1.sources.r1.port = 5514
//  6 a1.sources.r1.channels = c1
//  7 a1.channels.c1.type = memory
//  8 a1.sinks.k1.type = file_roll
//  9 a1.sinks.k1.channel = c1
// 10 a1.sinks.k1.sink.directory = /var/log/out
std::vector<std::string> base_lines() {
  return {
      "a1.sources = r1",
      "a1.channels = c1",
      "a1.sinks = k1",
      "a1.sources.r1.type = syslogtcp",
      "a1.sources.r1.port = 5514",
      "a1.sources.r1.channels = c1",
      "a1.channels.c1.type = memory",
      "a1.sinks.k1.type = file_roll",
      "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.sink.directory = /var/log/out",
  };
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// The base config plus `extra` lines (the first of them is line 11).
std::string base_with(std::vector<std::string> extra = {}) {
  std::vector<std::string> lines = base_lines();
  lines.insert(lines.end(), extra.begin(), extra.end());
  return join_lines(lines);
}

// The base config with line `number` (1-based) replaced; an empty replacement keeps the line
// blank so that the other line numbers stay.
std::string base_replacing(int number, std::string replacement) {
  std::vector<std::string> lines = base_lines();
  lines.at(static_cast<size_t>(number - 1)) = std::move(replacement);
  return join_lines(lines);
}

AgentConfig load_ok(const std::string& text, std::string_view agent = "a1") {
  Result<AgentConfig> r = load_agent_config(text, agent, "f.conf", app::component_catalog());
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r.ok()) return AgentConfig{};
  return std::move(r).value();
}

std::string load_error(const std::string& text, std::string_view agent = "a1") {
  Result<AgentConfig> r = load_agent_config(text, agent, "f.conf", app::component_catalog());
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string("(loaded)") : r.error().message;
}

// --- Accepted configurations ---

TEST(AgentConfig, LoadsTheBriefExample) {
  AgentConfig c = load_ok(base_with());
  EXPECT_EQ(c.agent, "a1");
  EXPECT_EQ(c.file_name, "f.conf");
  ASSERT_EQ(c.sources.size(), 1u);
  ASSERT_EQ(c.channels.size(), 1u);
  ASSERT_EQ(c.sinks.size(), 1u);

  const ComponentConfig& r1 = c.sources[0];
  EXPECT_EQ(r1.name(), "r1");
  EXPECT_EQ(r1.kind(), ComponentKind::source);
  EXPECT_EQ(r1.type(), "syslogtcp");
  EXPECT_EQ(&r1.spec(), app::component_catalog().find(ComponentKind::source, "syslogtcp"));
  EXPECT_EQ(r1.line(), 4);
  EXPECT_EQ(r1.get_int("port"), 5514);
  EXPECT_EQ(r1.get_list("channels"), (std::vector<std::string>{"c1"}));

  const ComponentConfig& c1 = c.channels[0];
  EXPECT_EQ(c1.name(), "c1");
  EXPECT_EQ(c1.type(), "memory");
  EXPECT_EQ(c1.line(), 7);

  const ComponentConfig& k1 = c.sinks[0];
  EXPECT_EQ(k1.name(), "k1");
  EXPECT_EQ(k1.type(), "file_roll");
  EXPECT_EQ(k1.get_string("channel"), "c1");
  EXPECT_EQ(k1.get_string("sink.directory"), "/var/log/out");

  EXPECT_EQ(c.find(ComponentKind::sink, "k1"), &c.sinks[0]);
  EXPECT_EQ(c.find(ComponentKind::source, "k1"), nullptr);
}

TEST(AgentConfig, DefaultsAreApplied) {
  AgentConfig c = load_ok(base_with());
  const ComponentConfig& r1 = c.sources[0];
  EXPECT_EQ(r1.get_string("host"), "0.0.0.0");
  EXPECT_EQ(r1.get_bytes("eventSize"), 65536u);
  EXPECT_EQ(r1.get_string("keepFields"), "none");
  EXPECT_EQ(r1.get_string("clientIPHeader"), "");
  EXPECT_TRUE(r1.get_bool("syslogHeaders"));
  EXPECT_EQ(r1.get_int("maxConnections"), 10000);
  EXPECT_EQ(r1.get_enum("selector.type"), "replicating");

  const ComponentConfig& c1 = c.channels[0];
  EXPECT_EQ(c1.get_int("capacity"), 0);
  EXPECT_EQ(c1.get_bytes("byteCapacity"), 256u << 20);
  EXPECT_EQ(c1.get_bytes("segmentSize"), 4u << 20);
  EXPECT_EQ(c1.get_int("transactionCapacity"), 100);
  EXPECT_EQ(c1.get_int("keep-alive"), 3);
  EXPECT_EQ(c1.get_int("byteCapacityBufferPercentage"), 20);

  const ComponentConfig& k1 = c.sinks[0];
  EXPECT_EQ(k1.get_duration_ms("sink.rollInterval"), 30'000);
  EXPECT_EQ(k1.get_enum("sink.serializer"), "TEXT");
  EXPECT_EQ(k1.get_int("sink.batchSize"), 1000);
  EXPECT_EQ(k1.get_int("batchSize"), 1000);  // by alias
  EXPECT_EQ(k1.get_enum("sink.pathManager"), "DEFAULT");
  EXPECT_EQ(k1.get_string("sink.pathManager.prefix"), "");
  EXPECT_EQ(k1.get_string("sink.pathManager.extension"), "");
}

TEST(AgentConfig, WhereEachValueCameFrom) {
  AgentConfig c = load_ok(base_with({"a1.sources.r1.eventSize = 2500"}));
  const ComponentConfig& r1 = c.sources[0];
  EXPECT_TRUE(r1.is_set("port"));
  EXPECT_EQ(r1.line_of("port"), 5);
  EXPECT_TRUE(r1.is_set("eventSize"));
  EXPECT_EQ(r1.line_of("eventSize"), 11);
  EXPECT_EQ(r1.get_bytes("eventSize"), 2500u);
  EXPECT_FALSE(r1.is_set("host"));
  EXPECT_EQ(r1.line_of("host"), 0);
  EXPECT_EQ(r1.key_of("port"), "a1.sources.r1.port");
  EXPECT_EQ(r1.locate("port"), "f.conf: line 5: a1.sources.r1.port");
  EXPECT_EQ(r1.locate("host"), "f.conf: a1.sources.r1.host (default)");
  EXPECT_EQ(c.sinks[0].locate("batchSize"), "f.conf: a1.sinks.k1.sink.batchSize (default)");
}

TEST(AgentConfig, EveryTypeOfValue) {
  AgentConfig c = load_ok(base_with({
      "a1.sources.r1.host = 127.0.0.1",       // string
      "a1.sources.r1.maxConnections = 64",    // int
      "a1.sources.r1.eventSize = 16KiB",      // bytes
      "a1.sources.r1.syslogHeaders = FALSE",  // bool
      "a1.sources.r1.keepFields = timestamp hostname",
      "a1.sources.r1.clientIPHeader = client",
      "a1.sources.r1.selector.type = Replicating",  // enum
      "a1.sinks.k1.sink.rollInterval = 500ms",      // duration
      "a1.sinks.k1.sink.serializer = header_and_text",
      "a1.sinks.k1.sink.pathManager.prefix = events-",
      "a1.sinks.k1.sink.pathManager.extension = log",
      "a1.channels.c1.byteCapacity = 1g",
      "a1.channels.c1.capacity = 1000000",
  }));
  const ComponentConfig& r1 = c.sources[0];
  EXPECT_EQ(r1.get_string("host"), "127.0.0.1");
  EXPECT_EQ(r1.get_int("maxConnections"), 64);
  EXPECT_EQ(r1.get_bytes("eventSize"), 16384u);
  EXPECT_FALSE(r1.get_bool("syslogHeaders"));
  EXPECT_EQ(r1.get_string("keepFields"), "timestamp hostname");
  EXPECT_EQ(r1.get_string("clientIPHeader"), "client");
  EXPECT_EQ(r1.get_enum("selector.type"), "replicating");
  const ComponentConfig& k1 = c.sinks[0];
  EXPECT_EQ(k1.get_duration_ms("sink.rollInterval"), 500);
  EXPECT_EQ(k1.get_enum("sink.serializer"), "HEADER_AND_TEXT");
  EXPECT_EQ(k1.get_string("sink.pathManager.prefix"), "events-");
  EXPECT_EQ(k1.get_string("sink.pathManager.extension"), "log");
  EXPECT_EQ(c.channels[0].get_bytes("byteCapacity"), 1ull << 30);
  EXPECT_EQ(c.channels[0].get_int("capacity"), 1000000);
}

TEST(AgentConfig, FlumeRollIntervalIsInSeconds) {
  AgentConfig c = load_ok(base_with({"a1.sinks.k1.sink.rollInterval = 0"}));
  EXPECT_EQ(c.sinks[0].get_duration_ms("sink.rollInterval"), 0);
  c = load_ok(base_with({"a1.sinks.k1.sink.rollInterval = 300"}));
  EXPECT_EQ(c.sinks[0].get_duration_ms("sink.rollInterval"), 300'000);
}

TEST(AgentConfig, BatchSizeAliasOfFileRoll) {
  AgentConfig c = load_ok(base_with({"a1.sinks.k1.batchSize = 500"}));
  EXPECT_EQ(c.sinks[0].get_int("sink.batchSize"), 500);
  EXPECT_EQ(c.sinks[0].line_of("sink.batchSize"), 11);
}

TEST(AgentConfig, ComponentsComeInTheOrderOfTheList) {
  AgentConfig c = load_ok(join_lines({
      "a1.sources = tcp udp",
      "a1.channels = c1",
      "a1.sinks = b a",
      "a1.sinks.a.type = null",
      "a1.sinks.a.channel = c1",
      "a1.sinks.b.type = logger",
      "a1.sinks.b.channel = c1",
      "a1.sources.udp.type = syslogudp",
      "a1.sources.udp.port = 5514",
      "a1.sources.udp.channels = c1",
      "a1.sources.tcp.type = syslogtcp",
      "a1.sources.tcp.port = 5514",
      "a1.sources.tcp.channels = c1",
      "a1.channels.c1.type = memory",
  }));
  ASSERT_EQ(c.sources.size(), 2u);
  EXPECT_EQ(c.sources[0].name(), "tcp");
  EXPECT_EQ(c.sources[1].name(), "udp");
  ASSERT_EQ(c.sinks.size(), 2u);
  EXPECT_EQ(c.sinks[0].name(), "b");
  EXPECT_EQ(c.sinks[1].name(), "a");
}

TEST(AgentConfig, TypeNamesIgnoreCaseAndFlumeClassNamesWork) {
  AgentConfig c = load_ok(join_lines({
      "a1.sources = r1 r2",
      "a1.channels = c1",
      "a1.sinks = k1 k2 k3",
      "a1.sources.r1.type = org.apache.flume.source.SyslogTcpSource",
      "a1.sources.r1.port = 5140",
      "a1.sources.r1.channels = c1",
      "a1.sources.r2.type = SYSLOGUDP",
      "a1.sources.r2.port = 5140",
      "a1.sources.r2.channels = c1",
      "a1.channels.c1.type = org.apache.flume.channel.MemoryChannel",
      "a1.sinks.k1.type = org.apache.flume.sink.RollingFileSink",
      "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.sink.directory = /tmp/out",
      "a1.sinks.k2.type = org.apache.flume.sink.LoggerSink",
      "a1.sinks.k2.channel = c1",
      "a1.sinks.k3.type = Null",
      "a1.sinks.k3.channel = c1",
  }));
  EXPECT_EQ(c.sources[0].type(), "syslogtcp");
  EXPECT_EQ(c.sources[1].type(), "syslogudp");
  EXPECT_EQ(c.channels[0].type(), "memory");
  EXPECT_EQ(c.sinks[0].type(), "file_roll");
  EXPECT_EQ(c.sinks[1].type(), "logger");
  EXPECT_EQ(c.sinks[2].type(), "null");
  EXPECT_EQ(c.sinks[1].get_int("maxBytesToLog"), 16);
  EXPECT_EQ(c.sinks[2].get_int("batchSize"), 1000);
}

TEST(AgentConfig, OtherAgentsInTheFileAreIgnored) {
  std::string text = join_lines({
      "# agent a1 is broken on purpose: loading a2 must not care",
      "a1.sources = r1",
      "a1.sources.r1.type = thrift",
      "a1.sources.r1.port = not-a-port",
      "a2.sources = s",
      "a2.channels = c",
      "a2.sinks = k",
      "a2.sources.s.type = syslogudp",
      "a2.sources.s.port = 514",
      "a2.sources.s.channels = c",
      "a2.channels.c.type = memory",
      "a2.sinks.k.type = logger",
      "a2.sinks.k.channel = c",
  });
  AgentConfig c = load_ok(text, "a2");
  EXPECT_EQ(c.agent, "a2");
  ASSERT_EQ(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].get_int("port"), 514);
  EXPECT_EQ(c.sources[0].key_of("port"), "a2.sources.s.port");
  EXPECT_EQ(c.sources[0].line(), 8);
  // And the other way round, a1's errors are a1's.
  EXPECT_EQ(
      load_error(text, "a1"),
      "f.conf: agent 'a1' has no a1.channels line (the list of its channels)\nf.conf: agent 'a1' has no a1.sinks line (the list of its sinks)\nf.conf: line 3: a1.sources.r1.type: source type 'thrift' is not supported yet (sluice has: " +
          known_types(ComponentKind::source) + ")");
}

TEST(AgentConfig, AgentNamesArePrefixesNotSubstrings) {
  std::string text = base_with();
  for (size_t p = text.find("a1."); p != std::string::npos; p = text.find("a1.", p + 4)) text.replace(p, 3, "a10.");
  EXPECT_EQ(load_error(text, "a1"), "f.conf: no agent 'a1' in the file (agents found: a10)");
  EXPECT_EQ(load_ok(text, "a10").sources.size(), 1u);
}

// The user guide's examples for these component types, combined into one agent as a Flume user
// would bring them (comments, continuation lines and the guide's values included).
TEST(AgentConfig, AcceptsARealisticFlumeConfig) {
  std::string text = R"(# example.conf: syslog in, files and a logger out
# Name the components on this agent
a1.sources = r1 r2
a1.sinks = k1 k2 k3
a1.channels = c1 \
              c2

# Syslog TCP source, from the user guide
a1.sources.r1.type = syslogtcp
a1.sources.r1.port = 5140
a1.sources.r1.host = localhost
a1.sources.r1.channels = c1 c2
a1.sources.r1.keepFields = true
a1.sources.r1.eventSize = 2500
a1.sources.r1.selector.type = replicating

# Syslog UDP source
a1.sources.r2.type = syslogudp
a1.sources.r2.port = 5140
a1.sources.r2.host = localhost
a1.sources.r2.channels = c1
a1.sources.r2.keepFields = false
a1.sources.r2.clientIPHeader = clientIp

# Memory channel, from the user guide
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 10000
a1.channels.c1.byteCapacityBufferPercentage = 20
a1.channels.c1.byteCapacity = 800000
a1.channels.c2.type = memory
a1.channels.c2.keep-alive = 3

# File roll sink
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = /var/log/flume
a1.sinks.k1.sink.rollInterval = 60
a1.sinks.k1.sink.serializer = TEXT
a1.sinks.k1.sink.batchSize = 100
a1.sinks.k1.sink.pathManager = DEFAULT
a1.sinks.k1.sink.pathManager.prefix = syslog-
a1.sinks.k1.sink.pathManager.extension = txt

# Logger and null sinks
a1.sinks.k2.type = logger
a1.sinks.k2.channel = c1
a1.sinks.k2.maxBytesToLog = 64
a1.sinks.k3.type = null
a1.sinks.k3.channel = c2
a1.sinks.k3.batchSize = 100
)";
  AgentConfig c = load_ok(text);
  ASSERT_EQ(c.sources.size(), 2u);
  ASSERT_EQ(c.channels.size(), 2u);
  ASSERT_EQ(c.sinks.size(), 3u);
  EXPECT_EQ(c.sources[0].get_list("channels"), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(c.sources[0].get_string("keepFields"), "true");
  EXPECT_EQ(c.sources[0].get_bytes("eventSize"), 2500u);
  EXPECT_EQ(c.sources[0].line(), 9);
  EXPECT_EQ(c.channels[0].get_bytes("byteCapacity"), 800000u);
  EXPECT_EQ(c.channels[0].get_int("capacity"), 10000);
  EXPECT_EQ(c.channels[1].name(), "c2");
  EXPECT_EQ(c.sinks[0].get_duration_ms("sink.rollInterval"), 60'000);
  EXPECT_EQ(c.sinks[0].get_int("sink.batchSize"), 100);
  EXPECT_EQ(c.sinks[1].get_int("maxBytesToLog"), 64);
  EXPECT_EQ(c.sinks[2].get_int("batchSize"), 100);
}

// --- Errors: each message checked whole ---

TEST(AgentConfig, NoSuchAgent) {
  std::string text = base_with({"a2.sources = x", "a3.channels = y"});
  EXPECT_EQ(load_error(text, "a9"), "f.conf: no agent 'a9' in the file (agents found: a1, a2, a3)");
  EXPECT_EQ(load_error("# nothing here\n", "a1"), "f.conf: no agent 'a1' in the file (no agents found)");
  EXPECT_EQ(load_error(base_with(), "A1"), "f.conf: no agent 'A1' in the file (agents found: a1)");
}

TEST(AgentConfig, PropertiesErrorsNameTheFile) {
  EXPECT_EQ(load_error(base_with({"a1.sources.r1.port = 5515"})),
            "f.conf: line 11: key 'a1.sources.r1.port' is set twice (first on line 5)");
  EXPECT_EQ(
      load_error(base_with({"a1.sinks.k1.sink.pathManager.prefix = C:\\out"})),
      "f.conf: line 11: unknown escape '\\o' in the value of 'a1.sinks.k1.sink.pathManager.prefix' (write '\\\\' for a backslash)");
}

TEST(AgentConfig, KeyWithoutAnAgent) {
  EXPECT_EQ(
      load_error(base_with({"sources = r1", ".sinks = k1"})),
      "f.conf: line 11: key 'sources' does not start with an agent name (as in a1.sources)\nf.conf: line 12: key '.sinks' does not start with an agent name (as in a1.sources)");
}

TEST(AgentConfig, UnknownAgentLevelKey) {
  EXPECT_EQ(
      load_error(base_with({"a1.source.r9.type = syslogtcp", "a1.foo = bar", "a1.Sinks = k1"})),
      "f.conf: line 11: unknown key 'a1.source.r9.type' (did you mean 'a1.sources.r9.type'?)\nf.conf: line 12: unknown key 'a1.foo' (an agent's keys start with a1.sources, a1.channels or a1.sinks)\nf.conf: line 13: unknown key 'a1.Sinks' (did you mean 'a1.sinks'?)");
}

TEST(AgentConfig, ComponentKeyWithoutAnOption) {
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1 = x", "a1.sinks..type = null", "a1.channels.c1. = y"})),
      "f.conf: line 11: a1.sources.r1: expected a1.sources.<name>.<option>\nf.conf: line 12: a1.sinks..type: expected a1.sinks.<name>.<option>\nf.conf: line 13: a1.channels.c1.: expected a1.channels.<name>.<option>");
}

TEST(AgentConfig, UnknownKeyWithASuggestion) {
  EXPECT_EQ(
      load_error(base_with({
          "a1.sources.r1.prot = 514",
          "a1.sources.r1.eventsize = 1k",
          "a1.sinks.k1.rollInterval = 60",
          "a1.channels.c1.byteCapacty = 1m",
      })),
      "f.conf: line 11: a1.sources.r1.prot: unknown key for a syslogtcp source (did you mean 'port'?)\nf.conf: line 12: a1.sources.r1.eventsize: unknown key for a syslogtcp source (did you mean 'eventSize'?)\nf.conf: line 13: a1.sinks.k1.rollInterval: unknown key for a file_roll sink (did you mean 'sink.rollInterval'?)\nf.conf: line 14: a1.channels.c1.byteCapacty: unknown key for a memory channel (did you mean 'byteCapacity'?)");
}

TEST(AgentConfig, UnknownKeyWithoutASuggestion) {
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.colour = red", "a1.sinks.k1.x = 1"})),
      "f.conf: line 11: a1.sources.r1.colour: unknown key for a syslogtcp source\nf.conf: line 12: a1.sinks.k1.x: unknown key for a file_roll sink");
}

TEST(AgentConfig, OptionsOfOtherTypesAreUnknown) {
  // maxConnections is a TCP option; eventSize is not a sink option.
  EXPECT_EQ(load_error(base_replacing(4, "a1.sources.r1.type = syslogudp") + "a1.sources.r1.maxConnections = 5\n"),
            "f.conf: line 11: a1.sources.r1.maxConnections: unknown key for a syslogudp source");
}

TEST(AgentConfig, SourceWithChannelInsteadOfChannels) {
  EXPECT_EQ(
      load_error(base_replacing(6, "a1.sources.r1.channel = c1")),
      "f.conf: line 4: source 'r1' (syslogtcp) is missing the required key a1.sources.r1.channels\nf.conf: line 6: a1.sources.r1.channel: unknown key for a syslogtcp source (did you mean 'channels'?)");
}

TEST(AgentConfig, UnknownType) {
  EXPECT_EQ(load_error(base_replacing(4, "a1.sources.r1.type = syslog")),
            "f.conf: line 4: a1.sources.r1.type: source type 'syslog' is unknown (sluice has: " +
                known_types(ComponentKind::source) + ")");
  EXPECT_EQ(load_error(base_replacing(7, "a1.channels.c1.type = mem")),
            "f.conf: line 7: a1.channels.c1.type: channel type 'mem' is unknown (sluice has: " +
                known_types(ComponentKind::channel) + ")");
  EXPECT_EQ(load_error(base_replacing(8, "a1.sinks.k1.type = file")),
            "f.conf: line 8: a1.sinks.k1.type: sink type 'file' is unknown (sluice has: " +
                known_types(ComponentKind::sink) + ")");
}

TEST(AgentConfig, FlumeTypeNotSupportedYet) {
  EXPECT_EQ(load_error(base_replacing(7, "a1.channels.c1.type = jdbc")),
            "f.conf: line 7: a1.channels.c1.type: channel type 'jdbc' is not supported yet (sluice has: " +
                known_types(ComponentKind::channel) + ")");
  EXPECT_EQ(load_error(base_replacing(8, "a1.sinks.k1.type = IRC")),
            "f.conf: line 8: a1.sinks.k1.type: sink type 'IRC' is not supported yet (sluice has: " +
                known_types(ComponentKind::sink) + ")");
  EXPECT_EQ(load_error(base_replacing(4, "a1.sources.r1.type = multiport_syslogtcp")),
            "f.conf: line 4: a1.sources.r1.type: source type 'multiport_syslogtcp' is not supported yet (sluice has: " +
                known_types(ComponentKind::source) + ")");
}

TEST(AgentConfig, UnknownTypeDoesNotCascade) {
  // The keys of a component whose type is unknown cannot be judged, so they are not reported;
  // its wiring still is.
  EXPECT_EQ(load_error(base_replacing(4, "a1.sources.r1.type = thrift") + "a1.sources.r1.bind = 0.0.0.0\n"),
            "f.conf: line 4: a1.sources.r1.type: source type 'thrift' is not supported yet (sluice has: " +
                known_types(ComponentKind::source) + ")");
  EXPECT_EQ(load_error(base_replacing(8, "a1.sinks.k1.type = hbase")),
            "f.conf: line 8: a1.sinks.k1.type: sink type 'hbase' is not supported yet (sluice has: " +
                known_types(ComponentKind::sink) + ")");
}

TEST(AgentConfig, BadValueForEachType) {
  EXPECT_EQ(
      load_error(base_with({
          "a1.sources.r1.maxConnections = many",
          "a1.sources.r1.eventSize = 10x",
          "a1.sources.r1.syslogHeaders = yes",
          "a1.sources.r1.keepFields = everything",
          "a1.sinks.k1.sink.rollInterval = 2 days",
          "a1.sinks.k1.sink.serializer = xml",
          "a1.sinks.k1.sink.pathManager = ROLLTIME",
          "a1.sinks.k1.sink.serializer.appendNewline = false",
      })),
      "f.conf: line 11: a1.sources.r1.maxConnections: expected an integer from 1 to 1000000, got 'many'\nf.conf: line 12: a1.sources.r1.eventSize: expected a size in bytes from 64 to 16m (such as 65536, 64k or 16m), got '10x'\nf.conf: line 13: a1.sources.r1.syslogHeaders: expected true or false, got 'yes'\nf.conf: line 14: a1.sources.r1.keepFields: expected none, all, or a list of priority, version, timestamp, hostname, got 'everything'\nf.conf: line 15: a1.sinks.k1.sink.rollInterval: expected a duration (such as 30, 30s, 500ms or 5m; a bare number is in seconds), got '2 days'\nf.conf: line 16: a1.sinks.k1.sink.serializer: expected one of TEXT, HEADER_AND_TEXT, JSON, got 'xml'\nf.conf: line 17: a1.sinks.k1.sink.pathManager: 'ROLLTIME' is not supported yet (sluice has: DEFAULT)\nf.conf: line 18: a1.sinks.k1.sink.serializer.appendNewline: Flume's sink.serializer.appendNewline is not supported yet by the file_roll sink");
}

TEST(AgentConfig, ValuesOutOfRange) {
  EXPECT_EQ(
      load_error(base_replacing(5, "a1.sources.r1.port = 70000") +
                 "a1.channels.c1.segmentSize = 2g\na1.channels.c1.byteCapacityBufferPercentage = 101\n"),
      "f.conf: line 5: a1.sources.r1.port: expected an integer from 1 to 65535, got '70000'\nf.conf: line 11: a1.channels.c1.segmentSize: expected a size in bytes from 64k to 1g (such as 65536, 64k or 16m), got '2g'\nf.conf: line 12: a1.channels.c1.byteCapacityBufferPercentage: expected an integer from 0 to 100, got '101'");
}

TEST(AgentConfig, EmptyRequiredValues) {
  EXPECT_EQ(
      load_error(base_replacing(6, "a1.sources.r1.channels =") + "a1.sinks.k1.sink.directory.x = 1\n"),
      "f.conf: line 6: a1.sources.r1.channels: a value is required\nf.conf: line 11: a1.sinks.k1.sink.directory.x: unknown key for a file_roll sink (did you mean 'sink.directory'?)");
  EXPECT_EQ(load_error(base_replacing(10, "a1.sinks.k1.sink.directory = ")),
            "f.conf: line 10: a1.sinks.k1.sink.directory: a value is required");
}

TEST(AgentConfig, MissingRequiredKeysPointAtTheComponent) {
  EXPECT_EQ(load_error(base_replacing(5, "") + "\n"),
            "f.conf: line 4: source 'r1' (syslogtcp) is missing the required key a1.sources.r1.port");
  EXPECT_EQ(load_error(base_replacing(10, "")),
            "f.conf: line 8: sink 'k1' (file_roll) is missing the required key a1.sinks.k1.sink.directory");
}

TEST(AgentConfig, SinkWithoutAChannel) {
  EXPECT_EQ(
      load_error(base_replacing(9, "")),
      "f.conf: line 7: a1.channels.c1.type: channel 'c1' is read by no sink (no a1.sinks.<name>.channel = c1); it would fill up and then block its sources\nf.conf: line 8: sink 'k1' (file_roll) is missing the required key a1.sinks.k1.channel");
}

TEST(AgentConfig, AliasAndNameBothSet) {
  EXPECT_EQ(load_error(base_with({"a1.sinks.k1.sink.batchSize = 10", "a1.sinks.k1.batchSize = 20"})),
            "f.conf: line 12: a1.sinks.k1.batchSize: sets the same option as a1.sinks.k1.sink.batchSize (line 11)");
}

TEST(AgentConfig, ListedButNeverConfigured) {
  EXPECT_EQ(load_error(base_replacing(1, "a1.sources = r1 r2")),
            "f.conf: line 1: a1.sources: source 'r2' is listed but never configured (a1.sources.r2.type is missing)");
  // Keys but no type is the same mistake.
  EXPECT_EQ(load_error(base_replacing(1, "a1.sources = r1 r2") + "a1.sources.r2.port = 1\n"),
            "f.conf: line 1: a1.sources: source 'r2' is listed but never configured (a1.sources.r2.type is missing)");
  EXPECT_EQ(
      load_error(base_replacing(2, "a1.channels = c1 c2")),
      "f.conf: line 2: a1.channels: channel 'c2' is listed but never configured (a1.channels.c2.type is missing)");
}

TEST(AgentConfig, ConfiguredButNotListed) {
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r3.type = syslogudp", "a1.sources.r3.port = 514", "a1.sinks.k2.type = null",
                            "a1.sinks.k2.channel = c1"})),
      "f.conf: line 11: a1.sources.r3.type: source 'r3' is configured but not listed in a1.sources (line 1), so nothing runs it\nf.conf: line 13: a1.sinks.k2.type: sink 'k2' is configured but not listed in a1.sinks (line 3), so nothing runs it");
}

TEST(AgentConfig, ConfiguredButNotListedSuggestsAListedName) {
  std::string text =
      base_replacing(1, "a1.sources = r1 tcp") +
      join_lines({"a1.sources.tpc.type = syslogtcp", "a1.sources.tpc.port = 1", "a1.sources.tpc.channels = c1"});
  EXPECT_EQ(
      load_error(text),
      "f.conf: line 1: a1.sources: source 'tcp' is listed but never configured (a1.sources.tcp.type is missing)\nf.conf: line 11: a1.sources.tpc.type: source 'tpc' is configured but not listed in a1.sources (line 1), so nothing runs it (did you mean 'tcp'?)");
}

TEST(AgentConfig, MissingLists) {
  EXPECT_EQ(
      load_error(base_replacing(3, "")),
      "f.conf: agent 'a1' has no a1.sinks line (the list of its sinks)\nf.conf: line 7: a1.channels.c1.type: channel 'c1' is read by no sink (no a1.sinks.<name>.channel = c1); it would fill up and then block its sources\nf.conf: line 8: a1.sinks.k1.type: sink 'k1' is configured but not listed in a1.sinks, so nothing runs it");
  EXPECT_EQ(
      load_error(base_replacing(2, "")),
      "f.conf: agent 'a1' has no a1.channels line (the list of its channels)\nf.conf: line 6: a1.sources.r1.channels: channel 'c1' does not exist (there is no a1.channels line)\nf.conf: line 7: a1.channels.c1.type: channel 'c1' is configured but not listed in a1.channels, so nothing runs it\nf.conf: line 9: a1.sinks.k1.channel: channel 'c1' does not exist (there is no a1.channels line)");
}

TEST(AgentConfig, BadLists) {
  EXPECT_EQ(
      load_error(base_replacing(1, "a1.sources = r1 r1 r.2")),
      "f.conf: line 1: a1.sources: 'r1' is listed twice\nf.conf: line 1: a1.sources: 'r.2' is not a valid source name (names cannot contain '.')");
  EXPECT_EQ(load_error(join_lines({"a1.sources =", "a1.channels = c1", "a1.sinks = k1", "a1.channels.c1.type = memory",
                                   "a1.sinks.k1.type = null", "a1.sinks.k1.channel = c1"})),
            "f.conf: line 1: a1.sources: lists no sources");
}

TEST(AgentConfig, ChannelsThatDoNotExist) {
  EXPECT_EQ(
      load_error(base_replacing(6, "a1.sources.r1.channels = c1 c9 c1")),
      "f.conf: line 6: a1.sources.r1.channels: channel 'c9' does not exist (a1.channels lists: c1)\nf.conf: line 6: a1.sources.r1.channels: channel 'c1' is listed twice");
  EXPECT_EQ(
      load_error(base_replacing(9, "a1.sinks.k1.channel = c2")),
      "f.conf: line 7: a1.channels.c1.type: channel 'c1' is read by no sink (no a1.sinks.<name>.channel = c1); it would fill up and then block its sources\nf.conf: line 9: a1.sinks.k1.channel: channel 'c2' does not exist (a1.channels lists: c1)");
}

TEST(AgentConfig, SinkReadsOneChannel) {
  EXPECT_EQ(
      load_error(base_replacing(9, "a1.sinks.k1.channel = c1 c2")),
      "f.conf: line 7: a1.channels.c1.type: channel 'c1' is read by no sink (no a1.sinks.<name>.channel = c1); it would fill up and then block its sources\nf.conf: line 9: a1.sinks.k1.channel: expected one channel name (a sink reads one channel), got 'c1 c2'");
}

TEST(AgentConfig, ChannelThatNoSinkReads) {
  std::string text = base_replacing(2, "a1.channels = c1 c2") + "a1.channels.c2.type = memory\n";
  EXPECT_EQ(
      load_error(text),
      "f.conf: line 11: a1.channels.c2.type: channel 'c2' is read by no sink (no a1.sinks.<name>.channel = c2); it would fill up and then block its sources");
  // Sinks that are not listed do not run, so they do not count as readers.
  EXPECT_EQ(
      load_error(text + "a1.sinks.k9.type = null\na1.sinks.k9.channel = c2\n"),
      "f.conf: line 11: a1.channels.c2.type: channel 'c2' is read by no sink (no a1.sinks.<name>.channel = c2); it would fill up and then block its sources\nf.conf: line 12: a1.sinks.k9.type: sink 'k9' is configured but not listed in a1.sinks (line 3), so nothing runs it");
}

TEST(AgentConfig, InterceptorsAreConfiguredUnderTheirSourceInListOrder) {
  AgentConfig c = load_ok(base_with(
      {"a1.sources.r1.interceptors = i2 i1",
       "a1.sources.r1.interceptors.i1.type = org.apache.flume.interceptor.HostInterceptor$Builder",
       "a1.sources.r1.interceptors.i1.hostHeader = hostname", "a1.sources.r1.interceptors.i2.type = TIMESTAMP",
       "a1.sources.r1.interceptors.i2.preserveExisting = true"}));
  const auto& list = c.sources[0].interceptors();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name(), "i2");
  EXPECT_EQ(list[0].type(), "timestamp");
  EXPECT_EQ(list[0].kind(), ComponentKind::interceptor);
  EXPECT_TRUE(list[0].get_bool("preserveExisting"));
  EXPECT_EQ(list[0].get_string("headerName"), "timestamp");
  EXPECT_EQ(list[1].name(), "i1");
  EXPECT_EQ(list[1].type(), "host");
  EXPECT_EQ(list[1].get_string("hostHeader"), "hostname");
  EXPECT_TRUE(list[1].get_bool("useIP"));
  EXPECT_EQ(list[1].locate("hostHeader"), "f.conf: line 13: a1.sources.r1.interceptors.i1.hostHeader");
  EXPECT_TRUE(load_ok(base_with()).sources[0].interceptors().empty());
}

TEST(AgentConfig, InterceptorErrorsNameTheLineAndKey) {
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = i1 i2 i3", "a1.sources.r1.interceptors.i1.type = stamp",
                            "a1.sources.r1.interceptors.i2.type = static", "a1.sources.r1.interceptors.i2.vaule = x",
                            "a1.sources.r1.interceptors.i4.type = host",
                            "a1.sources.r1.interceptors.i2.preserveExisting = yes"})),
      "f.conf: line 11: a1.sources.r1.interceptors: interceptor 'i3' is listed but never configured (a1.sources.r1.interceptors.i3.type is missing)\n"
      "f.conf: line 12: a1.sources.r1.interceptors.i1.type: interceptor type 'stamp' is unknown (sluice has: " +
          known_types(ComponentKind::interceptor) +
          ")\n"
          "f.conf: line 14: a1.sources.r1.interceptors.i2.vaule: unknown key for a static interceptor (did you mean 'value'?)\n"
          "f.conf: line 15: a1.sources.r1.interceptors.i4.type: interceptor 'i4' is configured but not listed in a1.sources.r1.interceptors (line 11), so it never runs\n"
          "f.conf: line 16: a1.sources.r1.interceptors.i2.preserveExisting: expected true or false, got 'yes'");
  EXPECT_EQ(load_error(base_with({"a1.sources.r1.interceptors = i1 i1", "a1.sources.r1.interceptors.i1.type = host",
                                  "a1.sources.r1.interceptors.x = 1"})),
            "f.conf: line 11: a1.sources.r1.interceptors: 'i1' is listed twice\n"
            "f.conf: line 13: a1.sources.r1.interceptors.x: expected a1.sources.r1.interceptors.<name>.<option>");
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors.i1.type = host"})),
      "f.conf: line 11: a1.sources.r1.interceptors.i1.type: interceptor 'i1' is configured but not listed in a1.sources.r1.interceptors, so it never runs");
}

TEST(AgentConfig, InterceptorRegularExpressionsAreCheckedWhenLoaded) {
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = remove_header",
                            "a1.sources.r1.interceptors.i1.matching = (?=x)y"})),
      "f.conf: line 13: a1.sources.r1.interceptors.i1.matching: expected a regular expression sluice can run (regex '(?=x)y': RE2 does not support lookahead ((?= or (?!) (at offset 0)), got '(?=x)y'");
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = remove_header",
                            "a1.sources.r1.interceptors.i1.fromListSeparator = ,*"})),
      "f.conf: line 13: a1.sources.r1.interceptors.i1.fromListSeparator: expected a separator that cannot match an empty string (it would split between every character), got ',*'");
  EXPECT_EQ(
      load_error(base_with(
          {"a1.sources.r1.interceptors = i1",
           "a1.sources.r1.interceptors.i1.type = org.apache.flume.sink.solr.morphline.MorphlineInterceptor$Builder"})),
      "f.conf: line 12: a1.sources.r1.interceptors.i1.type: interceptor type 'org.apache.flume.sink.solr.morphline.MorphlineInterceptor$Builder' is not supported yet (sluice has: " +
          known_types(ComponentKind::interceptor) + ")");
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = search_replace",
                            "a1.sources.r1.interceptors.i1.searchPattern = (a)(b)",
                            "a1.sources.r1.interceptors.i1.replaceString = $3"})),
      "f.conf: line 14: a1.sources.r1.interceptors.i1.replaceString: replacement '$3': no group 3");
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = search_replace"})),
      "f.conf: line 12: interceptor 'i1' (search_replace) is missing the required key a1.sources.r1.interceptors.i1.searchPattern");
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = search_replace",
                            "a1.sources.r1.interceptors.i1.searchPattern = x",
                            "a1.sources.r1.interceptors.i1.charset = UTF-16"})),
      "f.conf: line 14: a1.sources.r1.interceptors.i1.charset: expected UTF-8 or US-ASCII (sluice's search_replace reads bodies as UTF-8), got 'UTF-16'");
}

TEST(AgentConfig, RegexExtractorSerializersAreCheckedKeyByKey) {
  const std::string kMillis = "org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer";
  AgentConfig c = load_ok(base_with(
      {"a1.sources.r1.interceptors = e", "a1.sources.r1.interceptors.e.type = regex_extractor",
       "a1.sources.r1.interceptors.e.regex = ^(\\\\d\\\\d\\\\d\\\\d-\\\\d\\\\d-\\\\d\\\\d\\\\s\\\\d\\\\d:\\\\d\\\\d)",
       "a1.sources.r1.interceptors.e.serializers = s1", "a1.sources.r1.interceptors.e.serializers.s1.type = " + kMillis,
       "a1.sources.r1.interceptors.e.serializers.s1.name = timestamp",
       "a1.sources.r1.interceptors.e.serializers.s1.pattern = yyyy-MM-dd HH:mm"}));
  EXPECT_EQ(c.sources[0].interceptors()[0].line_of_key("serializers.s1.pattern"), 17);
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = e", "a1.sources.r1.interceptors.e.type = regex_extractor",
                            "a1.sources.r1.interceptors.e.regex = (a)(b)(c)(d)",
                            "a1.sources.r1.interceptors.e.serializers = s1 s2 s3 s4",
                            "a1.sources.r1.interceptors.e.serializers.s1.type = " + kMillis,
                            "a1.sources.r1.interceptors.e.serializers.s1.name = when",
                            "a1.sources.r1.interceptors.e.serializers.s2.name = two",
                            "a1.sources.r1.interceptors.e.serializers.s2.pattern = yyyy",
                            "a1.sources.r1.interceptors.e.serializers.s3.name = three",
                            "a1.sources.r1.interceptors.e.serializers.s3.type = org.example.Mine",
                            "a1.sources.r1.interceptors.e.serializers.s5.name = five",
                            "a1.sources.r1.interceptors.e.serializers.s4.nmae = four"})),
      "f.conf: line 14: a1.sources.r1.interceptors.e.serializers: serializer 's4' needs serializers.s4.name: the header it sets\n"
      "f.conf: line 15: a1.sources.r1.interceptors.e.serializers.s1.type: the millis serializer needs serializers.s1.pattern (such as yyyy-MM-dd HH:mm)\n"
      "f.conf: line 18: a1.sources.r1.interceptors.e.serializers.s2.pattern: only the millis serializer reads a pattern\n"
      "f.conf: line 20: a1.sources.r1.interceptors.e.serializers.s3.type: unknown serializer type 'org.example.Mine' (sluice has DEFAULT, org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer and org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer)\n"
      "f.conf: line 21: a1.sources.r1.interceptors.e.serializers.s5.name: serializer 's5' is not listed in serializers\n"
      "f.conf: line 22: a1.sources.r1.interceptors.e.serializers.s4.nmae: unknown key for a serializer (it has name, type and, for the millis serializer, pattern)");
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.interceptors = e", "a1.sources.r1.interceptors.e.type = regex_extractor",
                            "a1.sources.r1.interceptors.e.regex = (a)", "a1.sources.r1.interceptors.e.serializers = s1",
                            "a1.sources.r1.interceptors.e.serializers.s1.name = t",
                            "a1.sources.r1.interceptors.e.serializers.s1.type = " + kMillis,
                            "a1.sources.r1.interceptors.e.serializers.s1.pattern = ABCDEFG"})),
      "f.conf: line 17: a1.sources.r1.interceptors.e.serializers.s1.pattern: pattern 'ABCDEFG': the letter 'A' is not one sluice reads (it reads yYMdDHhmsSEaZ)");
}

// Three sinks on c1 (base lines 3 and 8-10 replaced; lines 11-16 added before the test's own).
std::string three_sinks() {
  return base_replacing(3, "a1.sinks = k1 k2 k3") +
         "a1.sinks.k2.type = null\na1.sinks.k2.channel = c1\na1.sinks.k3.type = null\na1.sinks.k3.channel = c1\n";
}

TEST(AgentConfig, SinkGroupsWithTheUserGuidesLines) {
  AgentConfig c = load_ok(three_sinks() +
                          "a1.sinkgroups = g1\n"
                          "a1.sinkgroups.g1.sinks = k1 k2\n"
                          "a1.sinkgroups.g1.processor.type = failover\n"
                          "a1.sinkgroups.g1.processor.priority.k1 = 5\n"
                          "a1.sinkgroups.g1.processor.priority.k2 = 10\n"
                          "a1.sinkgroups.g1.processor.maxpenalty = 10000\n");
  ASSERT_EQ(c.sink_groups.size(), 1u);
  const ComponentConfig& g = c.sink_groups[0];
  EXPECT_EQ(g.type(), "failover");
  EXPECT_EQ(g.get_list("sinks"), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(g.get_duration_ms("processor.maxpenalty"), 10000);
  EXPECT_EQ(c.group_of("k2"), &g);
  EXPECT_EQ(c.group_of("k3"), nullptr);
  AgentConfig lb = load_ok(three_sinks() +
                           "a1.sinkgroups = g1\n"
                           "a1.sinkgroups.g1.sinks = k1 k2\n"
                           "a1.sinkgroups.g1.processor.type = load_balance\n"
                           "a1.sinkgroups.g1.processor.backoff = true\n"
                           "a1.sinkgroups.g1.processor.selector = random\n");
  EXPECT_EQ(lb.sink_groups[0].get_enum("processor.selector"), "random");
  AgentConfig implied = load_ok(three_sinks() + "a1.sinkgroups = g1\na1.sinkgroups.g1.sinks = k3\n");
  EXPECT_EQ(implied.sink_groups[0].type(), "default") << "processor.type defaults as the guide says";
}

TEST(AgentConfig, SinkGroupErrorsNameTheLine) {
  EXPECT_EQ(
      load_error(three_sinks() + "a1.sinkgroups = g1 g2 g3\n"                          // 15
                                 "a1.sinkgroups.g1.sinks = k1 k2 k9\n"                 // 16
                                 "a1.sinkgroups.g1.processor.type = failover\n"        // 17
                                 "a1.sinkgroups.g1.processor.priority.k1 = 5\n"        // 18
                                 "a1.sinkgroups.g1.processor.priority.k2 = 5\n"        // 19
                                 "a1.sinkgroups.g1.processor.priority.k3 = high\n"     // 20
                                 "a1.sinkgroups.g2.sinks = k2 k3\n"                    // 21
                                 "a1.sinkgroups.g2.processor.type = load_balancing\n"  // 22
                                 "a1.sinkgroups.g3.processor.type = load_balance\n"),  // 23
      "f.conf: line 16: a1.sinkgroups.g1.sinks: sink 'k9' does not exist (a1.sinks lists: k1, k2, k3)\n"
      "f.conf: line 19: a1.sinkgroups.g1.processor.priority.k2: priority 5 is also sink k1's: Flume would silently never use one of them; give each sink its own\n"
      "f.conf: line 20: a1.sinkgroups.g1.processor.priority.k3: expected an integer, got 'high'\n"
      "f.conf: line 21: a1.sinkgroups.g2.sinks: sink 'k2' is already in group 'g1' (a sink is in one group at most; Flume would silently leave it out of one of them)\n"
      "f.conf: line 22: a1.sinkgroups.g2.processor.type: sink group type 'load_balancing' is unknown (sluice has: default, failover, load_balance)\n"
      "f.conf: line 23: sink group 'g3' (load_balance) is missing the required key a1.sinkgroups.g3.sinks");
  EXPECT_EQ(
      load_error(three_sinks() + "a1.sinkgroups = g1\na1.sinkgroups.g1.sinks = k1 k2\n"),
      "f.conf: line 16: a1.sinkgroups.g1.sinks: the default processor runs one sink; for several choose processor.type failover or load_balance (sinks outside any group already share their channel's events)");
  EXPECT_EQ(
      load_error(three_sinks() + "a1.sinkgroups.g1.sinks = k1\n"),
      "f.conf: line 15: a1.sinkgroups.g1.sinks: sink group 'g1' is configured but not listed in a1.sinkgroups, so nothing runs it");
}

TEST(AgentConfig, ASinkGroupReadsOneChannel) {
  std::string text = base_replacing(2, "a1.channels = c1 c2");
  text = base_replacing(3, "a1.sinks = k1 k2");
  text = join_lines({"a1.sources = r1", "a1.channels = c1 c2", "a1.sinks = k1 k2", "a1.sources.r1.type = syslogtcp",
                     "a1.sources.r1.port = 5514", "a1.sources.r1.channels = c1 c2", "a1.channels.c1.type = memory",
                     "a1.channels.c2.type = memory", "a1.sinks.k1.type = null", "a1.sinks.k1.channel = c1",
                     "a1.sinks.k2.type = null", "a1.sinks.k2.channel = c2", "a1.sinkgroups = g1",
                     "a1.sinkgroups.g1.sinks = k1 k2", "a1.sinkgroups.g1.processor.type = failover"});
  EXPECT_EQ(
      load_error(text),
      "f.conf: line 14: a1.sinkgroups.g1.sinks: sink 'k2' reads channel 'c2', the group's other sinks 'c1': a group's sinks read one channel in sluice");
}

TEST(AgentConfig, SelectorsAreCheckedAgainstTheSourcesChannels) {
  std::string four = base_replacing(2, "a1.channels = c1 c2 c3 c4");
  four = four.replace(four.find("a1.sources.r1.channels = c1"), 27, "a1.sources.r1.channels = c1 c2 c3 c4");
  for (const char* c : {"c2", "c3", "c4"})
    four +=
        fmt::format("a1.channels.{}.type = memory\na1.sinks.k{}.type = null\na1.sinks.k{}.channel = {}\n", c, c, c, c);
  four = four.replace(four.find("a1.sinks = k1"), 13, "a1.sinks = k1 kc2 kc3 kc4");
  AgentConfig ok = load_ok(four +
                           "a1.sources.r1.selector.type = multiplexing\n"
                           "a1.sources.r1.selector.header = state\n"
                           "a1.sources.r1.selector.mapping.CZ = c1\n"
                           "a1.sources.r1.selector.mapping.US = c2 c3\n"
                           "a1.sources.r1.selector.default = c4\n");
  EXPECT_EQ(ok.sources[0].get_enum("selector.type"), "multiplexing");
  EXPECT_EQ(ok.sources[0].get_string("selector.header"), "state");
  const int first = 11 + 9;  // the lines the loop added
  EXPECT_EQ(
      load_error(four + "a1.sources.r1.selector.type = multiplexing\n"
                        "a1.sources.r1.selector.mapping.CZ = c1 c9\n"
                        "a1.sources.r1.selector.mapping.US = c2 c2\n"
                        "a1.sources.r1.selector.optional = c3\n"
                        "a1.sources.r1.selector.default = c5\n"),
      fmt::format(
          "f.conf: line {}: a1.sources.r1.selector.mapping.CZ: channel 'c9' is not one of the source's channels (c1, c2, c3, c4)\n"
          "f.conf: line {}: a1.sources.r1.selector.mapping.US: channel 'c2' is listed twice\n"
          "f.conf: line {}: a1.sources.r1.selector.optional: belongs to the replicating selector, but selector.type is multiplexing\n"
          "f.conf: line {}: a1.sources.r1.selector.default: channel 'c5' is not one of the source's channels (c1, c2, c3, c4)",
          first + 1, first + 2, first + 3, first + 4));
  EXPECT_EQ(
      load_error(four + "a1.sources.r1.selector.optional = c3 c7\n"
                        "a1.sources.r1.selector.policy = random\n"),
      fmt::format(
          "f.conf: line {}: a1.sources.r1.selector.optional: channel 'c7' is not one of the source's channels (c1, c2, c3, c4)\n"
          "f.conf: line {}: a1.sources.r1.selector.policy: belongs to the load_balancing selector, but selector.type is replicating",
          first, first + 1));
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.selector.type = round_robin"})),
      "f.conf: line 11: a1.sources.r1.selector.type: expected one of replicating, multiplexing, load_balancing, "
      "org.apache.flume.channel.ReplicatingChannelSelector, org.apache.flume.channel.MultiplexingChannelSelector, "
      "org.apache.flume.channel.LoadBalancingChannelSelector, got 'round_robin'");
  EXPECT_TRUE(load_ok(base_with({"a1.sources.r1.selector.type = org.apache.flume.channel.LoadBalancingChannelSelector",
                                 "a1.sources.r1.selector.policy = random"}))
                  .sources.size() == 1);
}

TEST(AgentConfig, ConfigFiltersAreNotSupportedYet) {
  EXPECT_EQ(load_error(base_with({"a1.configfilters = f1", "a1.configfilters.f1.type = env"})),
            "f.conf: line 11: a1.configfilters: config filters are not supported yet");
}

TEST(AgentConfig, FlumeSourceOptionsNotSupportedYet) {
  EXPECT_EQ(
      load_error(base_with({"a1.sources.r1.clientHostnameHeader = h", "a1.sources.r1.ssl = true"})),
      "f.conf: line 11: a1.sources.r1.clientHostnameHeader: Flume's clientHostnameHeader is not supported yet by the syslogtcp source\nf.conf: line 12: a1.sources.r1.ssl: Flume's ssl is not supported yet by the syslogtcp source");
}

TEST(AgentConfig, CollectsEveryErrorOnePerLineInLineOrder) {
  std::string text = join_lines({
      "a1.sources = r1 r2",              // 1: r2 never configured
      "a1.channels = c1",                // 2
      "a1.sinks = k1",                   // 3
      "a1.sinks.k1.type = logger",       // 4
      "a1.sinks.k1.channel = c1",        // 5
      "a1.sources.r1.type = syslogudp",  // 6: port missing
      "a1.sources.r1.channels = c1 c3",  // 7: c3 does not exist
      "a1.sources.r1.host = ",           // 8: fine (empty host)
      "a1.sinks.k1.maxBytesToLog = -1",  // 9: out of range
      "a1.channels.c1.type = memory",    // 10
      "a1.channels.c1.capacity = lots",  // 11: not an integer
  });
  EXPECT_EQ(
      load_error(text),
      "f.conf: line 1: a1.sources: source 'r2' is listed but never configured (a1.sources.r2.type is missing)\nf.conf: line 6: source 'r1' (syslogudp) is missing the required key a1.sources.r1.port\nf.conf: line 7: a1.sources.r1.channels: channel 'c3' does not exist (a1.channels lists: c1)\nf.conf: line 9: a1.sinks.k1.maxBytesToLog: expected an integer from 0 to 1048576, got '-1'\nf.conf: line 11: a1.channels.c1.capacity: expected an integer of at least 0, got 'lots'");
}

TEST(AgentConfig, ReadsAFile) {
  char path[] = "/tmp/sluice_config_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = base_with();
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  Result<AgentConfig> ok = load_agent_config_file(path, "a1", app::component_catalog());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->file_name, path);
  EXPECT_EQ(ok->sources[0].locate("port"), fmt::format("{}: line 5: a1.sources.r1.port", path));

  Result<AgentConfig> bad = load_agent_config_file(path, "b1", app::component_catalog());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, fmt::format("{}: no agent 'b1' in the file (agents found: a1)", path));
  std::remove(path);
}

TEST(AgentConfig, MissingFile) {
  Result<AgentConfig> r = load_agent_config_file("/nonexistent/dir/flume.conf", "a1", app::component_catalog());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot read /nonexistent/dir/flume.conf: No such file or directory");
}

TEST(AgentConfig, TooLargeFile) {
  char path[] = "/tmp/sluice_config_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(config_file_bytes_max + 1)), 0);
  close(fd);
  Result<AgentConfig> r = load_agent_config_file(path, "a1", app::component_catalog());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, fmt::format("cannot read {}: larger than 16777216 bytes", path));
  std::remove(path);
}

using AgentConfigDeathTest = ::testing::Test;

TEST(AgentConfigDeathTest, AccessorsCatchProgrammerErrors) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  AgentConfig c = load_ok(base_with());
  const ComponentConfig& r1 = c.sources[0];
  EXPECT_DEATH((void)r1.get_string("nope"), "the component has no such option");
  EXPECT_DEATH((void)r1.get_int("host"), "accessor of another type");
  EXPECT_DEATH((void)r1.get_bytes("port"), "accessor of another type");
}

TEST(AgentConfig, PrefixedKeysArePassedThrough) {
  std::string text =
      "a1.sources = r1\n"
      "a1.channels = c1\n"
      "a1.sinks = k1\n"
      "a1.sources.r1.type = syslogtcp\n"
      "a1.sources.r1.port = 5514\n"
      "a1.sources.r1.channels = c1\n"
      "a1.channels.c1.type = memory\n"
      "a1.sinks.k1.type = kafka\n"
      "a1.sinks.k1.channel = c1\n"
      "a1.sinks.k1.kafka.bootstrap.servers = b:9092\n"
      "a1.sinks.k1.kafka.producer.linger.ms = 10\n"
      "a1.sinks.k1.kafka.producer.compression.type = zstd\n";
  auto c = load_agent_config(text, "a1", "f.conf", app::component_catalog());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const KeyValues& kv = c->sinks[0].get_prefixed("kafka.producer.");
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[0], (std::pair<std::string, std::string>{"linger.ms", "10"}));
  EXPECT_EQ(kv[1], (std::pair<std::string, std::string>{"compression.type", "zstd"}));
  EXPECT_EQ(c->sinks[0].line_of("kafka.producer."), 11);
}

}  // namespace
}  // namespace sluice::config
