#include "tests/support/kafka_mock_command.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::testing::kafka_mock {
namespace {

constexpr int brokers = 3;

template <typename T>
T parse_as(std::string_view line) {
  auto command = parse_command(line, brokers);
  EXPECT_TRUE(command.ok()) << line << ": " << (command ? "" : command.error().message);
  if (!command || !std::holds_alternative<T>(command.value())) {
    ADD_FAILURE() << line << " parsed as another command";
    return T{};
  }
  return std::get<T>(command.value());
}

std::string error_of(std::string_view line) {
  auto command = parse_command(line, brokers);
  EXPECT_FALSE(command.ok()) << line << " should not parse";
  return command ? std::string() : command.error().message;
}

TEST(KafkaMockCommand, BrokerUpAndDown) {
  EXPECT_EQ(parse_as<BrokerDown>("broker-down 2").broker_id, 2);
  EXPECT_EQ(parse_as<BrokerUp>("  broker-up\t3 \r").broker_id, 3);
  EXPECT_EQ(parse_as<BrokerDown>("all-down").broker_id, all_brokers);
  EXPECT_EQ(parse_as<BrokerUp>("all-up").broker_id, all_brokers);
}

TEST(KafkaMockCommand, BrokerIdsAreCheckedAgainstTheCluster) {
  EXPECT_EQ(error_of("broker-down 4"), "bad broker id '4': brokers are 1..3");
  EXPECT_EQ(error_of("broker-down 0"), "bad broker id '0': brokers are 1..3");
  EXPECT_EQ(error_of("broker-up -1"), "bad broker id '-1': brokers are 1..3");
  EXPECT_EQ(error_of("broker-down 1x"), "bad broker id '1x': brokers are 1..3");
  EXPECT_EQ(error_of("broker-down all"), "bad broker id 'all': brokers are 1..3");
  EXPECT_EQ(error_of("broker-down"), "broker-down takes 1 argument: broker-down ID");
  EXPECT_EQ(error_of("broker-down 1 2"), "broker-down takes 1 argument: broker-down ID");
  EXPECT_EQ(error_of("all-up 1"), "all-up takes 0 arguments: all-up");
}

TEST(KafkaMockCommand, RoundTripTime) {
  auto rtt = parse_as<SetRtt>("rtt 1 250");
  EXPECT_EQ(rtt.broker_id, 1);
  EXPECT_EQ(rtt.rtt_ms, 250);
  EXPECT_EQ(parse_as<SetRtt>("rtt all 0").broker_id, all_brokers);
  EXPECT_EQ(error_of("rtt 1 -5"), "bad round-trip time '-5': milliseconds 0..600000");
  EXPECT_EQ(error_of("rtt 1 600001"), "bad round-trip time '600001': milliseconds 0..600000");
  EXPECT_EQ(error_of("rtt 9 5"), "bad broker id '9': brokers are 1..3 (or 'all')");
}

TEST(KafkaMockCommand, TopicCreate) {
  auto t = parse_as<TopicCreate>("topic-create events.v1_x-y 6 3");
  EXPECT_EQ(t.topic, "events.v1_x-y");
  EXPECT_EQ(t.partitions, 6);
  EXPECT_EQ(t.replication, 3);
  EXPECT_EQ(error_of("topic-create a/b 1 1"), "bad topic name 'a/b': 1..249 of [a-zA-Z0-9._-]");
  EXPECT_EQ(error_of("topic-create .. 1 1"), "bad topic name '..': 1..249 of [a-zA-Z0-9._-]");
  EXPECT_FALSE(parse_command("topic-create " + std::string(250, 'a') + " 1 1", brokers).ok());
  EXPECT_TRUE(parse_command("topic-create " + std::string(249, 'a') + " 1 1", brokers).ok());
  EXPECT_EQ(error_of("topic-create t 0 1"), "bad partition count '0': 1..1024");
  EXPECT_EQ(error_of("topic-create t 1025 1"), "bad partition count '1025': 1..1024");
  EXPECT_EQ(error_of("topic-create t 1 4"), "bad replication factor '4': 1..3 (the number of brokers)");
  EXPECT_EQ(error_of("topic-create t 1"), "topic-create takes 3 arguments: topic-create NAME PARTITIONS REPLICATION");
}

TEST(KafkaMockCommand, TopicError) {
  auto e = parse_as<TopicError>("topic-error t TOPIC_AUTHORIZATION_FAILED");
  EXPECT_EQ(e.topic, "t");
  EXPECT_EQ(e.error, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  EXPECT_EQ(parse_as<TopicError>("topic-error t NO_ERROR").error, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(parse_as<TopicError>("topic-error t 3").error, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  EXPECT_EQ(error_of("topic-error t _TRANSPORT"),
            "_TRANSPORT is not a topic error: use push-errors to drop connections");
}

TEST(KafkaMockCommand, ErrorCodesByNameNumberPrefixAndAlias) {
  struct Case {
    const char* text;
    rd_kafka_resp_err_t code;
  };
  for (auto [text, code] : {
           Case{"REQUEST_TIMED_OUT", RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT},
           Case{"NOT_LEADER_FOR_PARTITION", RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION},
           Case{"LEADER_NOT_AVAILABLE", RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE},
           Case{"UNKNOWN_TOPIC_OR_PART", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
           Case{"TOPIC_AUTHORIZATION_FAILED", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED},
           Case{"MSG_SIZE_TOO_LARGE", RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE},
           Case{"NOT_ENOUGH_REPLICAS", RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS},
           Case{"_TRANSPORT", RD_KAFKA_RESP_ERR__TRANSPORT},
           Case{"-195", RD_KAFKA_RESP_ERR__TRANSPORT},
           Case{"request_timed_out", RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT},
           Case{"RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS", RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS},
           Case{"NOT_LEADER_OR_FOLLOWER", RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION},
           Case{"UNKNOWN_TOPIC_OR_PARTITION", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
           Case{"MESSAGE_TOO_LARGE", RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE},
           Case{"7", RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT},
           Case{"0", RD_KAFKA_RESP_ERR_NO_ERROR},
       }) {
    auto parsed = parse_error_code(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), code) << text;
  }
}

TEST(KafkaMockCommand, ErrorCodesThatABrokerCannotSendAreRefused) {
  EXPECT_NE(parse_error_code("_MSG_TIMED_OUT").error().message.find("librdkafka-local error"), std::string::npos);
  EXPECT_NE(parse_error_code("-192").error().message.find("librdkafka-local error"), std::string::npos);
  EXPECT_EQ(parse_error_code("9999").error().message, "unknown error code 9999");
  EXPECT_EQ(parse_error_code("NOT_AN_ERROR").error().message.substr(0, 29), "unknown error 'NOT_AN_ERROR':");
  EXPECT_FALSE(parse_error_code("").ok());
  EXPECT_FALSE(parse_error_code("RD_KAFKA_RESP_ERR_").ok());
}

TEST(KafkaMockCommand, PushErrors) {
  auto p = parse_as<PushErrors>("push-errors Produce REQUEST_TIMED_OUT _TRANSPORT 19");
  EXPECT_EQ(p.api_key, 0);
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_EQ(p.errors[0], RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  EXPECT_EQ(p.errors[1], RD_KAFKA_RESP_ERR__TRANSPORT);
  EXPECT_EQ(p.errors[2], RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  EXPECT_EQ(parse_as<PushErrors>("push-errors 22 COORDINATOR_NOT_AVAILABLE").api_key, 22);
  EXPECT_EQ(parse_as<PushErrors>("push-errors initproducerid COORDINATOR_NOT_AVAILABLE").api_key, 22);
  EXPECT_EQ(parse_as<PushErrors>("push-errors ApiVersions _TRANSPORT").api_key, 18);
  EXPECT_EQ(error_of("push-errors Produce"), "usage: push-errors APIKEY ERR...");
  EXPECT_EQ(error_of("push-errors Produce NOPE").substr(0, 21), "unknown error 'NOPE':");

  std::string many = "push-errors Produce";
  for (size_t i = 0; i <= errors_per_command_max; ++i) many += " 7";
  EXPECT_EQ(error_of(many), "at most 1000 errors per command");
}

TEST(KafkaMockCommand, OnlyRequestTypesThatTakeInjectedErrors) {
  EXPECT_NE(error_of("push-errors Metadata 7").find("use topic-error"), std::string::npos);
  EXPECT_NE(error_of("push-errors 3 7").find("use topic-error"), std::string::npos);
  EXPECT_NE(error_of("push-errors CreateTopics 7").find("does not take injected errors"), std::string::npos);
  EXPECT_NE(error_of("push-errors 19 7").find("Produce(0)"), std::string::npos);
  EXPECT_EQ(api_key_name(0), "Produce");
  EXPECT_EQ(api_key_name(19), "ApiKey19");
}

TEST(KafkaMockCommand, BrokerPushErrorsWithDelays) {
  auto p = parse_as<BrokerPushErrors>("broker-push-errors 2 Produce REQUEST_TIMED_OUT@1500 NO_ERROR@200 7");
  EXPECT_EQ(p.broker_id, 2);
  EXPECT_EQ(p.api_key, 0);
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_EQ(p.errors[0].error, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  EXPECT_EQ(p.errors[0].rtt_ms, 1500);
  EXPECT_EQ(p.errors[1].error, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(p.errors[1].rtt_ms, 200);
  EXPECT_EQ(p.errors[2].rtt_ms, 0);
  EXPECT_EQ(error_of("broker-push-errors 2 Produce 7@x"), "bad round-trip time 'x': milliseconds 0..600000");
  EXPECT_EQ(error_of("broker-push-errors all Produce 7"), "bad broker id 'all': brokers are 1..3");
  EXPECT_EQ(error_of("broker-push-errors 2 Produce"), "usage: broker-push-errors ID APIKEY ERR[@RTT_MS]...");
}

TEST(KafkaMockCommand, ClearErrorsErrorCountLeaderPingQuit) {
  EXPECT_EQ(parse_as<ClearErrors>("clear-errors Produce").api_key, 0);
  auto count = parse_as<BrokerErrorCount>("broker-error-count 3 Fetch");
  EXPECT_EQ(count.broker_id, 3);
  EXPECT_EQ(count.api_key, 1);
  EXPECT_EQ(error_of("broker-error-count 3"), "broker-error-count takes 2 arguments: broker-error-count ID APIKEY");
  auto l = parse_as<SetLeader>("leader t 2 3");
  EXPECT_EQ(l.topic, "t");
  EXPECT_EQ(l.partition, 2);
  EXPECT_EQ(l.broker_id, 3);
  EXPECT_EQ(parse_as<SetLeader>("leader t 0 none").broker_id, no_leader);
  EXPECT_EQ(parse_as<SetLeader>("leader t 0 -1").broker_id, no_leader);
  EXPECT_EQ(error_of("leader t -1 1"), "bad partition '-1': 0..1023");
  EXPECT_EQ(error_of("leader t 0 4"), "bad broker id '4': brokers are 1..3 (or 'none')");
  parse_as<Ping>("ping");
  parse_as<Quit>("quit");
  EXPECT_EQ(error_of("quit now"), "quit takes 0 arguments: quit");
}

TEST(KafkaMockCommand, EmptyUnknownAndOverlongLines) {
  EXPECT_EQ(error_of(""), "empty command");
  EXPECT_EQ(error_of(" \t\r"), "empty command");
  EXPECT_EQ(error_of("reboot 1"), "unknown command 'reboot' (see kafka-mock-cluster --help)");
  EXPECT_EQ(error_of("ping " + std::string(line_bytes_max, 'x')), "line longer than 4096 bytes");
}

TEST(KafkaMockOptions, DefaultsAndEveryOption) {
  auto o = parse_options({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->brokers, 3);
  EXPECT_TRUE(o->topics.empty());
  EXPECT_TRUE(o->read_stdin);

  o = parse_options(
      {"--topic", "a:3", "--brokers", "2", "--topic=b:1:1", "--port-file", "/tmp/p", "--no-stdin", "--debug=mock"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->brokers, 2);
  ASSERT_EQ(o->topics.size(), 2u);
  EXPECT_EQ(o->topics[0].topic, "a");
  EXPECT_EQ(o->topics[0].partitions, 3);
  EXPECT_EQ(o->topics[0].replication, 2) << "defaults to min(3, brokers), whatever the argument order";
  EXPECT_EQ(o->topics[1].replication, 1);
  EXPECT_EQ(o->port_file, "/tmp/p");
  EXPECT_FALSE(o->read_stdin);
  EXPECT_EQ(o->debug, "mock");
  EXPECT_TRUE(parse_options({"--help"})->help);
}

TEST(KafkaMockOptions, BadArguments) {
  auto error = [](std::vector<std::string_view> args) {
    auto o = parse_options(args);
    EXPECT_FALSE(o.ok());
    return o ? std::string() : o.error().message;
  };
  EXPECT_EQ(error({"--brokers", "0"}), "bad --brokers '0': 1..32");
  EXPECT_EQ(error({"--brokers", "33"}), "bad --brokers '33': 1..32");
  EXPECT_EQ(error({"--brokers"}), "--brokers needs a value");
  EXPECT_EQ(error({"--topic", "t"}), "--topic: bad topic 't': NAME:PARTITIONS[:REPLICATION]");
  EXPECT_EQ(error({"--topic", "t:1:1:1"}), "--topic: bad topic 't:1:1:1': NAME:PARTITIONS[:REPLICATION]");
  EXPECT_EQ(error({"--topic", "t:1:4"}), "--topic: bad replication factor '4': 1..3 (the number of brokers)");
  EXPECT_EQ(error({"--brokers", "1", "--topic", "t:1:2"}),
            "--topic: bad replication factor '2': 1..1 (the number of brokers)");
  EXPECT_EQ(error({"--topic", "t:1", "--topic", "t:2"}), "--topic: 't' given twice");
  EXPECT_EQ(error({"--port-file="}), "--port-file needs a path");
  EXPECT_EQ(error({"--verbose"}), "unknown argument '--verbose' (see --help)");
  std::vector<std::string_view> many;
  std::vector<std::string> names;
  for (int i = 0; i <= topics_max; ++i) names.push_back("t" + std::to_string(i) + ":1");
  for (const auto& n : names) {
    many.push_back("--topic");
    many.push_back(n);
  }
  EXPECT_EQ(error(many), "at most 256 topics");
}

}  // namespace
}  // namespace sluice::testing::kafka_mock
