// RFC 6587 framing of a syslog TCP stream, detected per message: a frame that starts with a
// digit is octet-counted ("LEN SP MSG", LEN 1-9 digits without a leading zero), anything else
// ends at LF (a trailing CR is dropped). LF, CR and NUL between frames are skipped. An
// octet-counted frame whose last bytes are LF or CR LF loses them too: loggen -P counts the LF
// it appends. Syslog messages start with '<', so a digit-led line that is not a valid count is
// reported as garbage rather than guessed at.
//
// Threads: one TcpFramer per connection, used by the shard thread that owns the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "base/assert.h"

namespace sluice::syslog {

class TcpFramer {
 public:
  // Frames longer than `message_bytes_max` are delivered cut to it, with truncated=true, and
  // the rest of the frame is skipped without being buffered.
  explicit TcpFramer(size_t message_bytes_max);
  // A moved-from framer may only be destroyed or assigned to.
  TcpFramer(TcpFramer&&) = default;
  TcpFramer& operator=(TcpFramer&&) = default;

  enum class Status : uint8_t {
    ok,       // the whole chunk was consumed
    paused,   // on_frame refused a frame: feed the unconsumed rest again later
    garbage,  // the stream is not syslog framing: close the connection (error says why)
  };
  struct FeedResult {
    Status status;
    size_t consumed;         // bytes of the chunk used; the rest must be fed again
    std::string_view error;  // garbage only: a short, static description
  };

  // Feeds the next bytes of the stream. Calls on_frame(std::string_view frame, bool truncated)
  // -> bool for every complete frame, in order. The frame points into the chunk when it lies
  // there whole (no copy), otherwise into this framer's carry buffer; it is valid only during
  // the call. on_frame returns false when it cannot take the frame now (the channel is full):
  // feed() then stops and returns paused with `consumed` bytes used; the refused frame is the
  // first one delivered by the next feed() (or finish()), which must be given the chunk's
  // unconsumed bytes first. After garbage every call returns garbage again.
  template <typename OnFrame>
  FeedResult feed(std::string_view chunk, OnFrame&& on_frame);

  // End of stream. Delivers a refused frame still waiting here, then a trailing LF frame that
  // never got its LF, then an octet-counted frame cut short by the end (truncated=true: the
  // sender promised more bytes). Returns paused when on_frame refuses (call finish() again),
  // garbage when the stream ended inside an octet count. Afterwards the framer is empty.
  template <typename OnFrame>
  FeedResult finish(OnFrame&& on_frame);

  // Bytes held in the carry buffer (a frame split across chunks, or a refused one).
  size_t buffered_bytes() const { return carry_bytes_; }
  // The carry buffer's allocation: grows on demand, never beyond message_bytes_max + 2.
  size_t carry_capacity() const { return carry_capacity_; }
  size_t message_bytes_max() const { return message_bytes_max_; }

 private:
  enum class State : uint8_t {
    idle,            // between frames
    length,          // inside an octet count
    octet_body,      // gathering an octet-counted frame (frame_bytes_ declared)
    lf_body,         // gathering an LF frame in the carry buffer
    discard_octets,  // skipping the rest of an oversized octet-counted frame (remaining_)
    discard_lf,      // skipping the rest of an oversized LF frame
    pending,         // a refused frame waits in the carry buffer
    garbage,         // unusable stream
  };

  static bool is_digit(char c) { return static_cast<unsigned>(c - '0') < 10u; }
  static bool is_separator(char c) { return c == '\n' || c == '\r' || c == '\0'; }
  // An octet-counted frame ending in LF (loggen, some Java appenders count it): drop it, and a
  // CR before it, as an LF frame would.
  static std::string_view strip_line_end(std::string_view frame) {
    if (!frame.empty() && frame.back() == '\n') frame.remove_suffix(1);
    if (!frame.empty() && frame.back() == '\r') frame.remove_suffix(1);
    return frame;
  }
  static std::string_view strip_cr(std::string_view frame) {
    if (!frame.empty() && frame.back() == '\r') frame.remove_suffix(1);
    return frame;
  }
  // True when `n` bytes of an LF frame without its LF are certainly more than the limit:
  // a CR at max+1 could still be the one before the LF.
  bool lf_overflows(const char* data, size_t n) const {
    return n >= message_bytes_max_ + 2 || (n == message_bytes_max_ + 1 && data[n - 1] != '\r');
  }
  std::string_view carry_view(size_t n) const { return {carry_.get(), n}; }
  void carry_append(const char* data, size_t n);
  FeedResult fail(size_t consumed, std::string_view error);
  // Delivers the first `frame_bytes` of the carry buffer; on refusal keeps it as pending.
  template <typename OnFrame>
  bool deliver_carry(size_t frame_bytes, bool truncated, State next, OnFrame& on_frame);

  size_t message_bytes_max_;
  size_t carry_limit_;  // message_bytes_max_ + 2: an LF frame's CR and one byte more
  State state_ = State::idle;
  State after_pending_ = State::idle;
  bool pending_truncated_ = false;
  uint32_t length_digits_ = 0;
  size_t pending_bytes_ = 0;
  uint64_t frame_bytes_ = 0;  // declared length of the octet-counted frame being gathered
  uint64_t remaining_ = 0;    // bytes left to skip in discard_octets
  std::unique_ptr<char[]> carry_;
  size_t carry_bytes_ = 0;
  size_t carry_capacity_ = 0;
  std::string_view error_;
};

template <typename OnFrame>
bool TcpFramer::deliver_carry(size_t frame_bytes, bool truncated, State next, OnFrame& on_frame) {
  if (!on_frame(carry_view(frame_bytes), truncated)) {
    state_ = State::pending;
    after_pending_ = next;
    pending_bytes_ = frame_bytes;
    pending_truncated_ = truncated;
    return false;
  }
  carry_bytes_ = 0;
  state_ = next;
  return true;
}

template <typename OnFrame>
TcpFramer::FeedResult TcpFramer::feed(std::string_view chunk, OnFrame&& on_frame) {
  const char* const begin = chunk.data();
  const char* const end = begin + chunk.size();
  const char* p = begin;
  auto paused = [&] { return FeedResult{Status::paused, static_cast<size_t>(p - begin), {}}; };

  if (state_ == State::garbage) return {Status::garbage, 0, error_};
  if (state_ == State::pending) {
    if (!deliver_carry(pending_bytes_, pending_truncated_, after_pending_, on_frame)) return paused();
  }
  while (p < end) {
    switch (state_) {
      case State::idle: {
        while (p < end && is_separator(*p)) ++p;
        if (p == end) break;
        if (is_digit(*p)) {
          if (*p == '0') return fail(static_cast<size_t>(p - begin), "octet count is 0 or has a leading zero");
          frame_bytes_ = static_cast<uint64_t>(*p++ - '0');
          length_digits_ = 1;
          state_ = State::length;
          break;
        }
        const auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        if (lf) {  // the common case: a whole LF frame in the chunk
          const std::string_view frame = strip_cr({p, static_cast<size_t>(lf - p)});
          const bool truncated = frame.size() > message_bytes_max_;
          if (!on_frame(truncated ? frame.substr(0, message_bytes_max_) : frame, truncated)) return paused();
          p = lf + 1;
          break;
        }
        const auto available = static_cast<size_t>(end - p);
        if (lf_overflows(p, available)) {
          if (!on_frame(std::string_view(p, message_bytes_max_), true)) return paused();
          state_ = State::discard_lf;
          p = end;
          break;
        }
        carry_append(p, available);
        state_ = State::lf_body;
        p = end;
        break;
      }
      case State::length: {
        while (p < end && is_digit(*p)) {
          if (length_digits_ == 9) return fail(static_cast<size_t>(p - begin), "octet count longer than 9 digits");
          frame_bytes_ = frame_bytes_ * 10 + static_cast<uint64_t>(*p++ - '0');
          ++length_digits_;
        }
        if (p == end) break;
        if (*p != ' ') return fail(static_cast<size_t>(p - begin), "octet count not followed by a space");
        ++p;
        state_ = State::octet_body;
        break;
      }
      case State::octet_body: {
        const bool truncated = frame_bytes_ > message_bytes_max_;
        const size_t want = truncated ? message_bytes_max_ : static_cast<size_t>(frame_bytes_);
        const State next = truncated ? State::discard_octets : State::idle;
        remaining_ = frame_bytes_ - want;
        if (carry_bytes_ == 0 && static_cast<size_t>(end - p) >= want) {  // whole in the chunk
          const std::string_view frame(p, want);
          if (!on_frame(truncated ? frame : strip_line_end(frame), truncated)) return paused();
          p += want;
          state_ = next;
          break;
        }
        const size_t take = std::min(static_cast<size_t>(end - p), want - carry_bytes_);
        carry_append(p, take);
        p += take;
        if (carry_bytes_ < want) break;
        const size_t frame_bytes = truncated ? want : strip_line_end(carry_view(want)).size();
        if (!deliver_carry(frame_bytes, truncated, next, on_frame)) return paused();
        break;
      }
      case State::lf_body: {
        const auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        const auto available = static_cast<size_t>((lf ? lf : end) - p);
        const size_t take = std::min(available, carry_limit_ - carry_bytes_);
        carry_append(p, take);
        p += take;
        if (lf && take == available) {  // the frame is complete
          p = lf + 1;
          const size_t frame_bytes = strip_cr(carry_view(carry_bytes_)).size();
          const bool truncated = frame_bytes > message_bytes_max_;
          if (!deliver_carry(truncated ? message_bytes_max_ : frame_bytes, truncated, State::idle, on_frame))
            return paused();
        } else if (lf_overflows(carry_.get(), carry_bytes_)) {
          // More than the limit and no LF within it: deliver the head, skip the rest.
          State next = State::discard_lf;
          if (lf) {
            p = lf + 1;
            next = State::idle;
          }
          if (!deliver_carry(message_bytes_max_, true, next, on_frame)) return paused();
        }
        break;
      }
      case State::discard_octets: {
        const size_t skip = std::min(static_cast<size_t>(end - p), static_cast<size_t>(remaining_));
        p += skip;
        remaining_ -= skip;
        if (remaining_ == 0) state_ = State::idle;
        break;
      }
      case State::discard_lf: {
        const auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        if (lf) {
          p = lf + 1;
          state_ = State::idle;
        } else {
          p = end;
        }
        break;
      }
      case State::pending:
      case State::garbage: SLUICE_UNREACHABLE("framer loop in pending or garbage state");
    }
  }
  return {Status::ok, chunk.size(), {}};
}

template <typename OnFrame>
TcpFramer::FeedResult TcpFramer::finish(OnFrame&& on_frame) {
  if (state_ == State::garbage) return {Status::garbage, 0, error_};
  if (state_ == State::pending) {
    if (!deliver_carry(pending_bytes_, pending_truncated_, after_pending_, on_frame)) return {Status::paused, 0, {}};
  }
  switch (state_) {
    case State::lf_body: {
      const size_t frame_bytes = strip_cr(carry_view(carry_bytes_)).size();
      const bool truncated = frame_bytes > message_bytes_max_;
      if (!deliver_carry(truncated ? message_bytes_max_ : frame_bytes, truncated, State::idle, on_frame))
        return {Status::paused, 0, {}};
      break;
    }
    case State::octet_body:
      if (carry_bytes_ > 0 && !deliver_carry(carry_bytes_, true, State::idle, on_frame)) return {Status::paused, 0, {}};
      break;
    case State::length: return fail(0, "stream ended inside an octet count");
    default: break;
  }
  state_ = State::idle;
  carry_bytes_ = 0;
  return {Status::ok, 0, {}};
}

}  // namespace sluice::syslog
