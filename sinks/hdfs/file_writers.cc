#include "sinks/hdfs/file_writers.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "protocols/avro/avro_binary.h"
#include "base/assert.h"

namespace sluice::sinks::hdfs {
namespace {

// zlib counts in uInt: feed it at most this much per step.
constexpr size_t kZlibStepBytesMax = std::numeric_limits<uInt>::max();
constexpr int kGzipDefaultLevel = 6;                       // Hadoop's GzipCodec (zlib's default)
constexpr int kDeflateDefaultLevel = 6;                    // Java's Avro deflate codec (Deflater.DEFAULT_COMPRESSION)
constexpr int kZstdDefaultLevel = 3;                       // zstd's, Hadoop's and Java's Avro's default
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto low = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return low(x) == low(y);
         });
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes there are not one.
size_t utf8_sequence_length(const uint8_t* p, size_t available) {
  const uint8_t b = p[0];
  if (b < 0x80) return 1;
  size_t n;
  uint32_t min;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (n > available) return 0;
  uint32_t cp = b & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t size = s.size();
  size_t i = 0;
  while (i < size) {
    if (size - i >= 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const size_t n = utf8_sequence_length(p + i, size - i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Avro strings are UTF-8; a byte that is not part of valid UTF-8 becomes U+FFFD, as Java's
// decoder makes it when a Flume source reads such bytes into a String.
void append_utf8_repaired(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(p + i, s.size() - i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
}

// Makes room for at least `bytes` more at the end of `out`; returns where they start.
char* grow(std::string& out, size_t bytes) {
  const size_t old = out.size();
  out.resize(old + bytes);
  return out.data() + old;
}

}  // namespace

// --- names ----------------------------------------------------------------------------------

Result<FileType> parse_file_type(std::string_view name) {
  if (iequals(name, "DataStream")) return FileType::data_stream;
  if (iequals(name, "CompressedStream")) return FileType::compressed_stream;
  if (iequals(name, "SequenceFile"))
    return make_error(
        "hdfs.fileType SequenceFile is not supported: use DataStream (text or avro_event) or "
        "CompressedStream");
  return make_error(fmt::format("unknown hdfs.fileType \"{}\" (expected DataStream or CompressedStream)", name));
}

Result<SerializerType> parse_serializer(std::string_view name) {
  if (iequals(name, "TEXT")) return SerializerType::text;
  if (iequals(name, "HEADER_AND_TEXT")) return SerializerType::header_and_text;
  if (iequals(name, "AVRO_EVENT")) return SerializerType::avro_event;
  if (iequals(name, "JSON")) return SerializerType::json;
  return make_error(
      fmt::format("unknown serializer \"{}\" (expected TEXT, HEADER_AND_TEXT, AVRO_EVENT or JSON; "
                  "serializer classes are not supported)",
                  name));
}

Result<StreamCodec> parse_stream_codec(std::string_view name) {
  for (std::string_view n : {"gzip", "GzipCodec", "org.apache.hadoop.io.compress.GzipCodec"})
    if (iequals(name, n)) return StreamCodec::gzip;
  for (std::string_view n : {"zstd", "zstandard", "ZStandardCodec", "org.apache.hadoop.io.compress.ZStandardCodec"})
    if (iequals(name, n)) return StreamCodec::zstd;
  return make_error(fmt::format("unsupported hdfs.codeC \"{}\" (supported: gzip, zstd)", name));
}

Result<AvroCodec> parse_avro_codec(std::string_view name) {
  if (iequals(name, "null")) return AvroCodec::null;
  if (iequals(name, "deflate")) return AvroCodec::deflate;
  if (iequals(name, "zstandard") || iequals(name, "zstd")) return AvroCodec::zstandard;
  return make_error(fmt::format("unsupported Avro codec \"{}\" (supported: null, deflate, zstandard)", name));
}

std::string_view avro_codec_name(AvroCodec codec) {
  switch (codec) {
    case AvroCodec::null: return "null";
    case AvroCodec::deflate: return "deflate";
    case AvroCodec::zstandard: return "zstandard";
  }
  return "null";
}

std::string_view stream_codec_extension(StreamCodec codec) { return codec == StreamCodec::gzip ? ".gz" : ".zst"; }

Status FileWriterOptions::validate() const {
  if (file_type == FileType::compressed_stream) {
    const bool gzip = stream_codec == StreamCodec::gzip;
    const int max = gzip ? 9 : ZSTD_maxCLevel();
    const int min = gzip ? 0 : -7;
    if (stream_level < min || stream_level > max)
      return make_error(fmt::format("{} level {} out of range ({} to {}; 0: default)", gzip ? "gzip" : "zstd",
                                    stream_level, min, max));
    if (compress_chunk_bytes < 4096 || compress_chunk_bytes > (size_t{16} << 20))
      return make_error("compress_chunk_bytes must be 4 KiB to 16 MiB");
  }
  if (serializer == SerializerType::avro_event) {
    if (avro_sync_interval_bytes < 32 || avro_sync_interval_bytes > (size_t{1} << 30))
      return make_error(fmt::format("syncIntervalBytes {} out of range (32 to 1073741824)", avro_sync_interval_bytes));
    if (avro_codec == AvroCodec::deflate && (avro_level < 0 || avro_level > 9))
      return make_error(fmt::format("deflate level {} out of range (1 to 9; 0: default)", avro_level));
    if (avro_codec == AvroCodec::zstandard && (avro_level < -7 || avro_level > ZSTD_maxCLevel()))
      return make_error(
          fmt::format("zstandard level {} out of range (-7 to {}; 0: default)", avro_level, ZSTD_maxCLevel()));
  }
  return {};
}

Result<std::unique_ptr<FileWriter>> make_file_writer(const FileWriterOptions& options) {
  Status valid = options.validate();
  if (!valid) return make_error(valid.message());
  std::unique_ptr<FileWriter> writer;
  switch (options.serializer) {
    case SerializerType::text:
      writer = std::make_unique<TextFileWriter>(LineFormat::text, options.append_newline);
      break;
    case SerializerType::header_and_text:
      writer = std::make_unique<TextFileWriter>(LineFormat::header_and_text, true);
      break;
    case SerializerType::json:
      writer = std::make_unique<TextFileWriter>(LineFormat::json, true, options.invalid_utf8);
      break;
    case SerializerType::avro_event:
      writer = std::make_unique<AvroFileWriter>(AvroFileWriter::Options{
          options.avro_codec, options.avro_level, options.avro_sync_interval_bytes, options.seed});
      break;
  }
  if (options.file_type == FileType::compressed_stream)
    writer = std::make_unique<CompressedFileWriter>(std::move(writer), options.stream_codec, options.stream_level,
                                                    options.compress_chunk_bytes);
  return writer;
}

// --- text -----------------------------------------------------------------------------------

TextFileWriter::TextFileWriter(LineFormat format, bool append_newline, InvalidUtf8 invalid_utf8)
    : format_(format), append_newline_(append_newline), invalid_utf8_(invalid_utf8) {}

void TextFileWriter::begin(std::string& out) { stats_ = {}; }

void TextFileWriter::append(std::span<const ringbuf::EventView> events, std::string& out) {
  const size_t before = out.size();
  for (const auto& event : events) {
    if (format_ == LineFormat::text) {
      out += event.body();
      if (append_newline_) out += '\n';
    } else {
      if (append_line(out, event, format_, invalid_utf8_)) ++stats_.invalid_utf8_events;
    }
    stats_.body_bytes += event.body().size();
  }
  stats_.events += events.size();
  stats_.uncompressed_bytes += out.size() - before;
  stats_.file_bytes += out.size() - before;
}

void TextFileWriter::flush(std::string& out) {
  if (stats_.flushed_file_bytes != stats_.file_bytes) ++stats_.flushes;
  stats_.flushed_file_bytes = stats_.file_bytes;
}

void TextFileWriter::finish(std::string& out) { flush(out); }

// --- Avro object container files -------------------------------------------------------------

// One block's data through the file's codec: deflate is raw deflate (RFC 1951, no zlib header or
// checksum) ended in every block, as the Avro spec and Java's DeflateCodec have it; zstandard is
// one zstd frame per block with its content size (Java's ZstandardCodec and python3-avro's read
// it; python3-avro reads one frame per block, so it must be exactly one).
class AvroFileWriter::BlockCompressor {
 public:
  BlockCompressor(AvroCodec codec, int level) : codec_(codec) {
    if (codec == AvroCodec::deflate) {
      const int rc =
          deflateInit2(&z_, level == 0 ? kDeflateDefaultLevel : level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
      SLUICE_ASSERT(rc == Z_OK, "deflateInit2 failed (out of memory)");
    } else if (codec == AvroCodec::zstandard) {
      zstd_ = ZSTD_createCCtx();
      SLUICE_ASSERT(zstd_ != nullptr, "ZSTD_createCCtx failed (out of memory)");
      const size_t rc = ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, level == 0 ? kZstdDefaultLevel : level);
      SLUICE_ASSERT(!ZSTD_isError(rc), "zstd rejected the compression level");
    }
  }
  ~BlockCompressor() {
    if (codec_ == AvroCodec::deflate) deflateEnd(&z_);
    if (zstd_ != nullptr) ZSTD_freeCCtx(zstd_);
  }
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;

  // Replaces `out` with `in` compressed.
  void compress(std::string_view in, std::string& out) {
    out.clear();
    if (codec_ == AvroCodec::zstandard) {
      char* dst = grow(out, ZSTD_compressBound(in.size()));
      const size_t n = ZSTD_compress2(zstd_, dst, out.size(), in.data(), in.size());
      SLUICE_ASSERT(!ZSTD_isError(n), "ZSTD_compress2 failed");
      out.resize(n);
      return;
    }
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    int rc = Z_OK;
    size_t left = in.size();
    while (rc != Z_STREAM_END) {
      const size_t step = std::min(left, kZlibStepBytesMax);
      z_.avail_in = static_cast<uInt>(step);
      const size_t room = std::min<size_t>(deflateBound(&z_, static_cast<uLong>(step)) + 64, kZlibStepBytesMax);
      const size_t old = out.size();
      char* dst = grow(out, room);
      z_.next_out = reinterpret_cast<Bytef*>(dst);
      z_.avail_out = static_cast<uInt>(room);
      rc = deflate(&z_, step == left ? Z_FINISH : Z_NO_FLUSH);
      SLUICE_ASSERT(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate failed");
      out.resize(old + room - z_.avail_out);
      left -= step - z_.avail_in;
    }
    deflateReset(&z_);
  }

 private:
  AvroCodec codec_;
  z_stream z_{};
  ZSTD_CCtx* zstd_ = nullptr;
};

AvroFileWriter::AvroFileWriter(const Options& options) : options_(options) {
  if (options.codec != AvroCodec::null) compressor_ = std::make_unique<BlockCompressor>(options.codec, options.level);
  rng_state_ = options.seed != 0 ? options.seed : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
}

AvroFileWriter::~AvroFileWriter() = default;

void AvroFileWriter::begin(std::string& out) {
  stats_ = {};
  block_.clear();
  block_events_ = 0;
  for (size_t i = 0; i < sizeof sync_; i += 8) {
    const uint64_t r = splitmix64(rng_state_);
    std::memcpy(sync_ + i, &r, 8);
  }
  const size_t before = out.size();
  out += std::string_view("Obj\x01", 4);
  avro::Writer w(out);
  w.write_block_count(2);
  w.write_string("avro.schema");
  w.write_bytes(kFlumeEventSchema);
  w.write_string("avro.codec");
  w.write_bytes(avro_codec_name(options_.codec));
  w.write_end_of_blocks();
  out.append(sync_, sizeof sync_);
  stats_.file_bytes = stats_.uncompressed_bytes = out.size() - before;
  stats_.flushed_file_bytes = stats_.file_bytes;
}

void AvroFileWriter::append(std::span<const ringbuf::EventView> events, std::string& out) {
  std::string repaired;  // only for header strings that are not UTF-8: rare, so not kept
  avro::Writer w(block_);
  auto write_string = [&](std::string_view s) {
    if (valid_utf8(s)) {
      w.write_string(s);
      return;
    }
    repaired.clear();
    append_utf8_repaired(repaired, s);
    w.write_string(repaired);
  };
  for (const auto& event : events) {
    // Flume's record: headers (a map written as one block), then body (bytes).
    const size_t headers = event.header_count() + (event.has_timestamp_header() ? 1 : 0);
    if (headers > 0) {
      w.write_block_count(headers);
      event.for_each_header([&](std::string_view key, std::string_view value) {
        write_string(key);
        write_string(value);
      });
    }
    w.write_end_of_blocks();
    w.write_bytes(event.body());
    ++block_events_;
    ++stats_.events;
    stats_.body_bytes += event.body().size();
    // Java's DataFileWriter ends a block once its buffer reaches the sync interval.
    if (block_.size() >= options_.sync_interval_bytes) write_block(out);
  }
}

void AvroFileWriter::write_block(std::string& out) {
  if (block_events_ == 0) return;
  const size_t before = out.size();
  avro::Writer w(out);
  w.write_long(static_cast<int64_t>(block_events_));
  std::string_view data = block_;
  if (compressor_) {
    compressor_->compress(block_, compressed_);
    data = compressed_;
  }
  w.write_long(static_cast<int64_t>(data.size()));
  out += data;
  out.append(sync_, sizeof sync_);
  const size_t written = out.size() - before;
  stats_.file_bytes += written;
  stats_.uncompressed_bytes += written - data.size() + block_.size();
  block_.clear();
  block_events_ = 0;
}

void AvroFileWriter::flush(std::string& out) {
  if (block_events_ > 0) ++stats_.flushes;
  write_block(out);
  stats_.flushed_file_bytes = stats_.file_bytes;
}

void AvroFileWriter::finish(std::string& out) { flush(out); }  // a container file has no trailer

// --- compressed streams ---------------------------------------------------------------------

// A gzip member or zstd frame that can be fed, ended, and started again. The compressor state
// (zlib's or zstd's context) is kept across members and files: nothing is allocated per member.
class CompressedFileWriter::Stream {
 public:
  Stream(StreamCodec codec, int level) : codec_(codec) {
    if (codec == StreamCodec::gzip) {
      // 15 + 16: a gzip wrapper (RFC 1952) around a deflate stream with a 32 KiB window.
      const int rc =
          deflateInit2(&z_, level == 0 ? kGzipDefaultLevel : level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
      SLUICE_ASSERT(rc == Z_OK, "deflateInit2 failed (out of memory)");
    } else {
      zstd_ = ZSTD_createCCtx();
      SLUICE_ASSERT(zstd_ != nullptr, "ZSTD_createCCtx failed (out of memory)");
      size_t rc = ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, level == 0 ? kZstdDefaultLevel : level);
      SLUICE_ASSERT(!ZSTD_isError(rc), "zstd rejected the compression level");
      rc = ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);  // zstdcat checks it, as the zstd CLI writes it
      SLUICE_ASSERT(!ZSTD_isError(rc), "zstd rejected the checksum flag");
    }
  }
  ~Stream() {
    if (codec_ == StreamCodec::gzip) deflateEnd(&z_);
    if (zstd_ != nullptr) ZSTD_freeCCtx(zstd_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Compresses `in` into `out` (some of it may stay in the compressor until end()).
  void write(std::string_view in, std::string& out) { run(in, false, out); }
  // Ends the member/frame (trailer included); the next write() starts a new one.
  void end(std::string& out) {
    run({}, true, out);
    if (codec_ == StreamCodec::gzip) deflateReset(&z_);
  }
  // Drops a member/frame in progress (a file abandoned without finish()).
  void reset() {
    if (codec_ == StreamCodec::gzip) {
      deflateReset(&z_);
    } else {
      ZSTD_CCtx_reset(zstd_, ZSTD_reset_session_only);
    }
  }

 private:
  void run(std::string_view in, bool finish, std::string& out) {
    if (codec_ == StreamCodec::gzip) {
      run_gzip(in, finish, out);
    } else {
      run_zstd(in, finish, out);
    }
  }

  void run_gzip(std::string_view in, bool finish, std::string& out) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    size_t left = in.size();
    for (;;) {
      const size_t step = std::min(left, kZlibStepBytesMax);
      z_.avail_in = static_cast<uInt>(step);
      const bool last = step == left;
      // Input compresses to about its size at worst; a finish adds a block end and the trailer.
      const size_t room = std::min<size_t>(step + step / 8 + 256, kZlibStepBytesMax);
      const size_t old = out.size();
      z_.next_out = reinterpret_cast<Bytef*>(grow(out, room));
      z_.avail_out = static_cast<uInt>(room);
      const int rc = deflate(&z_, last && finish ? Z_FINISH : Z_NO_FLUSH);
      SLUICE_ASSERT(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate failed");
      out.resize(old + room - z_.avail_out);
      left -= step - z_.avail_in;
      if (finish ? rc == Z_STREAM_END : (left == 0 && z_.avail_out != 0)) return;
    }
  }

  void run_zstd(std::string_view in, bool finish, std::string& out) {
    ZSTD_inBuffer src{in.data(), in.size(), 0};
    for (;;) {
      const size_t room = std::max(ZSTD_compressBound(in.size() - src.pos) / 4, ZSTD_CStreamOutSize());
      const size_t old = out.size();
      ZSTD_outBuffer dst{grow(out, room), room, 0};
      const size_t rc = ZSTD_compressStream2(zstd_, &dst, &src, finish ? ZSTD_e_end : ZSTD_e_continue);
      SLUICE_ASSERT(!ZSTD_isError(rc), "ZSTD_compressStream2 failed");
      out.resize(old + dst.pos);
      // e_end: rc is what is left to flush; e_continue: done once the input is taken.
      if (finish ? rc == 0 : src.pos == src.size) return;
    }
  }

  StreamCodec codec_;
  z_stream z_{};
  ZSTD_CCtx* zstd_ = nullptr;
};

CompressedFileWriter::CompressedFileWriter(std::unique_ptr<FileWriter> inner, StreamCodec codec, int level,
                                           size_t chunk_bytes)
    : inner_(std::move(inner)),
      codec_(codec),
      chunk_bytes_(chunk_bytes),
      stream_(std::make_unique<Stream>(codec, level)) {
  SLUICE_ASSERT(inner_ != nullptr, "a compressed stream needs a serializer");
}

CompressedFileWriter::~CompressedFileWriter() = default;

void CompressedFileWriter::compress_scratch(std::string& out) {
  if (scratch_.empty()) return;
  stream_->write(scratch_, out);
  member_open_ = true;
  scratch_.clear();
}

void CompressedFileWriter::end_member(std::string& out) {
  stream_->end(out);
  member_open_ = false;
  ++members_;
}

void CompressedFileWriter::sync_stats(const std::string& out, size_t out_before) {
  const FileStats& in = inner_->stats();
  stats_.events = in.events;
  stats_.body_bytes = in.body_bytes;
  stats_.uncompressed_bytes = in.uncompressed_bytes;
  stats_.invalid_utf8_events = in.invalid_utf8_events;
  stats_.file_bytes += out.size() - out_before;
}

void CompressedFileWriter::begin(std::string& out) {
  const size_t before = out.size();
  stats_ = {};
  members_ = 0;
  member_open_ = false;
  scratch_.clear();
  stream_->reset();
  inner_->begin(scratch_);  // an Avro header, or nothing
  compress_scratch(out);
  sync_stats(out, before);
}

void CompressedFileWriter::append(std::span<const ringbuf::EventView> events, std::string& out) {
  const size_t before = out.size();
  // One event at a time, so that scratch_ stays within a chunk and one event.
  for (size_t i = 0; i < events.size(); ++i) {
    inner_->append(events.subspan(i, 1), scratch_);
    if (scratch_.size() >= chunk_bytes_) compress_scratch(out);
  }
  sync_stats(out, before);
}

void CompressedFileWriter::flush(std::string& out) {
  const size_t before = out.size();
  inner_->flush(scratch_);
  compress_scratch(out);
  if (member_open_) {
    end_member(out);
    ++stats_.flushes;
  }
  sync_stats(out, before);
  stats_.flushed_file_bytes = stats_.file_bytes;
}

void CompressedFileWriter::finish(std::string& out) {
  const size_t before = out.size();
  inner_->finish(scratch_);
  compress_scratch(out);
  // A file needs one member to be a gzip/zstd file at all: an empty one when nothing was written.
  if (member_open_ || members_ == 0) end_member(out);
  sync_stats(out, before);
  stats_.flushed_file_bytes = stats_.file_bytes;
}

}  // namespace sluice::sinks::hdfs
