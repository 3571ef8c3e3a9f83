#include "server/sources/netcat_source.h"

#include <cstring>

#include <fmt/format.h>

#include "server/sources/answering_connection.h"

namespace sluice::sources {
namespace {

// Lines stored whose "OK" waits for durability before the connection stops reading.
constexpr size_t kAnswersMax = 256;

}  // namespace

struct NetcatAnswer {
  bool too_long = false;  // "FAILED: Event exceeds ...", then close; otherwise "OK"
};

class NetcatConnection final : public AnsweringConnection<NetcatAnswer, kAnswersMax> {
 public:
  NetcatConnection(NetcatSource& source, int fd) : AnsweringConnection(source, fd, source.writer_), source_(source) {}

  // Closes a connection that sent nothing for idleTimeout (a line begun is stored first). One
  // paused for channel space or owed answers is not idle: it waits for sluice.
  void check_timeouts(int64_t now) override {
    const int64_t idle_ms = source_.options_.idle_timeout_ms;
    if (idle_ms <= 0 || paused() || !answers().empty() || unsent_bytes() > 0 || now - last_activity_ms() <= idle_ms)
      return;
    if (!partial_.empty() && !close_after_answers_) {
      if (!store_line(partial_)) return;  // channel full: the next check
      partial_.clear();
    }
    server().probe().connection_timed_out(SourceProbe::Timeout::idle);
    if (server().rate_limited_log().allow(now))
      base::log_info("source {}: closing a connection from {}: nothing received within idleTimeout",
                     source_.options_.name, peer_name());
    close("idle timeout");
  }

 private:
  Progress consume(std::string_view chunk, size_t& consumed) override {
    consumed = 0;
    if (close_after_answers_) {  // a line was too long: the rest is not read
      consumed = chunk.size();
      return Progress::running;
    }
    const size_t max = source_.options_.max_line_bytes;
    while (consumed < chunk.size()) {
      if (blocked()) {
        pause(PauseReason::waiting);
        return Progress::paused;
      }
      const std::string_view rest = chunk.substr(consumed);
      const void* lf = std::memchr(rest.data(), '\n', rest.size());
      if (lf == nullptr) {
        // Without its LF already as long as a line may be with it: it can never fit.
        if (partial_.size() + rest.size() >= max) return too_long(chunk, consumed);
        partial_.append(rest);
        consumed = chunk.size();
        break;
      }
      const std::string_view piece = rest.substr(0, static_cast<size_t>(static_cast<const char*>(lf) - rest.data()));
      if (partial_.size() + piece.size() + 1 > max) return too_long(chunk, consumed);
      std::string_view line = piece;
      if (!partial_.empty()) {
        partial_.append(piece);
        line = partial_;
      }
      if (!store_line(line)) {
        if (!partial_.empty()) partial_.resize(partial_.size() - piece.size());  // built again after resume()
        wait_for_space();
        return Progress::paused;
      }
      partial_.clear();
      consumed += piece.size() + 1;
    }
    flush_ready();
    return closing() ? Progress::closed : Progress::running;
  }

  Progress end_of_stream() override {
    if (!partial_.empty() && !close_after_answers_) {
      if (!store_line(partial_)) {
        wait_for_space();
        return Progress::paused;
      }
      partial_.clear();
    }
    eof_ = true;
    flush_ready();
    return Progress::running;
  }

  // Stores one line as an event; false when a channel is full (nothing stored, try again).
  bool store_line(std::string_view line) {
    source_.prepared_.clear();
    source_.prepared_.push_back({now_ms(), {}, line});
    const EventWriter::Written written = source_.writer_.write(source_.prepared_, now_ms());
    SourceProbe& probe = server().probe();
    switch (written.refusal) {
      case ringbuf::AppendRefusal::none:
        if (written.filtered > 0) probe.event_filtered(line.size());
        else probe.event_accepted(line.size());
        probe.routed(written.unrouted, written.optional_dropped);
        if (source_.options_.ack_every_event) answers().push_after_durable().too_long = false;
        return true;
      case ringbuf::AppendRefusal::full_bytes:
      case ringbuf::AppendRefusal::full_events: return false;
      case ringbuf::AppendRefusal::too_large:
      case ringbuf::AppendRefusal::store_error:
        // Start-up checked that a line of max-line-length fits; a disk error fail-stops the
        // channel. Either way this line cannot be stored: the client is told by the close.
        probe.event_rejected(line.size());
        if (server().rate_limited_log().allow(now_ms()))
          base::log_error("source {}: closing a connection from {}: a channel cannot store its line",
                          source_.options_.name, peer_name());
        close_after_answers_ = true;
        return true;
    }
    return true;
  }

  // Flume's answer to a line over max-line-length, sent after the answers owed before it;
  // then the connection closes. Lines before it stay stored.
  Progress too_long(std::string_view chunk, size_t& consumed) {
    consumed = chunk.size();  // the rest is not read
    server().probe().limit_exceeded();
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: closing a connection from {}: a line is longer than max-line-length ({} bytes)",
                     source_.options_.name, peer_name(), source_.options_.max_line_bytes);
    close_after_answers_ = true;
    partial_.clear();
    partial_.shrink_to_fit();
    if (answers().full()) {
      close("line too long");
      return Progress::closed;
    }
    answers().push().too_long = true;
    flush_ready();
    return closing() ? Progress::closed : Progress::running;
  }

  void send_answer(const NetcatAnswer& answer) override {
    if (!answer.too_long) {
      send("OK\n");
      return;
    }
    send(fmt::format("FAILED: Event exceeds the maximum length ({} chars, including newline)\n",
                     source_.options_.max_line_bytes));
  }
  bool closes_after(const NetcatAnswer& answer) const override { return answer.too_long; }

  void answer_never_durable() override {
    // A channel failed before making the lines durable: no OK may be sent for them.
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn("source {}: closing a connection from {}: a channel failed to write its events to disk",
                     source_.options_.name, peer_name());
    answers().clear();
    close("channel failed");
  }

  bool reading_done() const override { return eof_ || close_after_answers_; }

  void wait_for_space() {
    // Count each time reading stops, not each retry while it stays stopped.
    if (!paused() && receive_armed()) server().probe().paused_for_space();
    pause(PauseReason::channel_full);
  }

  NetcatSource& source_;
  std::string partial_;  // a line begun, without its LF (shorter than max-line-length)
  bool eof_ = false;
  bool close_after_answers_ = false;
};

NetcatSource::NetcatSource(const NetcatSourceOptions& options, int listen_fd, EventWriter writer, SourceProbe& probe)
    : StreamServer({.name = options.name,
                    .connections_max = options.connections_max,
                    .resolve_peer_ip = true,
                    .send_timeout_ms = options.send_timeout_ms},
                   listen_fd, probe),
      options_(options),
      writer_(std::move(writer)) {
  prepared_.reserve(1);
}

StreamConnection* NetcatSource::make_connection(int fd) { return new NetcatConnection(*this, fd); }

}  // namespace sluice::sources
