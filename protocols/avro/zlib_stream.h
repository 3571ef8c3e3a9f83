// Flume's `compression-type = deflate` for Avro RPC. Both ends (Flume's NettyAvroRpcClient and
// AvroSource) put Netty's JZlibEncoder/JZlibDecoder in front of the Avro frame codec, so the
// whole connection, in each direction, is ONE zlib stream (RFC 1950: 2-byte header, deflate
// data, Adler-32 trailer; not raw deflate, not gzip) that lasts as long as the connection.
// The encoder compresses every write, i.e. every Netty frame, and ends it with a sync flush
// (Z_SYNC_FLUSH: an empty stored block, 00 00 FF FF), so the peer can decode each frame as soon
// as it arrives; the stream is finished (Z_FINISH, with its trailer) only when the encoder is
// closed. Frames and compressed blocks are unrelated: the inflated bytes are fed to the frame
// decoder as a plain byte stream.
//
// Threads: one Inflater and one Deflater per connection, used by the thread that owns it.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct z_stream_s;

namespace sluice::avro {

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(Inflater&&) noexcept;
  Inflater& operator=(Inflater&&) noexcept;

  enum class Status : uint8_t {
    ok,        // progress made; call again with the unconsumed input or a fresh output buffer
    finished,  // the peer ended the zlib stream; input after it is not consumed
    error,     // not a zlib stream, or corrupt: close the connection
  };
  struct Result {
    Status status;
    size_t consumed;         // input bytes used
    size_t produced;         // output bytes written
    std::string_view error;  // error only: zlib's message or a static description
  };

  // Inflates from `in` into `out` and stops when the input is used up or `out` is full, so
  // memory stays bounded by the caller's output buffer whatever the compression ratio (a
  // "zip bomb" only makes more calls). After an error or the end of the stream every call
  // returns the same status again.
  Result inflate(std::string_view in, std::span<char> out);

  uint64_t total_in() const;
  uint64_t total_out() const;

 private:
  std::unique_ptr<z_stream_s> z_;
  bool finished_ = false;
  std::string_view error_;
};

struct DeflateOptions {
  // Flume's compression-level default (RpcClientConfigurationConstants) is 6, AvroSource
  // always uses 6.
  int level = 6;
  // zlib's window and memory level: 15 and 8 use about 256 KiB per stream; a response stream
  // (a few bytes per response) does as well with 9 and 1 (a few KiB).
  int window_bits = 15;
  int mem_level = 8;
};

class Deflater {
 public:
  explicit Deflater(DeflateOptions options = {});
  ~Deflater();
  Deflater(Deflater&&) noexcept;
  Deflater& operator=(Deflater&&) noexcept;

  // Appends `in` compressed and sync-flushed to `out`: the peer can inflate everything written
  // so far from what `out` holds. The first call also writes the zlib header.
  void deflate(std::string_view in, std::string& out);
  // Appends the end of the stream (last block and Adler-32 trailer); no deflate() after it.
  void finish(std::string& out);

 private:
  void run(std::string_view in, int flush, std::string& out);

  std::unique_ptr<z_stream_s> z_;
  bool finished_ = false;
};

}  // namespace sluice::avro
