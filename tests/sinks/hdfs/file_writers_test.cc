// The HDFS file writers, read back by real tools: zcat and zstdcat for CompressedStream files,
// python3-avro's DataFileReader (tests/support/avro_container_dump.py) for Avro containers with
// every codec (zstandard through python3-zstandard), and a strict decoder in this file that
// checks the container's framing byte by byte. Files are written in many appends and flushes;
// every prefix that ends at a flush must read cleanly up to that flush.
#include "sinks/hdfs/file_writers.h"
#include "sinks/hdfs/avro_file_writer.h"
#include "sinks/hdfs/text_file_writer.h"

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/avro/avro_binary.h"
#include "tests/support/allocation_counter.h"
#include "tests/support/event_builder.h"

namespace sluice::sinks::hdfs {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using HeaderMap = std::map<std::string, std::string>;

constexpr const char* kPython = "/usr/bin/python3";

// --- running the real readers ---------------------------------------------------------------

std::string temp_path(const std::string& name) {
  static int counter = 0;
  return ::testing::TempDir() + "/hdfs_writers_" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_" +
         name;
}

std::string write_temp(const std::string& bytes, const std::string& name) {
  const std::string path = temp_path(name);
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(f.good()) << path;
  return path;
}

struct ToolRun {
  int exit_code = -1;
  std::string out;
};

// Runs a shell command and collects its stdout (stderr goes to the test log).
ToolRun run(const std::string& command) {
  ToolRun r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ToolRun decompress_with(const std::string& tool, const std::string& file_bytes) {
  const std::string path = write_temp(file_bytes, "compressed");
  ToolRun r = run(tool + " < " + path);
  std::remove(path.c_str());
  return r;
}

struct Record {
  HeaderMap headers;
  std::string body;
  bool operator==(const Record&) const = default;
};

struct PythonRead {
  int exit_code = -1;
  std::string codec;
  std::string schema_name;
  std::vector<Record> records;
};

PythonRead read_with_python_avro(const std::string& file_bytes) {
  const std::string path = write_temp(file_bytes, "container.avro");
  const ToolRun r = run(std::string(kPython) + " " + SLUICE_AVRO_DUMP + " " + path);
  std::remove(path.c_str());
  PythonRead result;
  result.exit_code = r.exit_code;
  size_t start = 0;
  bool first = true;
  while (start < r.out.size()) {
    size_t nl = r.out.find('\n', start);
    if (nl == std::string::npos) nl = r.out.size();
    const boost::json::object line = boost::json::parse(std::string_view(r.out).substr(start, nl - start)).as_object();
    start = nl + 1;
    if (first) {
      result.codec = line.at("codec").as_string().c_str();
      result.schema_name = line.at("schema").as_object().at("name").as_string().c_str();
      first = false;
      continue;
    }
    Record rec;
    for (const auto& [k, v] : line.at("headers").as_object()) rec.headers[std::string(k)] = v.as_string().c_str();
    const std::string body_hex = line.at("body_hex").as_string().c_str();
    for (size_t i = 0; i + 1 < body_hex.size(); i += 2)
      rec.body += static_cast<char>(std::stoi(body_hex.substr(i, 2), nullptr, 16));
    result.records.push_back(std::move(rec));
  }
  return result;
}

struct JavaRead {
  int exit_code = -1;
  std::string codec;
  std::string schema;
  std::vector<Record> records;
};

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

bool java_available() {
  return std::system("command -v java >/dev/null 2>&1 && test -r /usr/share/java/avro.jar") == 0;
}

// Java's Avro (Debian's libavro-java 1.8.2), through tests/support/avro_java/AvroContainerDump.java.
JavaRead read_with_java_avro(const std::string& file_bytes) {
  const std::string path = write_temp(file_bytes, "container.avro");
  const std::string jars =
      "/usr/share/java/avro.jar:/usr/share/java/jackson-core-asl.jar:"
      "/usr/share/java/jackson-mapper-asl.jar:/usr/share/java/slf4j-api.jar";
  const ToolRun r = run("java -cp " + jars + " " + SLUICE_AVRO_JAVA_DUMP + " " + path);
  std::remove(path.c_str());
  JavaRead result;
  result.exit_code = r.exit_code;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t tab = line.find('\t');
    const std::string kind = line.substr(0, tab), rest = line.substr(tab + 1);
    if (kind == "codec") result.codec = rest;
    if (kind == "schema") result.schema = rest;
    if (kind != "record") continue;
    Record rec;
    const size_t body_tab = rest.find('\t');
    std::string_view headers = std::string_view(rest).substr(0, body_tab);
    while (!headers.empty()) {
      const size_t comma = headers.find(',');
      const std::string_view pair = headers.substr(0, comma);
      const size_t eq = pair.find('=');
      rec.headers[unhex(pair.substr(0, eq))] = unhex(pair.substr(eq + 1));
      headers = comma == std::string_view::npos ? std::string_view() : headers.substr(comma + 1);
    }
    rec.body = unhex(std::string_view(rest).substr(body_tab + 1));
    result.records.push_back(std::move(rec));
  }
  return result;
}

// --- a strict container decoder -------------------------------------------------------------

struct Container {
  std::string error;  // empty when the whole input decoded
  std::map<std::string, std::string> meta;
  std::string sync;
  std::vector<Record> records;
  std::vector<size_t> block_counts;
};

std::string inflate_raw(std::string_view in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
  std::string out;
  char buf[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END) << "a deflate block must be a complete raw deflate stream";
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the deflate stream in a block";
  inflateEnd(&z);
  return out;
}

std::string zstd_one_frame(std::string_view in) {
  EXPECT_EQ(ZSTD_findFrameCompressedSize(in.data(), in.size()), in.size()) << "a block must be exactly one frame";
  const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  EXPECT_NE(size, ZSTD_CONTENTSIZE_UNKNOWN);
  EXPECT_NE(size, ZSTD_CONTENTSIZE_ERROR);
  std::string out(size, '\0');
  EXPECT_EQ(ZSTD_decompress(out.data(), out.size(), in.data(), in.size()), size);
  return out;
}

Container decode_container(std::string_view file) {
  Container c;
  avro::Limits limits;
  limits.length_bytes_max = size_t{1} << 30;
  if (file.substr(0, 4) != std::string_view("Obj\x01", 4)) {
    c.error = "no magic";
    return c;
  }
  avro::Reader r(file.substr(4), limits);
  r.read_map(1, [&](std::string_view key) {
    std::string_view value;
    if (!r.read_bytes(value)) return false;
    c.meta[std::string(key)] = std::string(value);
    return true;
  });
  std::string_view sync;
  if (!r.read_fixed(16, sync)) {
    c.error = "bad header";
    return c;
  }
  c.sync = std::string(sync);
  while (r.ok() && r.remaining() > 0) {
    int64_t count = 0, size = 0;
    std::string_view data, block_sync;
    if (!r.read_long(count) || !r.read_long(size) || size < 0 || !r.read_fixed(static_cast<size_t>(size), data) ||
        !r.read_fixed(16, block_sync)) {
      c.error = "truncated block";
      return c;
    }
    if (block_sync != c.sync) {
      c.error = "sync marker mismatch";
      return c;
    }
    std::string plain;
    const std::string& codec = c.meta["avro.codec"];
    if (codec == "deflate") {
      plain = inflate_raw(data);
    } else if (codec == "zstandard") {
      plain = zstd_one_frame(data);
    } else {
      plain = std::string(data);
    }
    avro::Reader records(plain, limits);
    for (int64_t i = 0; i < count; ++i) {
      Record rec;
      std::string_view body;
      records.read_map(1, [&](std::string_view key) {
        std::string_view value;
        if (!records.read_string(value)) return false;
        rec.headers[std::string(key)] = std::string(value);
        return true;
      });
      if (!records.read_bytes(body)) {
        c.error = "bad record";
        return c;
      }
      rec.body = std::string(body);
      c.records.push_back(std::move(rec));
    }
    if (!records.expect_end()) {
      c.error = "block count does not match its data";
      return c;
    }
    c.block_counts.push_back(static_cast<size_t>(count));
  }
  if (!r.ok()) c.error = std::string(avro::errc_reason(r.error()));
  return c;
}

// --- events ---------------------------------------------------------------------------------

// Events with a folded timestamp, well-known and inline headers, and varied bodies.
struct Corpus {
  testing::EventBuffer buffer;
  std::vector<ringbuf::EventView> views;
  std::vector<Record> records;

  void add(Headers headers, std::string body, int64_t ts = 1700000000000) {
    Record rec;
    for (const auto& [k, v] : headers) rec.headers[k] = v;
    rec.body = body;
    records.push_back(std::move(rec));
    views.push_back(buffer.add(std::move(headers), std::move(body), ts));
  }

  static Corpus typical(int n) {
    Corpus c;
    for (int i = 0; i < n; ++i) {
      const int64_t ts = 1700000000000 + i;
      Headers h = {{"timestamp", std::to_string(ts)}, {"host", "web-" + std::to_string(i % 7)}};
      if (i % 3 == 0) h.emplace_back("Severity", std::to_string(i % 8));
      if (i % 5 == 0) h.emplace_back("custom.key", "value with spaces and \"quotes\" " + std::to_string(i));
      std::string body = "event " + std::to_string(i) + " " + std::string(static_cast<size_t>(i * 37 % 300), 'x');
      c.add(std::move(h), std::move(body), ts);
    }
    return c;
  }
};

std::string text_lines(const std::vector<Record>& records, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += records[i].body + "\n";
  return out;
}

std::unique_ptr<FileWriter> make(const FileWriterOptions& o) {
  auto w = make_file_writer(o);
  EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
  return w.ok() ? std::move(w).value() : nullptr;
}

// Writes `corpus` in batches of varying size (some empty), flushing after most of them and
// sending (moving to `file`) after every call; records where each flush ended.
struct Written {
  std::string file;
  std::vector<size_t> flush_offsets;  // file sizes right after flushes
  std::vector<size_t> flush_events;   // events written by then
  std::vector<size_t> mid_offsets;    // file sizes after appends that were not flushed
};

Written write_in_batches(FileWriter& writer, const Corpus& corpus) {
  Written w;
  std::string out;
  writer.begin(out);
  w.file += out;
  out.clear();
  size_t i = 0;
  for (size_t batch = 0; i < corpus.views.size(); ++batch) {
    const size_t n = std::min<size_t>(batch % 4 == 3 ? 0 : 1 + batch * 7 % 23, corpus.views.size() - i);
    writer.append(std::span(corpus.views).subspan(i, n), out);
    i += n;
    w.file += out;
    out.clear();
    if (batch % 3 == 1) {
      w.mid_offsets.push_back(w.file.size());
      continue;
    }
    writer.flush(out);
    w.file += out;
    out.clear();
    w.flush_offsets.push_back(w.file.size());
    w.flush_events.push_back(i);
    EXPECT_EQ(writer.stats().flushed_file_bytes, w.file.size());
  }
  writer.finish(out);
  w.file += out;
  EXPECT_EQ(writer.stats().file_bytes, w.file.size());
  EXPECT_EQ(writer.stats().flushed_file_bytes, w.file.size());
  EXPECT_EQ(writer.stats().events, corpus.views.size());
  return w;
}

// --- text -----------------------------------------------------------------------------------

TEST(TextFileWriter, Formats) {
  Corpus c;
  c.add({{"host", "h1"}, {"k", "v"}}, "hello");
  c.add({}, "world");
  auto run_format = [&](SerializerType s, bool newline) {
    FileWriterOptions o;
    o.serializer = s;
    o.append_newline = newline;
    auto w = make(o);
    std::string out;
    w->begin(out);
    w->append(c.views, out);
    w->finish(out);
    EXPECT_EQ(w->stats().events, 2u);
    EXPECT_EQ(w->stats().body_bytes, 10u);
    EXPECT_EQ(w->stats().file_bytes, out.size());
    EXPECT_EQ(w->stats().uncompressed_bytes, out.size());
    EXPECT_EQ(w->extension(), "");
    return out;
  };
  EXPECT_EQ(run_format(SerializerType::text, true), "hello\nworld\n");
  EXPECT_EQ(run_format(SerializerType::text, false), "helloworld");
  EXPECT_EQ(run_format(SerializerType::header_and_text, true), "{host=h1, k=v} hello\n{} world\n");
  EXPECT_EQ(run_format(SerializerType::json, true),
            "{\"headers\":{\"host\":\"h1\",\"k\":\"v\"},\"body\":\"hello\"}\n{\"headers\":{},\"body\":\"world\"}\n");
}

// The JSON serializer's rule for invalid UTF-8 (sinks/common/utf8.h): a raw 0xFF, a real "ÿ"
// (C3 BF), a truncated sequence and a surrogate read back, through a real JSON parser, as
// U+FFFD, "ÿ", one U+FFFD and three; the writer counts the events it repaired, also through a
// compressed stream.
TEST(TextFileWriter, JsonReplacesInvalidUtf8AndCountsTheEvents) {
  Corpus c;
  c.add({{"h", "\xFF"}}, "\xFF");
  c.add({}, "\xC3\xBF");
  c.add({}, "x\xE2\x82");
  c.add({}, "\xED\xA0\x80");
  const std::string expected[] = {"\xEF\xBF\xBD", "\xC3\xBF", "x\xEF\xBF\xBD", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"};
  for (FileType type : {FileType::data_stream, FileType::compressed_stream}) {
    FileWriterOptions o;
    o.serializer = SerializerType::json;
    o.file_type = type;
    auto w = make(o);
    std::string out;
    w->begin(out);
    w->append(c.views, out);
    EXPECT_EQ(w->stats().invalid_utf8_events, 3u);
    w->finish(out);
    EXPECT_EQ(w->stats().invalid_utf8_events, 3u);
    if (type == FileType::compressed_stream) {
      ToolRun r = decompress_with("zcat", out);
      ASSERT_EQ(r.exit_code, 0);
      out = r.out;
    }
    size_t start = 0;
    for (const std::string& body : expected) {
      const size_t nl = out.find('\n', start);
      ASSERT_NE(nl, std::string::npos);
      const boost::json::object line = boost::json::parse(std::string_view(out).substr(start, nl - start)).as_object();
      EXPECT_EQ(std::string_view(line.at("body").as_string()), body);
      start = nl + 1;
    }
    w->begin(out);
    EXPECT_EQ(w->stats().invalid_utf8_events, 0u) << "per file";
  }
}

TEST(TextFileWriter, JsonBase64KeepsTheRawBody) {
  Corpus c;
  c.add({}, "\xFF\xFE");
  c.add({}, "\xC3\xBF");
  FileWriterOptions o;
  o.serializer = SerializerType::json;
  o.invalid_utf8 = InvalidUtf8::base64;
  auto w = make(o);
  std::string out;
  w->begin(out);
  w->append(c.views, out);
  w->finish(out);
  EXPECT_EQ(out, "{\"headers\":{},\"bodyBase64\":\"//4=\"}\n{\"headers\":{},\"body\":\"\xC3\xBF\"}\n");
  EXPECT_EQ(w->stats().invalid_utf8_events, 1u);
}

TEST(TextFileWriter, EmptyFileAndReuse) {
  auto w = make({});
  std::string out;
  w->begin(out);
  w->finish(out);
  EXPECT_EQ(out, "");
  EXPECT_EQ(w->stats().flushes, 0u);
  Corpus c = Corpus::typical(3);
  w->begin(out);
  w->append(c.views, out);
  w->flush(out);
  EXPECT_EQ(w->stats().flushes, 1u);
  w->flush(out);  // nothing new: not counted
  EXPECT_EQ(w->stats().flushes, 1u);
  w->finish(out);
  EXPECT_EQ(out, text_lines(c.records, 3));
}

// --- compressed streams ---------------------------------------------------------------------

struct StreamCase {
  StreamCodec codec;
  const char* tool;
};

void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.tool; }

class CompressedStream : public ::testing::TestWithParam<StreamCase> {
 protected:
  FileWriterOptions options() const {
    FileWriterOptions o;
    o.file_type = FileType::compressed_stream;
    o.stream_codec = GetParam().codec;
    o.compress_chunk_bytes = 4096;  // small, so that appends cross chunk boundaries
    return o;
  }
};

TEST_P(CompressedStream, ManyFlushesReadBackWithTheRealTool) {
  const Corpus corpus = Corpus::typical(400);
  auto writer = make(options());
  const Written w = write_in_batches(*writer, corpus);
  EXPECT_EQ(writer->extension(), GetParam().codec == StreamCodec::gzip ? ".gz" : ".zst");
  const ToolRun all = decompress_with(GetParam().tool, w.file);
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(all.out, text_lines(corpus.records, corpus.records.size()));
  EXPECT_EQ(writer->stats().uncompressed_bytes, all.out.size());
  EXPECT_LT(w.file.size(), all.out.size() / 2);
  // Cut after any flush: a complete file with everything flushed so far.
  ASSERT_GT(w.flush_offsets.size(), 10u);
  for (size_t k = 0; k < w.flush_offsets.size(); k += 3) {
    const ToolRun cut = decompress_with(GetParam().tool, w.file.substr(0, w.flush_offsets[k]));
    EXPECT_EQ(cut.exit_code, 0) << "cut after flush " << k;
    EXPECT_EQ(cut.out, text_lines(corpus.records, w.flush_events[k])) << "cut after flush " << k;
  }
}

TEST_P(CompressedStream, TornTailStillReadsUpToTheLastFlush) {
  // What a crash leaves: a flush, then a long append whose compressed bytes were partly sent.
  // Bodies that do not compress much, so that the compressor sends bytes before the flush.
  Corpus corpus;
  uint64_t rng = 1;
  for (int i = 0; i < 3000; ++i) {
    std::string body;
    for (int j = 0; j < 20; ++j) {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      body += std::to_string(rng >> 33);
    }
    corpus.add({}, body);
  }
  auto writer = make(options());
  std::string file;
  writer->begin(file);
  writer->append(std::span(corpus.views).subspan(0, 40), file);
  writer->flush(file);
  const size_t flushed = file.size();
  writer->append(std::span(corpus.views).subspan(40), file);
  ASSERT_GT(file.size(), flushed + 1000) << "the compressor sent nothing of a long append";
  for (size_t cut : {file.size(), flushed + (file.size() - flushed) / 2, flushed + 3}) {
    const ToolRun r = decompress_with(GetParam().tool, file.substr(0, cut));
    // (zstd ignores up to 3 stray bytes after a frame.)
    if (cut >= flushed + 4) {
      EXPECT_NE(r.exit_code, 0) << "a torn member/frame went unnoticed at " << cut;
    }
    const std::string expected = text_lines(corpus.records, 40);
    EXPECT_EQ(r.out.substr(0, expected.size()), expected) << "cut at " << cut;
  }
  // Cutting back to the flush (what recovery does) gives a clean file.
  const ToolRun clean = decompress_with(GetParam().tool, file.substr(0, flushed));
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_EQ(clean.out, text_lines(corpus.records, 40));
}

TEST_P(CompressedStream, EmptyFileIsStillAValidFile) {
  auto writer = make(options());
  std::string out;
  writer->begin(out);
  EXPECT_EQ(out, "");
  writer->flush(out);  // nothing written: no member
  EXPECT_EQ(out, "");
  EXPECT_EQ(writer->stats().flushes, 0u);
  writer->finish(out);
  EXPECT_GT(out.size(), 8u);
  const ToolRun r = decompress_with(GetParam().tool, out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

TEST_P(CompressedStream, ReusedForManyFilesAndLargeBodies) {
  auto writer = make(options());
  for (int file = 0; file < 3; ++file) {
    Corpus c;
    c.add({{"n", std::to_string(file)}}, std::string(3 << 20, static_cast<char>('a' + file)));
    c.add({}, "small");
    c.add({}, std::string(100'000, 'z'));
    std::string out;
    writer->begin(out);
    writer->append(std::span(c.views).subspan(0, 1), out);
    writer->flush(out);
    writer->append(std::span(c.views).subspan(1), out);
    writer->finish(out);
    EXPECT_EQ(writer->stats().events, 3u);
    EXPECT_EQ(writer->stats().flushes, 1u);
    const ToolRun r = decompress_with(GetParam().tool, out);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, text_lines(c.records, 3)) << "file " << file;
  }
}

TEST_P(CompressedStream, AbandonedFileDoesNotLeakIntoTheNext) {
  auto writer = make(options());
  Corpus c = Corpus::typical(50);
  std::string out;
  writer->begin(out);
  writer->append(c.views, out);  // never flushed or finished: the file is given up
  out.clear();
  writer->begin(out);
  writer->append(std::span(c.views).subspan(0, 2), out);
  writer->finish(out);
  EXPECT_EQ(writer->stats().events, 2u);
  const ToolRun r = decompress_with(GetParam().tool, out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, text_lines(c.records, 2));
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressedStream,
                         ::testing::Values(StreamCase{StreamCodec::gzip, "zcat"},
                                           StreamCase{StreamCodec::zstd, "zstdcat"}),
                         [](const auto& info) { return info.param.codec == StreamCodec::gzip ? "gzip" : "zstd"; });

TEST(CompressedStreamMembers, EveryFlushEndsAGzipMember) {
  FileWriterOptions o;
  o.file_type = FileType::compressed_stream;
  auto writer = make(o);
  Corpus c = Corpus::typical(10);
  std::string out;
  writer->begin(out);
  for (size_t i = 0; i < 10; ++i) {
    writer->append(std::span(c.views).subspan(i, 1), out);
    writer->flush(out);
  }
  writer->finish(out);
  EXPECT_EQ(writer->stats().flushes, 10u);
  // Walk the members with zlib: ten of them, back to back.
  size_t members = 0, pos = 0;
  while (pos < out.size()) {
    z_stream z{};
    ASSERT_EQ(inflateInit2(&z, 16 + 15), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(out.data() + pos);
    z.avail_in = static_cast<uInt>(out.size() - pos);
    char buf[4096];
    int rc;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
    } while (rc == Z_OK);
    ASSERT_EQ(rc, Z_STREAM_END);
    pos = out.size() - z.avail_in;
    inflateEnd(&z);
    ++members;
  }
  EXPECT_EQ(members, 10u);
}

TEST(CompressedStreamMembers, EveryFlushEndsAZstdFrame) {
  FileWriterOptions o;
  o.file_type = FileType::compressed_stream;
  o.stream_codec = StreamCodec::zstd;
  auto writer = make(o);
  Corpus c = Corpus::typical(10);
  std::string out;
  writer->begin(out);
  for (size_t i = 0; i < 10; ++i) {
    writer->append(std::span(c.views).subspan(i, 1), out);
    writer->flush(out);
  }
  writer->finish(out);
  size_t frames = 0, pos = 0;
  while (pos < out.size()) {
    const size_t n = ZSTD_findFrameCompressedSize(out.data() + pos, out.size() - pos);
    ASSERT_FALSE(ZSTD_isError(n));
    pos += n;
    ++frames;
  }
  EXPECT_EQ(frames, 10u);
}

// --- Avro containers ------------------------------------------------------------------------

class AvroContainer : public ::testing::TestWithParam<AvroCodec> {
 protected:
  FileWriterOptions options(size_t sync_interval = 4096) const {
    FileWriterOptions o;
    o.serializer = SerializerType::avro_event;
    o.avro_codec = GetParam();
    o.avro_sync_interval_bytes = sync_interval;
    o.seed = 42;
    return o;
  }
};

TEST_P(AvroContainer, HeaderIsFlumesSchemaAndCodec) {
  auto writer = make(options());
  std::string out;
  writer->begin(out);
  const Container c = decode_container(out);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.meta.size(), 2u);
  EXPECT_EQ(c.meta.at("avro.schema"), kFlumeEventSchema);
  EXPECT_EQ(c.meta.at("avro.codec"), avro_codec_name(GetParam()));
  EXPECT_EQ(c.sync, static_cast<const AvroFileWriter&>(*writer).sync_marker());
  EXPECT_TRUE(c.records.empty());
  // A new file gets a new sync marker.
  std::string second;
  writer->begin(second);
  EXPECT_NE(decode_container(second).sync, c.sync);
}

TEST_P(AvroContainer, PythonReadsEveryEventAndHeader) {
  const Corpus corpus = Corpus::typical(300);
  auto writer = make(options());
  const Written w = write_in_batches(*writer, corpus);

  const Container mine = decode_container(w.file);
  EXPECT_EQ(mine.error, "");
  EXPECT_EQ(mine.records, corpus.records);
  EXPECT_GT(mine.block_counts.size(), w.flush_offsets.size() / 2);

  const PythonRead py = read_with_python_avro(w.file);
  ASSERT_EQ(py.exit_code, 0) << "python3-avro could not read the file (the zstandard codec needs python3-zstandard, "
                                "which scripts/setup installs)";
  EXPECT_EQ(py.codec, avro_codec_name(GetParam()));
  EXPECT_EQ(py.schema_name, "Event");
  ASSERT_EQ(py.records.size(), corpus.records.size());
  EXPECT_EQ(py.records, corpus.records);
}

TEST_P(AvroContainer, EveryFlushEndsABlock) {
  const Corpus corpus = Corpus::typical(120);
  auto writer = make(options(1 << 20));  // blocks end only at flushes
  const Written w = write_in_batches(*writer, corpus);
  for (size_t k = 0; k < w.flush_offsets.size(); ++k) {
    const Container cut = decode_container(std::string_view(w.file).substr(0, w.flush_offsets[k]));
    EXPECT_EQ(cut.error, "") << "cut after flush " << k;
    EXPECT_EQ(cut.records.size(), w.flush_events[k]) << "cut after flush " << k;
  }
  // python3-avro, at a few of the cuts.
  for (size_t k = 0; k < w.flush_offsets.size(); k += 4) {
    const PythonRead py = read_with_python_avro(w.file.substr(0, w.flush_offsets[k]));
    EXPECT_EQ(py.exit_code, 0) << "cut after flush " << k;
    ASSERT_EQ(py.records.size(), w.flush_events[k]);
    EXPECT_TRUE(std::equal(py.records.begin(), py.records.end(), corpus.records.begin()));
  }
  // A cut inside a block (an APPEND torn by a crash): the reader stops with an error after the
  // records of the complete blocks.
  const PythonRead torn = read_with_python_avro(w.file.substr(0, w.flush_offsets[3] + 5));
  EXPECT_NE(torn.exit_code, 0);
  EXPECT_EQ(torn.records.size(), w.flush_events[3]);
}

TEST_P(AvroContainer, EmptyFile) {
  auto writer = make(options());
  std::string out;
  writer->begin(out);
  const size_t header = out.size();
  writer->flush(out);
  writer->finish(out);
  EXPECT_EQ(out.size(), header);
  EXPECT_EQ(writer->stats().flushes, 0u);
  const PythonRead py = read_with_python_avro(out);
  EXPECT_EQ(py.exit_code, 0);
  EXPECT_TRUE(py.records.empty());
}

TEST_P(AvroContainer, BinaryAndLargeBodiesAndOddHeaders) {
  Corpus c;
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  c.add({{"k", "v"}}, all_bytes);
  c.add({}, "");
  c.add({{"empty", ""}, {"utf8", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"}}, std::string(3 << 20, '\0'));
  c.add({{"timestamp", "1700000000000"}, {"host", "h"}, {"Facility", "3"}}, "folded timestamp", 1700000000000);
  // Header bytes that are not UTF-8 become U+FFFD, as Java's decoding would have made them.
  c.add({{"bad\xFF", "a\x80z\xC3"}}, "x");
  c.records.back().headers = {{"bad\xEF\xBF\xBD", "a\xEF\xBF\xBDz\xEF\xBF\xBD"}};
  auto writer = make(options(2'048'000));
  std::string out;
  writer->begin(out);
  writer->append(c.views, out);
  writer->finish(out);
  EXPECT_EQ(writer->stats().body_bytes, 256u + (3u << 20) + 16 + 1);
  const Container mine = decode_container(out);
  EXPECT_EQ(mine.error, "");
  EXPECT_EQ(mine.records, c.records);
  EXPECT_EQ(mine.block_counts, (std::vector<size_t>{3, 2}));  // the 3 MiB body ends a block
  const PythonRead py = read_with_python_avro(out);
  ASSERT_EQ(py.exit_code, 0);
  EXPECT_EQ(py.records, c.records);
}

TEST_P(AvroContainer, BlocksFollowTheSyncInterval) {
  const Corpus corpus = Corpus::typical(200);
  auto writer = make(options(1000));
  std::string out;
  writer->begin(out);
  writer->append(corpus.views, out);  // blocks end inside one append
  const Container sent = decode_container(out);
  EXPECT_EQ(sent.error, "");  // only whole blocks leave the writer
  EXPECT_GT(sent.block_counts.size(), 10u);
  writer->finish(out);
  const Container c = decode_container(out);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.records, corpus.records);
  EXPECT_GT(c.block_counts.size(), 10u);
  // Every block but the last holds at least the interval: about 1000 bytes of ~180-byte events.
  for (size_t i = 0; i + 1 < c.block_counts.size(); ++i) EXPECT_GE(c.block_counts[i], 3u);
}

INSTANTIATE_TEST_SUITE_P(Codecs, AvroContainer,
                         ::testing::Values(AvroCodec::null, AvroCodec::deflate, AvroCodec::zstandard),
                         [](const auto& info) { return std::string(avro_codec_name(info.param)); });

TEST(AvroInCompressedStream, GzipOfAContainer) {
  FileWriterOptions o;
  o.file_type = FileType::compressed_stream;
  o.serializer = SerializerType::avro_event;
  o.avro_codec = AvroCodec::null;
  const Corpus corpus = Corpus::typical(100);
  auto writer = make(o);
  const Written w = write_in_batches(*writer, corpus);
  const ToolRun unzipped = decompress_with("zcat", w.file);
  ASSERT_EQ(unzipped.exit_code, 0);
  EXPECT_EQ(writer->stats().uncompressed_bytes, unzipped.out.size());
  const PythonRead py = read_with_python_avro(unzipped.out);
  EXPECT_EQ(py.exit_code, 0);
  EXPECT_EQ(py.records, corpus.records);
  const ToolRun cut = decompress_with("zcat", w.file.substr(0, w.flush_offsets[2]));
  ASSERT_EQ(cut.exit_code, 0);
  EXPECT_EQ(decode_container(cut.out).records.size(), w.flush_events[2]);
}

TEST(AvroJava, JavaAvroReadsNullAndDeflateContainers) {
  if (!java_available()) GTEST_SKIP() << "java or libavro-java is not installed (scripts/setup installs them)";
  Corpus corpus = Corpus::typical(150);
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  corpus.add({{"utf8", "caf\xC3\xA9 \xF0\x9F\x98\x80"}, {"empty", ""}}, all_bytes);
  corpus.add({}, "");
  for (AvroCodec codec : {AvroCodec::null, AvroCodec::deflate}) {
    FileWriterOptions o;
    o.serializer = SerializerType::avro_event;
    o.avro_codec = codec;
    o.avro_sync_interval_bytes = 2000;
    auto writer = make(o);
    const Written w = write_in_batches(*writer, corpus);
    const JavaRead java = read_with_java_avro(w.file);
    EXPECT_EQ(java.exit_code, 0) << avro_codec_name(codec);
    EXPECT_EQ(java.codec, avro_codec_name(codec));
    // Java prints the schema it parsed from avro.schema exactly as written: the text is Java's
    // own rendering of Flume's schema, as FlumeEventAvroEventSerializer would have written it.
    EXPECT_EQ(java.schema, kFlumeEventSchema);
    EXPECT_EQ(java.records, corpus.records) << avro_codec_name(codec);
    // And at a cut after a flush.
    const JavaRead cut = read_with_java_avro(w.file.substr(0, w.flush_offsets[5]));
    EXPECT_EQ(cut.exit_code, 0);
    EXPECT_EQ(cut.records.size(), w.flush_events[5]);
  }
}

// --- steady state ---------------------------------------------------------------------------

TEST(FileWriters, WarmWritersDoNotAllocate) {
  Corpus corpus = Corpus::typical(64);
  corpus.add({{"bad", "\xFF"}}, "invalid \xF0\x9F\x98 UTF-8 \xED\xA0\x80");  // replaced in place, no allocation
  std::vector<FileWriterOptions> all;
  for (SerializerType s : {SerializerType::text, SerializerType::json, SerializerType::avro_event}) {
    for (int compressed = 0; compressed < 3; ++compressed) {
      for (AvroCodec a : {AvroCodec::null, AvroCodec::deflate, AvroCodec::zstandard}) {
        if (s != SerializerType::avro_event && a != AvroCodec::null) continue;
        FileWriterOptions o;
        o.serializer = s;
        o.avro_codec = a;
        o.avro_sync_interval_bytes = 8192;
        o.file_type = compressed == 0 ? FileType::data_stream : FileType::compressed_stream;
        o.stream_codec = compressed == 2 ? StreamCodec::zstd : StreamCodec::gzip;
        all.push_back(o);
      }
    }
  }
  for (const FileWriterOptions& o : all) {
    auto writer = make(o);
    std::string out;
    out.reserve(1 << 20);
    auto one_file = [&] {
      out.clear();
      writer->begin(out);
      for (int batch = 0; batch < 4; ++batch) {
        writer->append(corpus.views, out);
        writer->flush(out);
      }
      writer->finish(out);
    };
    one_file();
    one_file();
    const uint64_t before = testing::allocations_on_this_thread();
    one_file();
    one_file();
    EXPECT_EQ(testing::allocations_on_this_thread(), before)
        << "serializer " << static_cast<int>(o.serializer) << " avro codec " << static_cast<int>(o.avro_codec)
        << " file type " << static_cast<int>(o.file_type) << " stream codec " << static_cast<int>(o.stream_codec);
  }
}

// --- names and options ----------------------------------------------------------------------

TEST(FileWriterNames, FlumeNames) {
  EXPECT_EQ(parse_file_type("DataStream").value(), FileType::data_stream);
  EXPECT_EQ(parse_file_type("compressedstream").value(), FileType::compressed_stream);
  auto seq = parse_file_type("SequenceFile");
  ASSERT_FALSE(seq.ok());
  EXPECT_NE(seq.error().message.find("not supported"), std::string::npos);
  EXPECT_FALSE(parse_file_type("Parquet").ok());

  EXPECT_EQ(parse_serializer("text").value(), SerializerType::text);
  EXPECT_EQ(parse_serializer("HEADER_AND_TEXT").value(), SerializerType::header_and_text);
  EXPECT_EQ(parse_serializer("avro_event").value(), SerializerType::avro_event);
  EXPECT_EQ(parse_serializer("json").value(), SerializerType::json);
  EXPECT_FALSE(parse_serializer("org.example.MySerializer$Builder").ok());

  for (const char* gz : {"gzip", "GZIP", "GzipCodec", "org.apache.hadoop.io.compress.GzipCodec"})
    EXPECT_EQ(parse_stream_codec(gz).value(), StreamCodec::gzip) << gz;
  for (const char* zs :
       {"zstd", "zstandard", "ZStandard", "ZStandardCodec", "org.apache.hadoop.io.compress.ZStandardCodec"})
    EXPECT_EQ(parse_stream_codec(zs).value(), StreamCodec::zstd) << zs;
  for (const char* bad : {"bzip2", "snappy", "lzo", "", "gz"}) EXPECT_FALSE(parse_stream_codec(bad).ok()) << bad;

  EXPECT_EQ(parse_avro_codec("null").value(), AvroCodec::null);
  EXPECT_EQ(parse_avro_codec("deflate").value(), AvroCodec::deflate);
  EXPECT_EQ(parse_avro_codec("zstandard").value(), AvroCodec::zstandard);
  EXPECT_EQ(parse_avro_codec("zstd").value(), AvroCodec::zstandard);
  for (const char* bad : {"snappy", "bzip2", "xz", "gzip"}) EXPECT_FALSE(parse_avro_codec(bad).ok()) << bad;
  EXPECT_EQ(stream_codec_extension(StreamCodec::gzip), ".gz");
  EXPECT_EQ(stream_codec_extension(StreamCodec::zstd), ".zst");
}

TEST(FileWriterOptionsTest, Validation) {
  FileWriterOptions o;
  EXPECT_TRUE(o.validate().ok());
  o.serializer = SerializerType::avro_event;
  o.avro_sync_interval_bytes = 31;
  EXPECT_FALSE(o.validate().ok());
  o.avro_sync_interval_bytes = (size_t{1} << 30) + 1;
  EXPECT_FALSE(o.validate().ok());
  EXPECT_FALSE(make_file_writer(o).ok());
  o.avro_sync_interval_bytes = 32;
  EXPECT_TRUE(o.validate().ok());
  o.avro_codec = AvroCodec::deflate;
  o.avro_level = 10;
  EXPECT_FALSE(o.validate().ok());
  o.avro_level = 9;
  EXPECT_TRUE(o.validate().ok());
  o.file_type = FileType::compressed_stream;
  o.stream_level = 10;
  EXPECT_FALSE(o.validate().ok());
  o.stream_codec = StreamCodec::zstd;
  EXPECT_TRUE(o.validate().ok());
  o.stream_level = 23;
  EXPECT_FALSE(o.validate().ok());
  o.stream_level = 0;
  o.compress_chunk_bytes = 100;
  EXPECT_FALSE(o.validate().ok());
}

}  // namespace
}  // namespace sluice::sinks::hdfs
