#include "protocols/avro/flume_protocol.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/protocols/avro/ipc_test_helpers.h"
#include "tests/support/event_builder.h"
#include "tests/support/md5.h"

namespace sluice::avro {
namespace {

using namespace std::string_literals;
using namespace testing_ipc;
using Kind = ServerSession::Call::Kind;

TEST(FlumeProtocol, Md5IsTheMd5OfTheProtocolText) {
  EXPECT_EQ(testing::hex(testing::md5("")), "d41d8cd98f00b204e9800998ecf8427e");  // the MD5 itself
  EXPECT_EQ(testing::hex(testing::md5("The quick brown fox jumps over the lazy dog")),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(hash_of(kFlumeProtocolJson), kFlumeProtocolMd5);
  EXPECT_EQ(testing::hex(kFlumeProtocolMd5), "86aadae2c45474c0fe93ffd0f2350a65");
  EXPECT_EQ(kFlumeProtocolJson.size(), 1334u);
}

TEST(FlumeProtocol, Avro1111VariantIsTheSameTextWithoutCommentStars) {
  // Avro >= 1.11.1's IDL strips "^\s*\* ?" from every line of a doc comment.
  const std::string json(kFlumeProtocolJson);
  const size_t doc = json.find(R"("doc":")") + 7;
  const size_t doc_end = json.find(R"(","types")");
  ASSERT_LT(doc, doc_end);
  std::string stripped;
  std::string_view rest = std::string_view(json).substr(doc, doc_end - doc);
  bool line_start = true;
  while (!rest.empty()) {
    if (line_start) {
      size_t i = 0;
      while (i < rest.size() && rest[i] == ' ') ++i;
      if (i < rest.size() && rest[i] == '*') {
        rest.remove_prefix(i + 1);
        if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      }
      line_start = false;
      continue;
    }
    if (rest.starts_with("\\n")) {  // JSON's escaped newline
      stripped += "\\n";
      rest.remove_prefix(2);
      line_start = true;
      continue;
    }
    stripped += rest[0];
    rest.remove_prefix(1);
  }
  const std::string variant = json.substr(0, doc) + stripped + json.substr(doc_end);
  EXPECT_TRUE(variant.find(R"("doc":"Licensed to the Apache)") != std::string::npos);
  EXPECT_EQ(hash_of(variant), kFlumeProtocolMd5Avro1111);
}

// Java's Avro itself (Debian's libavro-java) parses the constant, prints it back unchanged and
// hashes it to the constant MD5: the text is in Java's canonical form.
TEST(FlumeProtocol, JavaAvroAgrees) {
  const std::string jars =
      "/usr/share/java/avro.jar:/usr/share/java/jackson-core-asl.jar:"
      "/usr/share/java/jackson-mapper-asl.jar:/usr/share/java/slf4j-api.jar";
  if (std::system("command -v java >/dev/null 2>&1 && test -r /usr/share/java/avro.jar") != 0)
    GTEST_SKIP() << "java or libavro-java is not installed (scripts/setup installs them)";
  const auto dir = std::filesystem::temp_directory_path() / ("avro_java_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto json = dir / "protocol.json";
  std::ofstream(json, std::ios::binary) << kFlumeProtocolJson;
  const std::string cmd =
      "java -cp " + jars + " " + SLUICE_AVRO_JAVA_TOOL + " --json " + json.string() + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << out;
  std::filesystem::remove_all(dir);
  EXPECT_EQ(out, testing::hex(kFlumeProtocolMd5) + "\nroundtrip-identical\n" + std::string(kFlumeProtocolJson) + "\n");
}

TEST(FlumeProtocol, ClientProtocolCheck) {
  RemoteProtocol p;
  std::string_view error;
  ASSERT_TRUE(check_client_protocol(kFlumeProtocolJson, p, error));
  EXPECT_TRUE(p.append && p.append_batch && p.declares_append && p.declares_append_batch);
  ASSERT_TRUE(check_client_protocol(kPythonProtocol, p, error));
  EXPECT_TRUE(p.append && p.append_batch);
  // Fully qualified names, inline record, a property on the string type.
  const std::string inline_types =
      R"({"protocol":"P","messages":{"appendBatch":{"request":[{"name":"e","type":{"type":"array","items":)"
      R"({"type":"record","name":"x.AvroFlumeEvent","fields":[{"name":"headers","type":{"type":"map","values":)"
      R"({"type":"string","avro.java.string":"String"}}},{"name":"body","type":"bytes"}]}}}],"response":"null"},)"
      R"("append":{"request":[{"name":"e","type":"x.AvroFlumeEvent"}],"response":"null"}}})";
  ASSERT_TRUE(check_client_protocol(inline_types, p, error));
  EXPECT_TRUE(p.append_batch);
  EXPECT_FALSE(p.append);  // inline definitions elsewhere are not looked up by name
  EXPECT_TRUE(p.declares_append);
  // A body that is a string: declared, not wire-compatible.
  std::string other(kPythonProtocol);
  other.replace(other.find(R"("type": "bytes")"), 15, R"("type": "string")");
  ASSERT_TRUE(check_client_protocol(other, p, error));
  EXPECT_FALSE(p.append || p.append_batch);
  EXPECT_TRUE(p.declares_append && p.declares_append_batch);
  // Not a protocol.
  EXPECT_FALSE(check_client_protocol("{nope", p, error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(check_client_protocol("[1]", p, error));
  EXPECT_FALSE(check_client_protocol(R"({"messages":{}})", p, error));
  std::string deep(10000, '[');
  EXPECT_FALSE(check_client_protocol(deep, p, error));
}

TEST(FlumeProtocol, RegistryIsBounded) {
  ProtocolRegistry registry(3);
  EXPECT_NE(registry.find(kFlumeProtocolMd5), nullptr);
  EXPECT_NE(registry.find(kFlumeProtocolMd5Avro1111), nullptr);
  Md5 a{1}, b{2};
  EXPECT_EQ(registry.find(a), nullptr);
  EXPECT_NE(registry.remember(a, RemoteProtocol{}), nullptr);
  EXPECT_NE(registry.find(a), nullptr);
  EXPECT_EQ(registry.remember(b, RemoteProtocol{}), nullptr);
  EXPECT_EQ(registry.size(), 3u);
}

}  // namespace
}  // namespace sluice::avro
