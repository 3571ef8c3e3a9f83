// What every TCP source shares, on one shard: a listening socket with multishot accept, and
// connections that receive with multishot recv into the shard's provided buffers, hand the
// bytes to their protocol, may pause (keeping what they already received, so that the kernel's
// window pushes back on the sender), send responses in order, time out, and close cleanly.
//
// A protocol derives from StreamConnection (consume()/end_of_stream(), and send()), a source
// from StreamServer (make_connection()). Syslog TCP, HTTP and Avro RPC are built this way.
//
// Threads: everything here runs on the shard thread that owns the source, except the
// StreamServer constructor (main thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/logger.h"
#include "server/reactor/buffer_ring.h"
#include "server/sources/shard_context.h"
#include "server/sources/source_probe.h"

namespace sluice::sources {

class StreamServer;

class StreamConnection : public reactor::IoHandler {
 public:
  // The outcome of handing the protocol some work.
  enum class Progress {
    running,  // all of it done
    paused,   // it must wait (channel full, responses outstanding); resume() later
    closed,   // the connection is closing: the object may be gone, touch nothing
  };
  enum class PauseReason : uint8_t { none, channel_full, waiting };

  StreamConnection(StreamServer& server, int fd);
  ~StreamConnection() override;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  void start();
  // For a paused connection: let the protocol continue, then process held buffers. After
  // `closed` the connection may be gone.
  Progress resume();
  // Closes now: stops receiving, drops unsent bytes. The server deletes the object at its next
  // after_batch() once no request refers to it, so the caller may still return through it.
  void close(const char* reason);
  // Stops taking input, sends what is queued, then closes (lingering: the rest of the peer's
  // input is read and discarded for a moment, so that it sees the last response, not a reset).
  void close_after_send();

  bool paused() const { return pause_reason_ != PauseReason::none; }
  PauseReason pause_reason() const { return pause_reason_; }
  bool closing() const { return closing_; }
  bool receive_armed() const { return receive_armed_; }
  void arm_receive();
  std::string_view peer_ip() const { return {peer_ip_, peer_ip_len_}; }
  // The peer for log lines: its address, or "a client" when the source does not resolve it.
  std::string_view peer_name() const { return peer_ip_len_ ? peer_ip() : std::string_view("a client"); }
  int64_t last_activity_ms() const { return last_activity_ms_; }
  // One line of state, for diagnostics.
  std::string describe() const;

  // Called about once a second with the shard's clock: the protocol's timeouts.
  virtual void check_timeouts(int64_t now_ms) {}

  void on_completion(uint8_t op, const io_uring_cqe& cqe) final;

 protected:
  friend class StreamServer;
  // Hands the protocol received bytes. `consumed` is how much it used: all of `chunk` with
  // running; with paused, the rest is kept and offered again after resume().
  virtual Progress consume(std::string_view chunk, size_t& consumed) = 0;
  // The peer closed its side and everything it sent was consumed. Return paused to be called
  // again after resume(), or close (or close_after_send) and return closed.
  virtual Progress end_of_stream() = 0;
  // resume() calls this first: continue whatever made the protocol pause.
  virtual Progress continue_work() { return Progress::running; }
  // Whether to serve a new connection at all (an address filter, say); false closes it.
  virtual bool admit() { return true; }
  // Everything queued with send() has been written.
  virtual void on_sent() {}
  // For protocols that answer only once events are durable: sends the answers whose events
  // became durable, resumes reading if it waited for them, and returns whether answers still
  // wait (then the server asks again after the next batch). It may close the connection and
  // return false: touch nothing then.
  virtual bool send_durable_answers() { return false; }
  // Asks the server to call send_durable_answers() after each batch until it returns false.
  void await_durability();

  // Queues bytes to send, in order after what was queued before.
  void send(std::string_view bytes);
  size_t unsent_bytes() const { return sending_.size() - sent_ + outgoing_.size(); }
  // Stops receiving until resume(); the reason decides how soon the server retries.
  void pause(PauseReason reason);
  StreamServer& server() { return server_; }
  int64_t now_ms() const;

 private:
  enum Op : uint8_t { kReceive = 1, kCancel = 2, kSend = 3 };

  void on_receive(const io_uring_cqe& cqe);
  void on_send(const io_uring_cqe& cqe);
  Progress drain_held();
  void hold(uint16_t id, uint32_t length);
  void release_head();
  void cancel_receive();
  void submit_send();
  void finish_close();
  void maybe_delete();
  reactor::BufferRing& buffers();

  StreamServer& server_;
  int fd_;
  char peer_ip_[48] = {};
  size_t peer_ip_len_ = 0;
  // Received buffers not yet fully consumed (linked through the buffer ring).
  uint16_t held_head_ = reactor::BufferRing::kNoBuffer;
  uint16_t held_tail_ = reactor::BufferRing::kNoBuffer;
  uint32_t held_offset_ = 0;
  // Sending: `sending_` is being written (from `sent_` on); `outgoing_` collects what comes next.
  std::string sending_;
  size_t sent_ = 0;
  std::string outgoing_;
  bool send_in_flight_ = false;
  uint32_t requests_in_flight_ = 0;
  int64_t last_activity_ms_ = 0;
  int64_t send_progress_ms_ = 0;  // when the send in flight was submitted or last moved
  int64_t linger_until_ms_ = 0;
  base::FdBudget* fd_budget_ = nullptr;  // gets the descriptor back when the connection is deleted
  PauseReason pause_reason_ = PauseReason::none;
  bool receive_armed_ = false;
  bool end_of_stream_ = false;
  bool close_after_send_ = false;
  bool lingering_ = false;  // response sent, write side shut: discarding input until EOF
  bool closing_ = false;
  bool reaped_ = false;  // handed to the server for deletion
};

struct StreamServerOptions {
  std::string name;  // the source's name, for messages
  uint32_t connections_max = 10000;
  bool resolve_peer_ip = false;  // getpeername() on accept (for client IP headers)
  // A connection whose answers made no progress for this long (the peer does not read them) is
  // closed and counted as a send timeout; 0: never.
  int64_t send_timeout_ms = 0;
};

class StreamServer : public ShardSource, public reactor::IoHandler {
 public:
  StreamServer(StreamServerOptions options, int listen_fd, SourceProbe& probe);
  ~StreamServer() override;

  Status start(ShardContext& context) override;
  void after_batch() override;
  bool waiting_for_space() const override;
  void stop() override;
  bool stopped() const override;
  std::string stop_diagnostics() const override;
  void on_completion(uint8_t op, const io_uring_cqe& cqe) override;

  ShardContext& context() { return *context_; }
  SourceProbe& probe() { return *probe_; }
  base::RateLimitedLog& rate_limited_log() { return noisy_log_; }
  const StreamServerOptions& server_options() const { return options_; }

 protected:
  // A new connection's protocol object (allocated with new; it deletes itself).
  virtual StreamConnection* make_connection(int fd) = 0;
  const std::vector<StreamConnection*>& connections() const { return connections_; }

 private:
  friend class StreamConnection;
  enum Op : uint8_t { kAccept = 1, kCancelAccept = 2 };

  void arm_accept();
  void on_accept(const io_uring_cqe& cqe);
  // Out of descriptors (EMFILE/ENFILE): accept again only after a pause, instead of spinning on
  // a multishot accept that fails at once every time it is re-armed.
  void back_off_accept(int error);
  void refuse_over_fd_budget(int fd);
  // The generic timeouts every protocol gets (linger, send); true when it closed `c`.
  bool close_if_timed_out(StreamConnection* c);
  void connection_paused(StreamConnection* c) { paused_.push_back(c); }
  void connection_starved(StreamConnection* c) { starved_.push_back(c); }
  void connection_gone(StreamConnection* c);
  void send_durable_answers();
  // Deletes the connections that finished closing (a safe point: no handler is running).
  void reap();

  const StreamServerOptions options_;
  int listen_fd_;
  SourceProbe* probe_;
  ShardContext* context_ = nullptr;
  base::RateLimitedLog noisy_log_;
  std::vector<StreamConnection*> connections_;
  std::vector<StreamConnection*> paused_;               // waiting to resume
  std::vector<StreamConnection*> starved_;              // receive ended for lack of buffers
  std::vector<StreamConnection*> reap_;                 // closed, no request in flight: to delete
  std::vector<StreamConnection*> awaiting_durability_;  // answers wait for the channels
  int64_t next_timeout_check_ms_ = 0;
  int64_t accept_retry_at_ms_ = 0;
  bool accept_armed_ = false;
  bool stopping_ = false;
};

}  // namespace sluice::sources
