// The position file in Flume's format (TestTaildirEventReader.testLoadPositionFile writes one by
// hand; TaildirSource.writePosition is the format written).
#include "server/tailing/position_file.h"

#include <gtest/gtest.h>

namespace sluice::tailing {
namespace {

TEST(PositionFile, ReadsWhatAFlumeAgentWrote) {
  auto p = parse_position_file(
      R"([{"inode":2496929,"pos":22,"file":"/tmp/x/file1"},{"inode":2496930,"pos":0,"file":"/tmp/x/file2"}])");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ(p.value()[0].inode, 2496929u);
  EXPECT_EQ(p.value()[0].pos, 22u);
  EXPECT_EQ(p.value()[0].file, "/tmp/x/file1");
  EXPECT_FALSE(p.value()[0].fingerprint.has_value());
  EXPECT_EQ(p.value()[1].file, "/tmp/x/file2");
}

TEST(PositionFile, TakesAnyKeyOrderSpacesAndNumbersAsStringsLikeGson) {
  auto p = parse_position_file("[ {\"file\" : \"/a\", \"pos\" : \"7\", \"inode\" : 3 } ]\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p.value()[0].inode, 3u);
  EXPECT_EQ(p.value()[0].pos, 7u);
}

TEST(PositionFile, AnEmptyFileHoldsNoPositions) {
  // Flume truncates the file to 0 bytes when it tails nothing.
  auto p = parse_position_file("");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->empty());
  EXPECT_TRUE(parse_position_file(" \n").value().empty());
  EXPECT_TRUE(parse_position_file("[]").value().empty());
}

TEST(PositionFile, AMissingOrMistypedFieldNamesTheEntry) {
  auto missing = parse_position_file(R"([{"inode":1,"pos":0,"file":"/a"},{"inode":2,"file":"/b"}])");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("entry 2"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("\"pos\""), std::string::npos);
  EXPECT_FALSE(parse_position_file(R"([{"inode":-1,"pos":0,"file":"/a"}])").ok());
  EXPECT_FALSE(parse_position_file(R"([{"inode":1,"pos":1.5,"file":"/a"}])").ok());
  EXPECT_FALSE(parse_position_file(R"([{"inode":1,"pos":0,"file":null}])").ok());
  EXPECT_FALSE(parse_position_file(R"([{"inode":1,"pos":0,"file":"/a","fingerprint":"zz"}])").ok());
  EXPECT_FALSE(parse_position_file(R"({"inode":1})").ok());
  EXPECT_FALSE(parse_position_file(R"([{"inode":1,"pos":0,"file":"/a"})").ok());
  EXPECT_FALSE(parse_position_file("[1]").ok());
}

TEST(PositionFile, IgnoresKeysItDoesNotKnow) {
  auto p = parse_position_file(R"([{"inode":1,"pos":2,"file":"/a","later":{"x":[1]}}])");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p.value()[0].pos, 2u);
}

TEST(PositionFile, WritesFlumesOneLineShapeWithTheFingerprintLast) {
  std::vector<FilePosition> positions = {{2496929, 22, "/tmp/x/file1", std::nullopt},
                                         {5, 1024, "/var/log/a \"b\".log", Fingerprint{256, 0xdeadbeef}}};
  const std::string text = format_position_file(positions);
  EXPECT_EQ(text, R"([{"inode":2496929,"pos":22,"file":"/tmp/x/file1"},)"
                  R"({"inode":5,"pos":1024,"file":"/var/log/a \"b\".log","fingerprint":"256:deadbeef"}])");
  auto back = parse_position_file(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back.value()[1].file, "/var/log/a \"b\".log");
  EXPECT_EQ(back.value()[1].fingerprint, (Fingerprint{256, 0xdeadbeef}));
  EXPECT_EQ(format_position_file({}), "[]");
}

}  // namespace
}  // namespace sluice::tailing
