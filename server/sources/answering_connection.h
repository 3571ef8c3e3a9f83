// What the request/response sources (HTTP, Avro RPC) share on top of StreamConnection: each
// request is answered, in request order, from an AnswerQueue; an answer for stored events goes
// out only once every channel log of the source has made them durable; a connection with too
// many answers or bytes unsent stops reading; a request's events are stored in every channel
// or in none.
//
// A protocol derives from AnsweringConnection<Answer, N> and says how one answer is written
// (send_answer), whether it ends the connection (closes_after), what the client is told when a
// channel failed before making its events durable (answer_never_durable), and when no more
// requests will come (reading_done).
//
// Threads: one object per connection, used by the shard thread that owns the connection.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "server/sources/answer_queue.h"
#include "server/sources/event_writer.h"
#include "server/sources/stream_server.h"

namespace sluice::sources {

template <typename Answer, size_t AnswersMax>
class AnsweringConnection : public StreamConnection {
 public:
  // Unsent response bytes past which a connection stops reading (its peer does not read).
  static constexpr size_t kUnsentBytesMax = 1 << 20;

  AnsweringConnection(StreamServer& server, int fd, EventWriter& writer)
      : StreamConnection(server, fd), writer_(writer), answers_(writer.acknowledged_logs()) {}

  // Sends the answers that became ready; resumes a connection that waited for them. False
  // once it no longer waits for durability (it may be closed then: touch nothing).
  bool send_durable_answers() final {
    if (closing()) return false;
    flush_ready();
    if (closing()) return false;  // a channel failed and the protocol closed at once
    const bool still_waiting = awaiting_durability();
    if (paused() && pause_reason() == PauseReason::waiting && !blocked()) {
      if (resume() == Progress::closed) return false;
    }
    return still_waiting;
  }

  bool awaiting_durability() const { return answers_.front_waits_for_durability(); }

 protected:
  using Answers = AnswerQueue<Answer, AnswersMax>;

  // Writes one ready answer with send().
  virtual void send_answer(const Answer& answer) = 0;
  // Whether the connection closes after this answer (nothing queued after it is sent).
  virtual bool closes_after(const Answer& answer) const { return false; }
  // The oldest answer waits for events that a failed channel will never make durable: it must
  // not be sent. The protocol clears the queue and either closes or queues an error answer.
  virtual void answer_never_durable() = 0;
  // No more requests will be read: the connection closes once the queue is empty.
  virtual bool reading_done() const = 0;

  // Sends the answers at the front of the queue that are ready, in order.
  void flush_ready() {
    if (answers_.front_never_durable()) {
      answer_never_durable();
      if (closing()) return;
    }
    bool close_after = false;
    while (const Answer* ready = answers_.ready_front()) {
      send_answer(*ready);
      const bool closing_answer = closes_after(*ready);
      answers_.pop_front();
      if (closing_answer) {
        close_after = true;
        answers_.clear();
        break;
      }
    }
    if (awaiting_durability()) await_durability();
    if (close_after || (reading_done() && answers_.empty())) close_after_send();
  }

  // Too much is owed to the client: read no more requests until it is sent.
  bool blocked() const { return answers_.full() || unsent_bytes() > kUnsentBytesMax; }

  // Stores one request's events (anything with `headers` and `body`) through the source's
  // interceptors in every channel log, all or none, with the record time event_time() gives,
  // and counts them accepted, filtered or rejected. `prepared` is the shard's scratch vector
  // (its capacity is kept between requests).
  template <typename Event>
  ringbuf::AppendRefusal store_events(std::span<const Event> events, std::vector<ringbuf::PreparedEvent>& prepared,
                                      int64_t received_ms) {
    prepared.clear();
    for (const Event& e : events) prepared.push_back({event_time(e.headers, received_ms), e.headers, e.body});
    const EventWriter::Written written = writer_.write(prepared, received_ms);
    SourceProbe& probe = server().probe();
    if (written.refusal != ringbuf::AppendRefusal::none) {
      for (const Event& e : events) probe.event_rejected(e.body.size());
      return written.refusal;
    }
    // Which events a filter dropped is not kept; the counts are what matter.
    size_t filtered = written.filtered;
    for (const Event& e : events) {
      if (filtered > 0) {
        probe.event_filtered(e.body.size());
        --filtered;
      } else {
        probe.event_accepted(e.body.size());
      }
    }
    probe.routed(written.unrouted, written.optional_dropped);
    return written.refusal;
  }

  Answers& answers() { return answers_; }

 private:
  EventWriter& writer_;
  Answers answers_;
};

}  // namespace sluice::sources
