#include "sinks/hdfs/avro_file_writer.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "base/assert.h"
#include "protocols/avro/avro_binary.h"
#include "sinks/common/utf8.h"
#include "sinks/hdfs/codec_output.h"

namespace sluice::sinks::hdfs {
namespace {

constexpr int kDeflateDefaultLevel = 6;  // Java's Avro deflate codec (Deflater.DEFAULT_COMPRESSION)

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

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
    if (is_valid_utf8(s)) {
      w.write_string(s);
      return;
    }
    repaired.clear();
    // Avro strings are UTF-8: Java's decoder would have replaced these bytes the same way.
    append_utf8_replacing_invalid(repaired, s);
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

}  // namespace sluice::sinks::hdfs
