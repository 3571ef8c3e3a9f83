#include "protocols/avro/netty_frame.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "base/bytes.h"

namespace sluice::avro {

namespace {

void append_be32(uint32_t value, std::string& out) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
                         static_cast<char>(value)};
  out.append(bytes, 4);
}

}  // namespace

FrameDecoder::FrameDecoder(FrameLimits limits, ByteBudget* budget) : limits_(limits), gather_(budget) {
  SLUICE_ASSERT(limits_.buffers_max > 0 && limits_.buffer_bytes_max > 0 && limits_.frame_bytes_max > 0,
                "frame limits must be positive");
  SLUICE_ASSERT(limits_.buffers_max <= INT32_MAX && limits_.buffer_bytes_max <= INT32_MAX, "frame limits past int32");
}

FrameDecoder::Result FrameDecoder::fail(size_t consumed, std::string_view error, bool over_limit) {
  state_ = State::error;
  error_ = error;
  error_over_limit_ = over_limit;
  gather_.release();
  gather_bytes_ = 0;
  return {Status::error, consumed, error, over_limit};
}

void FrameDecoder::release_buffer() {
  if (idle() && gather_.capacity() > kBufferKeepBytes) {
    gather_.release();
    gather_bytes_ = 0;
  }
}

bool FrameDecoder::gather(const char* data, size_t n, std::string_view& error) {
  const size_t need = gather_bytes_ + n;
  SLUICE_ASSERT(need <= limits_.frame_bytes_max, "gathered frame past its limit");
  if (need > gather_.capacity()) {
    // Grows with the bytes that arrived, not with the lengths announced: a peer that declares
    // a large buffer and sends nothing costs nothing.
    switch (gather_.reserve(need, limits_.frame_bytes_max)) {
      case PartialBuffer::Grow::ok: break;
      case PartialBuffer::Grow::over_budget:
        error = "the shard's memory for partial frames is spent (maxPartialBytesPerShard)";
        return false;
      case PartialBuffer::Grow::no_memory: error = "out of memory for a partial frame"; return false;
    }
  }
  if (n > 0) std::memcpy(gather_.data() + gather_bytes_, data, n);
  gather_bytes_ = need;
  return true;
}

void FrameDecoder::finish_gathered() {
  buffer_views_.clear();
  size_t begin = 0;
  for (size_t end : buffer_ends_) {
    buffer_views_.emplace_back(gather_.data() + begin, end - begin);
    begin = end;
  }
  frame_.serial = serial_;
  frame_.payload = std::string_view(gather_.data(), gather_bytes_);
  frame_.buffers = buffer_views_;
}

FrameDecoder::Result FrameDecoder::decode(std::string_view chunk) {
  if (state_ == State::error) return {Status::error, 0, error_, error_over_limit_};
  const char* const begin = chunk.data();
  const char* const end = begin + chunk.size();
  const char* p = begin;
  auto used = [&] { return static_cast<size_t>(p - begin); };

  while (p < end) {
    switch (state_) {
      case State::header: {
        // The common case: a whole one-buffer frame in the chunk is handed out in place.
        if (header_bytes_ == 0 && static_cast<size_t>(end - p) >= kFrameHeaderBytes + kBufferHeaderBytes &&
            base::load_be32(p + 4) == 1) {
          const uint32_t length = base::load_be32(p + kFrameHeaderBytes);
          if (length <= limits_.buffer_bytes_max && length <= limits_.frame_bytes_max &&
              static_cast<size_t>(end - p) - kFrameHeaderBytes - kBufferHeaderBytes >= length) {
            frame_.serial = static_cast<int32_t>(base::load_be32(p));
            frame_.payload = std::string_view(p + kFrameHeaderBytes + kBufferHeaderBytes, length);
            buffer_views_.assign(1, frame_.payload);
            frame_.buffers = buffer_views_;
            p += kFrameHeaderBytes + kBufferHeaderBytes + length;
            return {Status::frame, used(), {}};
          }
        }
        const size_t take = std::min(kFrameHeaderBytes - header_bytes_, static_cast<size_t>(end - p));
        std::memcpy(header_ + header_bytes_, p, take);
        header_bytes_ += take;
        p += take;
        if (header_bytes_ < kFrameHeaderBytes) break;
        header_bytes_ = 0;
        serial_ = static_cast<int32_t>(base::load_be32(header_));
        const auto count = static_cast<int32_t>(base::load_be32(header_ + 4));
        if (count < 0) return fail(used(), "negative buffer count");
        if (count == 0) return fail(used(), "frame without buffers");
        if (static_cast<uint32_t>(count) > limits_.buffers_max)
          return fail(used(), "too many buffers in a frame", true);
        buffer_count_ = static_cast<uint32_t>(count);
        buffers_done_ = 0;
        gather_bytes_ = 0;
        buffer_ends_.clear();
        state_ = State::buffer_length;
        break;
      }
      case State::buffer_length: {
        const size_t take = std::min(kBufferHeaderBytes - header_bytes_, static_cast<size_t>(end - p));
        std::memcpy(header_ + header_bytes_, p, take);
        header_bytes_ += take;
        p += take;
        if (header_bytes_ < kBufferHeaderBytes) break;
        header_bytes_ = 0;
        const auto length = static_cast<int32_t>(base::load_be32(header_));
        if (length < 0) return fail(used(), "negative buffer length");
        if (static_cast<uint32_t>(length) > limits_.buffer_bytes_max)
          return fail(used(), "buffer larger than the limit", true);
        if (gather_bytes_ + static_cast<size_t>(length) > limits_.frame_bytes_max)
          return fail(used(), "frame larger than the limit", true);
        buffer_bytes_ = static_cast<uint32_t>(length);
        buffer_bytes_read_ = 0;
        state_ = State::buffer_body;
        [[fallthrough]];
      }
      case State::buffer_body: {
        const size_t take =
            std::min(static_cast<size_t>(buffer_bytes_ - buffer_bytes_read_), static_cast<size_t>(end - p));
        std::string_view refused;
        if (!gather(p, take, refused)) return fail(used(), refused, true);
        p += take;
        buffer_bytes_read_ += static_cast<uint32_t>(take);
        if (buffer_bytes_read_ < buffer_bytes_) break;
        buffer_ends_.push_back(gather_bytes_);
        if (++buffers_done_ < buffer_count_) {
          state_ = State::buffer_length;
          break;
        }
        finish_gathered();
        state_ = State::header;
        return {Status::frame, used(), {}};
      }
      case State::error: SLUICE_UNREACHABLE("frame decoder loop in error state");
    }
  }
  return {Status::need_more, used(), {}};
}

void encode_frame(int32_t serial, std::string_view payload, std::string& out) {
  SLUICE_ASSERT(payload.size() <= INT32_MAX, "frame buffer past int32");
  append_be32(static_cast<uint32_t>(serial), out);
  append_be32(1, out);
  append_be32(static_cast<uint32_t>(payload.size()), out);
  out.append(payload);
}

void encode_frame(int32_t serial, std::span<const std::string_view> buffers, std::string& out) {
  SLUICE_ASSERT(buffers.size() <= INT32_MAX, "frame buffer count past int32");
  append_be32(static_cast<uint32_t>(serial), out);
  append_be32(static_cast<uint32_t>(buffers.size()), out);
  for (std::string_view b : buffers) {
    SLUICE_ASSERT(b.size() <= INT32_MAX, "frame buffer past int32");
    append_be32(static_cast<uint32_t>(b.size()), out);
    out.append(b);
  }
}

}  // namespace sluice::avro
