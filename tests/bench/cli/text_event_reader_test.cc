#include "bench/cli/text_event_reader.h"

#include <zlib.h>
#include <zstd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sluice::bench {
namespace {

namespace fs = std::filesystem;

std::string gzip(std::string_view plain) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, plain.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(std::string_view plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

class TextEventReaderTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-verify-" + std::to_string(::getpid()) + "-" +
                                        testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view bytes) {
    fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path.string();
  }

  static Result<TextFileResult> read(const std::string& path, std::vector<std::string>& lines) {
    return read_text_events(path, [&](std::string_view line) { lines.emplace_back(line); });
  }

  fs::path dir_;
};

// Lines long enough that a file spans several read chunks and lines straddle them.
std::string many_lines(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += "line " + std::to_string(i) + " " + std::string(1000, 'x') + "\n";
  return out;
}

TEST_F(TextEventReaderTest, ReadsPlainGzipAndZstdAlike) {
  const std::string plain = many_lines(3000);  // ~3 MB: several chunks
  for (auto [name, bytes, encoding] :
       {std::tuple{"p.txt", plain, TextEncoding::plain}, std::tuple{"g.gz", gzip(plain), TextEncoding::gzip},
        std::tuple{"z.zst", zstd(plain), TextEncoding::zstd}}) {
    std::vector<std::string> lines;
    auto r = read(write(name, bytes), lines);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->encoding, encoding) << name;
    EXPECT_FALSE(r->truncated) << name;
    ASSERT_EQ(r->lines, 3000u) << name;
    ASSERT_EQ(lines.size(), 3000u);
    EXPECT_EQ(lines[0], "line 0 " + std::string(1000, 'x'));
    EXPECT_EQ(lines[2999], "line 2999 " + std::string(1000, 'x'));
  }
}

TEST_F(TextEventReaderTest, ReadsConcatenatedGzipMembersAndZstdFrames) {
  std::vector<std::string> lines;
  ASSERT_TRUE(read(write("g.gz", gzip("a\nb\n") + gzip("c\n")), lines).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
  lines.clear();
  ASSERT_TRUE(read(write("z.zst", zstd("a\n") + zstd("b\nc")), lines).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));  // the last line needs no '\n'
}

TEST_F(TextEventReaderTest, ATruncatedStreamKeepsWhatCameBeforeTheCut) {
  // Large enough for several zstd blocks: a cut block yields nothing.
  const std::string plain = many_lines(3000);
  for (const std::string& whole : {gzip(plain), zstd(plain)}) {
    std::vector<std::string> lines;
    auto r = read(write("cut", whole.substr(0, whole.size() * 3 / 4)), lines);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->truncated);
    EXPECT_GT(lines.size(), 0u);
    EXPECT_LT(lines.size(), 3000u);
  }
}

TEST_F(TextEventReaderTest, CorruptDataAndMissingFilesAreErrors) {
  std::vector<std::string> lines;
  std::string bad = gzip(many_lines(10));
  bad[bad.size() / 2] ^= 0x55;
  bad[bad.size() / 2 + 1] ^= 0x55;
  auto r = read(write("bad.gz", bad), lines);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("bad.gz"), std::string::npos) << r.error().message;
  EXPECT_FALSE(read((dir_ / "absent").string(), lines).ok());
  EXPECT_FALSE(read(write("bad.zst", std::string("\x28\xb5\x2f\xfd") + std::string(50, '\x77')), lines).ok());
}

TEST_F(TextEventReaderTest, OverlongLinesAreCutIntoPieces) {
  std::vector<std::string> lines;
  ASSERT_TRUE(read(write("long", std::string(kLineBytesMax + 10, 'y') + "\nz\n"), lines).ok());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), kLineBytesMax);
  EXPECT_EQ(lines[1].size(), 10u);
  EXPECT_EQ(lines[2], "z");
}

TEST_F(TextEventReaderTest, ListsDirectoriesRecursivelyInNameOrderWithoutFilesInUse) {
  write("b/2.txt", "");
  write("b/1.txt", "");
  write("a.txt", "");
  write("c.txt.tmp", "");
  const std::vector<std::string> root{dir_.string()};
  auto listed = list_text_inputs(root, false);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  std::vector<std::string> expected{(dir_ / "a.txt").string(), (dir_ / "b/1.txt").string(),
                                    (dir_ / "b/2.txt").string()};
  EXPECT_EQ(listed.value(), expected);
  listed = list_text_inputs(root, true);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 4u);
  // A file named explicitly is read even when it is in use.
  const std::vector<std::string> one{(dir_ / "c.txt.tmp").string()};
  EXPECT_EQ(list_text_inputs(one, false)->size(), 1u);
  const std::vector<std::string> absent{(dir_ / "nope").string()};
  EXPECT_FALSE(list_text_inputs(absent, false).ok());
}

}  // namespace
}  // namespace sluice::bench
