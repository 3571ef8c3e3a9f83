#include "server/sources/avro_source.h"

#include <algorithm>
#include <array>
#include <memory>

#include <fmt/format.h>

#include "protocols/avro/ipc_server_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"
#include "server/sources/answering_connection.h"

namespace sluice::sources {
namespace {

// Calls a connection may have answered-but-unsent (waiting for durability) before it stops
// reading.
constexpr size_t kAnswersMax = 16;
// One inflate step's output: a connection's scratch buffer (deflate only).
constexpr size_t kInflateChunkBytes = 64 << 10;

}  // namespace

// ---------------------------------------------------------------------------------------------
// AvroConnection

// The framed response to one call.
struct AvroAnswer {
  std::string bytes;
};

class AvroConnection final : public AnsweringConnection<AvroAnswer, kAnswersMax> {
 public:
  AvroConnection(AvroSource& source, int fd)
      : AnsweringConnection(source, fd, source.writer_),
        source_(source),
        decoder_(
            {.buffers_max = 4096,
             .buffer_bytes_max = static_cast<uint32_t>(std::min<size_t>(source.options_.frame_bytes_max, 1u << 31)),
             .frame_bytes_max = source.options_.frame_bytes_max},
            &source.partial_budget),
        session_(source.registry_, {.events_max = source.options_.events_per_call_max}) {
    if (source.options_.deflate) scratch_ = std::make_unique_for_overwrite<char[]>(kInflateChunkBytes);
  }

  bool admit() override {
    if (!source_.options_.ip_filter || base::ip_allowed(source_.options_.ip_filter_rules, peer_ip())) return true;
    server().probe().connection_refused();
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: refused a connection from {}: ipFilterRules", source_.options_.name, peer_ip());
    return false;
  }

  void check_timeouts(int64_t now) override {
    const AvroSourceOptions& o = source_.options_;
    // Answers the peer does not read are the send timeout's business, not the peer's input.
    if (!answers().empty() || unsent_bytes() > 0) return;
    if (o.frame_timeout_ms > 0 && !decoder_.idle() && now - frame_began_ms_ > o.frame_timeout_ms) {
      timed_out(SourceProbe::Timeout::partial_input, "a frame begun was not finished within frameTimeout");
      return;
    }
    if (o.idle_timeout_ms > 0 && now - last_activity_ms() > o.idle_timeout_ms)
      timed_out(SourceProbe::Timeout::idle, "nothing received within idleTimeout");
  }

 private:
  Progress consume(std::string_view chunk, size_t& consumed) override {
    consumed = 0;
    if (blocked()) {
      pause(PauseReason::waiting);
      return Progress::paused;
    }
    if (!source_.options_.deflate) return decode(chunk, consumed);
    return inflate_and_decode(chunk, consumed);
  }

  // The whole connection is one zlib stream. It is inflated a slice at a time into scratch_,
  // and each slice is framed before the next is inflated: what a connection holds is the
  // decoder's partial frame (charged to the shard's budget, refused past the frame limit as
  // soon as a header announces too much or the budget is spent) and one scratch buffer, never
  // the whole inflated stream. When this turn's slice is used up the connection pauses and
  // goes on at the next turn, so a bomb shares the shard with the other connections.
  Progress inflate_and_decode(std::string_view chunk, size_t& consumed) {
    consumed = 0;
    if (Progress p = drain_scratch(); p != Progress::running) return p;
    size_t slice = source_.inflate_slice_bytes();
    while (true) {
      if (slice == 0) {
        inflate_pending_ = true;
        source_.yielded_ = true;
        pause(PauseReason::waiting);
        return Progress::paused;
      }
      const size_t room = std::min(kInflateChunkBytes, slice);
      auto r = inflater_.inflate(chunk.substr(consumed), std::span<char>(scratch_.get(), room));
      consumed += r.consumed;
      slice -= r.produced;
      source_.inflated(r.produced);
      if (r.status == avro::Inflater::Status::error) return fail(fmt::format("bad deflate stream: {}", r.error));
      scratch_at_ = 0;
      scratch_end_ = r.produced;
      if (Progress p = drain_scratch(); p != Progress::running) return p;
      if (closing() || close_after_answers_) break;
      if (r.status == avro::Inflater::Status::finished) break;  // bytes after the stream's end are ignored
      // zlib left output room unused with all input taken: nothing is pending inside it.
      if (consumed == chunk.size() && r.produced < room) break;
      if (r.consumed == 0 && r.produced == 0) return fail("inflate made no progress");
    }
    inflate_pending_ = false;
    consumed = chunk.size();
    return Progress::running;
  }

  // Frames the inflated bytes not framed yet (they wait there while the connection is paused).
  Progress drain_scratch() {
    if (scratch_at_ == scratch_end_) return Progress::running;
    size_t used = 0;
    Progress p = decode(std::string_view(scratch_.get() + scratch_at_, scratch_end_ - scratch_at_), used);
    if (p == Progress::closed) return p;
    scratch_at_ += used;
    if (scratch_at_ == scratch_end_) scratch_at_ = scratch_end_ = 0;
    return p;
  }

  Progress continue_work() override {
    flush_ready();
    if (closing()) return Progress::closed;
    if (blocked()) {
      pause(PauseReason::waiting);
      return Progress::paused;
    }
    if (source_.options_.deflate) {
      if (Progress p = drain_scratch(); p != Progress::running) return p;
      if (inflate_pending_) {
        // Output zlib still holds from input consumed before the pause.
        size_t unused = 0;
        if (Progress p = inflate_and_decode({}, unused); p != Progress::running) return p;
      }
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
      if (close_after_answers_ || closing()) {
        used = data.size();  // input after a fatal error is discarded
        break;
      }
      if (blocked()) {
        pause(PauseReason::waiting);
        return Progress::paused;
      }
      const bool was_idle = decoder_.idle();
      auto r = decoder_.decode(data.substr(used));
      used += r.consumed;
      if (r.status == avro::FrameDecoder::Status::error) return fail(r.error, r.over_limit);
      if (r.status == avro::FrameDecoder::Status::need_more) {
        if (was_idle && !decoder_.idle()) frame_began_ms_ = now_ms();
        break;
      }
      if (!serve(decoder_.frame())) return Progress::closed;
      decoder_.release_buffer();  // a large frame's buffer goes back once served
    }
    return Progress::running;
  }

  // One call. False when the connection was closed for it.
  bool serve(const avro::Frame& frame) {
    const auto& call = session_.on_request(frame.payload);
    if (call.kind == avro::ServerSession::Call::Kind::reply) {
      if (call.over_limit) server().probe().limit_exceeded();
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
    ringbuf::AppendRefusal refusal = store_events(call.events, source_.prepared_, source_.now_ms_);
    if (refusal == ringbuf::AppendRefusal::none) {
      push_answer(frame.serial, session_.respond(avro::FlumeStatus::ok), /*after_durable=*/true);
    } else {
      // Full (or the disk failed): FAILED tells Flume's client to retry later, as Flume does.
      if (refusal == ringbuf::AppendRefusal::too_large) server().probe().limit_exceeded();
      if (refusal == ringbuf::AppendRefusal::too_large && server().rate_limited_log().allow(now_ms()))
        base::log_warn("source {}: refused a call from {}: an event is larger than the channel can store",
                       source_.options_.name, peer_ip());
      push_answer(frame.serial, session_.respond(avro::FlumeStatus::failed));
    }
    flush_ready();
    return true;
  }

  void push_answer(int32_t serial, std::string_view payload, bool after_durable = false) {
    AvroAnswer& a = after_durable ? answers().push_after_durable() : answers().push();
    a.bytes.clear();
    avro::encode_frame(serial, payload, a.bytes);
  }

  void send_answer(const AvroAnswer& a) override {
    if (!source_.options_.deflate) {
      send(a.bytes);
      return;
    }
    out_.clear();
    deflater_.deflate(a.bytes, out_);
    send(out_);
  }

  void answer_never_durable() override {
    // The events were not stored durably: no OK may be sent. Closing makes Flume's client
    // fail the call (EventDeliveryException), so it sends the batch again elsewhere or later.
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: closing a connection from {}: a channel failed to write its events to disk",
                     source_.options_.name, peer_name());
    answers().clear();
    close("channel failed");
  }

  bool reading_done() const override { return close_after_answers_ || eof_; }

  // Closes for bad input; `over_limit`: a limit was broken (counted apart from garbage).
  Progress fail(std::string_view why, bool over_limit = false) {
    if (over_limit) server().probe().limit_exceeded();
    else server().probe().framing_error();
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: closing a connection from {}: {}", source_.options_.name, peer_name(), why);
    close("malformed");
    return Progress::closed;
  }

  void timed_out(SourceProbe::Timeout kind, std::string_view why) {
    server().probe().connection_timed_out(kind);
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: closing a connection from {}: {}", source_.options_.name, peer_name(), why);
    close(kind == SourceProbe::Timeout::idle ? "idle timeout" : "frame timeout");
  }

  AvroSource& source_;
  avro::FrameDecoder decoder_;
  avro::ServerSession session_;
  avro::Inflater inflater_;
  avro::Deflater deflater_{{.level = 6, .window_bits = 9, .mem_level = 1}};
  // Deflate only: inflated bytes [scratch_at_, scratch_end_) are not framed yet.
  std::unique_ptr<char[]> scratch_;
  size_t scratch_at_ = 0;
  size_t scratch_end_ = 0;
  bool inflate_pending_ = false;  // paused with inflating left for the next turn
  int64_t frame_began_ms_ = 0;
  std::string out_;
  bool close_after_answers_ = false;
  bool eof_ = false;
};

// ---------------------------------------------------------------------------------------------
// AvroSource

AvroSource::AvroSource(const AvroSourceOptions& options, int listen_fd, EventWriter writer, SourceProbe& probe)
    : detail::AvroPartialBudget(options.partial_bytes_max, probe),
      StreamServer({.name = options.name,
                    .connections_max = options.connections_max,
                    .resolve_peer_ip = true,
                    .send_timeout_ms = options.send_timeout_ms},
                   listen_fd, probe),
      options_(options),
      writer_(std::move(writer)) {}

StreamConnection* AvroSource::make_connection(int fd) { return new AvroConnection(*this, fd); }

}  // namespace sluice::sources
