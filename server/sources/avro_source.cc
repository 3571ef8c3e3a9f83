#include "server/sources/avro_source.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "server/avro/avro_ipc.h"
#include "server/avro/netty_frame.h"
#include "server/avro/zlib_stream.h"
#include "server/sources/answer_queue.h"

namespace sluice::sources {
namespace {

// Calls a connection may have answered-but-unsent (waiting for durability) before it stops
// reading, and unsent bytes likewise.
constexpr size_t kAnswersMax = 16;
constexpr size_t kUnsentBytesMax = 1 << 20;
constexpr size_t kInflateChunkBytes = 64 << 10;

}  // namespace

// ---------------------------------------------------------------------------------------------
// AvroConnection

class AvroConnection final : public StreamConnection {
 public:
  AvroConnection(AvroSource& source, int fd)
      : StreamConnection(source, fd),
        source_(source),
        decoder_({.buffers_max = 4096,
                  .buffer_bytes_max = static_cast<uint32_t>(std::min<size_t>(source.options_.frame_bytes_max, 1u << 31)),
                  .frame_bytes_max = source.options_.frame_bytes_max}),
        session_(source.registry_, {.events_max = source.options_.events_per_call_max}),
        answers_(source.logs_) {}

  bool admit() override {
    if (!source_.options_.ip_filter || base::ip_allowed(source_.options_.ip_filter_rules, peer_ip())) return true;
    server().probe().connection_refused();
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: refused a connection from {}: ipFilterRules", source_.options_.name, peer_ip());
    return false;
  }

  bool send_durable_answers() override {
    if (closing()) return false;
    flush_ready();
    bool still_waiting = awaiting_durability();
    if (paused() && pause_reason() == PauseReason::waiting && !blocked()) {
      if (resume() == Progress::closed) return false;
    }
    return still_waiting;
  }

  bool awaiting_durability() const { return answers_.front_waits_for_durability(); }

  void check_timeouts(int64_t now) override {
    int64_t idle = source_.options_.idle_timeout_ms;
    if (idle > 0 && answers_.empty() && unsent_bytes() == 0 && decoder_.idle() && now - last_activity_ms() > idle)
      close("idle timeout");
  }

 private:
  struct Answer {
    std::string bytes;  // the framed response
  };

  Progress consume(std::string_view chunk, size_t& consumed) override {
    if (blocked()) {
      consumed = 0;
      pause(PauseReason::waiting);
      return Progress::paused;
    }
    if (!source_.options_.deflate) return decode(chunk, consumed);
    // The whole connection is one zlib stream: inflate everything received, then frame the
    // inflated bytes (kept in inflated_ across pauses).
    consumed = chunk.size();
    while (!chunk.empty()) {
      size_t at = inflated_.size();
      if (at - inflated_at_ > source_.options_.frame_bytes_max + kInflateChunkBytes)
        return fail("more inflated data waiting than a frame may hold");
      inflated_.resize(at + kInflateChunkBytes);
      auto r = inflater_.inflate(chunk, std::span<char>(inflated_.data() + at, kInflateChunkBytes));
      inflated_.resize(at + r.produced);
      chunk.remove_prefix(r.consumed);
      if (r.status == avro::Inflater::Status::error) return fail(fmt::format("bad deflate stream: {}", r.error));
      if (r.status == avro::Inflater::Status::finished) break;
      if (r.consumed == 0 && r.produced == 0) break;
    }
    return drain_inflated();
  }

  Progress drain_inflated() {
    size_t used = 0;
    Progress p = decode(std::string_view(inflated_).substr(inflated_at_), used);
    if (p == Progress::closed) return p;
    inflated_at_ += used;
    if (inflated_at_ == inflated_.size()) {
      inflated_.clear();
      inflated_at_ = 0;
    }
    return p == Progress::paused ? Progress::running : p;  // the compressed input is consumed either way
  }

  Progress continue_work() override {
    flush_ready();
    if (blocked()) {
      pause(PauseReason::waiting);
      return Progress::paused;
    }
    if (source_.options_.deflate && inflated_at_ < inflated_.size()) {
      Progress p = drain_inflated();
      if (p != Progress::running) return p;
      if (paused()) return Progress::paused;
    }
    return Progress::running;
  }

  Progress end_of_stream() override {
    // A client that ends between calls is done (a deflate stream is never finished by Java's
    // client: the socket close ends it).
    if (!decoder_.idle()) {
      server().probe().framing_error();
      if (server().rate_limited_log().allow(now_ms()))
        base::log_warn("source {}: connection from {} ended in the middle of a frame", source_.options_.name,
                       peer_ip());
    }
    eof_ = true;
    flush_ready();
    return Progress::running;
  }

  // Frames and serves calls from `data`; `used` is how much of it was consumed.
  Progress decode(std::string_view data, size_t& used) {
    used = 0;
    while (used < data.size()) {
      if (blocked()) {
        pause(PauseReason::waiting);
        return Progress::paused;
      }
      auto r = decoder_.decode(data.substr(used));
      used += r.consumed;
      if (r.status == avro::FrameDecoder::Status::error) return fail(r.error);
      if (r.status == avro::FrameDecoder::Status::need_more) break;
      if (!serve(decoder_.frame())) return Progress::closed;
    }
    return Progress::running;
  }

  // One call. False when the connection was closed for it.
  bool serve(const avro::Frame& frame) {
    const auto& call = session_.on_request(frame.payload);
    if (call.kind == avro::ServerSession::Call::Kind::reply) {
      push_answer(frame.serial, session_.reply());
      if (call.malformed) {
        server().probe().framing_error();
        if (server().rate_limited_log().allow(now_ms()))
          base::log_warn("source {}: closing a connection from {}: {}", source_.options_.name, peer_ip(), call.problem);
        close_after_answers_ = true;
        flush_ready();
        return true;
      }
      if (!call.problem.empty() && server().rate_limited_log().allow(now_ms()))
        base::log_warn("source {}: answered a call from {} with an error: {}", source_.options_.name, peer_ip(),
                       call.problem);
      flush_ready();
      return true;
    }
    auto& prepared = source_.prepared_;
    prepared.clear();
    for (const auto& e : call.events) prepared.push_back({event_time(e.headers, source_.now_ms_), e.headers, e.body});
    std::span<ringbuf::Log* const> logs = source_.logs_;
    ringbuf::AppendRefusal refusal = ringbuf::append_batch(logs, prepared);
    if (refusal == ringbuf::AppendRefusal::none) {
      for (const auto& e : call.events) server().probe().event_accepted(e.body.size());
      push_answer(frame.serial, session_.respond(avro::FlumeStatus::ok), /*after_durable=*/true);
    } else {
      // Full (or the disk failed): FAILED tells Flume's client to retry later, as Flume does.
      for (const auto& e : call.events) server().probe().event_rejected(e.body.size());
      if (refusal == ringbuf::AppendRefusal::too_large && server().rate_limited_log().allow(now_ms()))
        base::log_warn("source {}: refused a call from {}: an event is larger than the channel can store",
                       source_.options_.name, peer_ip());
      push_answer(frame.serial, session_.respond(avro::FlumeStatus::failed));
    }
    flush_ready();
    return true;
  }

  void push_answer(int32_t serial, std::string_view payload, bool after_durable = false) {
    Answer& a = after_durable ? answers_.push_after_durable() : answers_.push();
    a.bytes.clear();
    avro::encode_frame(serial, payload, a.bytes);
  }

  // Sends the answers at the front of the queue that are ready, in order.
  void flush_ready() {
    while (const Answer* ready = answers_.ready_front()) {
      const Answer& a = *ready;
      if (source_.options_.deflate) {
        out_.clear();
        deflater_.deflate(a.bytes, out_);
        send(out_);
      } else {
        send(a.bytes);
      }
      answers_.pop_front();
    }
    if (awaiting_durability()) await_durability();
    if ((close_after_answers_ || eof_) && answers_.empty()) close_after_send();
  }

  bool blocked() const { return answers_.full() || unsent_bytes() > kUnsentBytesMax; }

  Progress fail(std::string_view why) {
    server().probe().framing_error();
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: closing a connection from {}: {}", source_.options_.name,
                     peer_ip().empty() ? std::string_view("a client") : peer_ip(), why);
    close("malformed");
    return Progress::closed;
  }

  AvroSource& source_;
  avro::FrameDecoder decoder_;
  avro::ServerSession session_;
  avro::Inflater inflater_;
  avro::Deflater deflater_{{.level = 6, .window_bits = 9, .mem_level = 1}};
  std::string inflated_;
  size_t inflated_at_ = 0;
  std::string out_;
  AnswerQueue<Answer, kAnswersMax> answers_;
  bool close_after_answers_ = false;
  bool eof_ = false;
};

// ---------------------------------------------------------------------------------------------
// AvroSource

AvroSource::AvroSource(const AvroSourceOptions& options, int listen_fd, std::vector<ringbuf::Log*> logs,
                       SourceProbe& probe)
    : StreamServer({.name = options.name, .connections_max = options.connections_max, .resolve_peer_ip = true},
                   listen_fd, probe),
      options_(options),
      logs_(std::move(logs)) {
}

StreamConnection* AvroSource::make_connection(int fd) { return new AvroConnection(*this, fd); }

}  // namespace sluice::sources
