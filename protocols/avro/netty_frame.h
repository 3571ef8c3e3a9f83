// The framing Avro's Netty transport (NettyTransceiver, NettyServer: NettyFrameDecoder and
// NettyFrameEncoder) puts around every request and response:
//
//   int32 serial | int32 buffer count | count x (int32 length | length bytes)
//
// all big-endian. A request's serial is echoed in its response. Java's Avro splits one message
// over several buffers freely (its ByteBufferOutputStream hands out 8 KiB ByteBuffers, and the
// handshake and the payload are separate buffers), so the buffers mean nothing by themselves:
// the decoder presents a frame's payload as one byte stream.
//
// Threads: one FrameDecoder per connection, used by the thread that owns the connection.
// encode_frame() is pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/avro/byte_budget.h"

namespace sluice::avro {

inline constexpr size_t kFrameHeaderBytes = 8;
inline constexpr size_t kBufferHeaderBytes = 4;

struct FrameLimits {
  // Most buffers in one frame. Java sends one per 8 KiB of message plus one or two.
  uint32_t buffers_max = 4096;
  // Largest single buffer.
  uint32_t buffer_bytes_max = 16u << 20;
  // Most payload bytes in one frame (all buffers together): the largest request accepted.
  size_t frame_bytes_max = size_t{64} << 20;
};

// One decoded frame. The views are valid until the next decode() call and, for a frame that
// lay whole in the chunk given to decode() as a single buffer, while that chunk is.
struct Frame {
  int32_t serial = 0;
  // The buffers' bytes, concatenated in order.
  std::string_view payload;
  // Each buffer, as a view into `payload`.
  std::span<const std::string_view> buffers;
};

class FrameDecoder {
 public:
  // `budget` (may be nullptr) is charged with the gathering buffer (see PartialBuffer).
  explicit FrameDecoder(FrameLimits limits = {}, ByteBudget* budget = nullptr);
  FrameDecoder(FrameDecoder&&) = default;
  FrameDecoder& operator=(FrameDecoder&&) = default;

  enum class Status : uint8_t {
    need_more,  // the chunk was used up without completing a frame
    frame,      // frame() holds a complete frame; feed the chunk's unconsumed rest next
    error,      // not Avro Netty framing, or over a limit: close the connection
  };
  struct Result {
    Status status;
    size_t consumed;         // bytes of the chunk used
    std::string_view error;  // error only: a short, static description
    // error only: a limit was broken (frame or buffer size or count, the budget), rather than
    // the bytes not being Avro Netty framing.
    bool over_limit = false;
  };

  // Feeds the next bytes of the stream, stopping after the first complete frame. A frame with
  // exactly one buffer that lies whole in `chunk` is not copied; anything else is gathered in
  // this decoder's buffer, which grows with the bytes received (not the lengths announced) up
  // to frame_bytes_max, charged to the budget: a growth the budget cannot pay is an error.
  // Limits are checked on each header as soon as it is read, before any allocation. After an
  // error every call returns the error again (and the buffer is released).
  Result decode(std::string_view chunk);

  // The frame of the last decode() that returned Status::frame.
  const Frame& frame() const { return frame_; }

  // True between frames (nothing of a next frame read yet): a clean place for the stream to end.
  bool idle() const { return state_ == State::header && header_bytes_ == 0; }
  // The gathering buffer's allocation (never more than frame_bytes_max, rounded to pages).
  size_t buffer_capacity() const { return gather_.capacity(); }
  // The caller is done with frame(): a gathering buffer larger than kBufferKeepBytes is
  // released (a connection keeps at most that much between frames). No-op mid-frame.
  void release_buffer();
  static constexpr size_t kBufferKeepBytes = 64 * 1024;
  const FrameLimits& limits() const { return limits_; }

 private:
  enum class State : uint8_t { header, buffer_length, buffer_body, error };

  Result fail(size_t consumed, std::string_view error, bool over_limit = false);
  // Completes the frame from the gathered bytes.
  void finish_gathered();
  bool gather(const char* data, size_t n, std::string_view& error);

  FrameLimits limits_;
  State state_ = State::header;
  char header_[kFrameHeaderBytes] = {};
  size_t header_bytes_ = 0;  // bytes of the current 8- or 4-byte header read so far
  int32_t serial_ = 0;
  uint32_t buffer_count_ = 0;
  uint32_t buffers_done_ = 0;
  uint32_t buffer_bytes_ = 0;       // length of the buffer being read
  uint32_t buffer_bytes_read_ = 0;  // of which already gathered
  PartialBuffer gather_;
  size_t gather_bytes_ = 0;
  // Offsets of the gathered buffers' ends in gather_: turned into views when the frame is done.
  std::vector<size_t> buffer_ends_;
  std::vector<std::string_view> buffer_views_;
  Frame frame_;
  std::string_view error_;
  bool error_over_limit_ = false;
};

// Appends a frame with `serial` and one buffer holding `payload` to `out`.
void encode_frame(int32_t serial, std::string_view payload, std::string& out);
// Appends a frame with several buffers (as Java may send them), for tests and clients.
void encode_frame(int32_t serial, std::span<const std::string_view> buffers, std::string& out);

}  // namespace sluice::avro
