#include "sinks/hdfs/compressed_file_writer.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/assert.h"
#include "sinks/hdfs/codec_output.h"

namespace sluice::sinks::hdfs {
namespace {

constexpr int kGzipDefaultLevel = 6;  // Hadoop's GzipCodec (zlib's default)

}  // namespace

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
