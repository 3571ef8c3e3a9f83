// Syslog over TCP (Flume's `syslogtcp`) on one shard: multishot accept on the shard's own
// SO_REUSEPORT socket, multishot receive into the shard's provided buffers, RFC 6587 framing
// (octet counting or LF, per message), and backpressure: when a channel is full the connection
// stops receiving and keeps what it already has, so the kernel's window pushes back on the
// sender. Shard thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "server/sources/shard_context.h"
#include "server/sources/syslog_ingest.h"
#include "server/syslog/tcp_framer.h"

namespace sluice::sources {

class SyslogTcpSource;

class TcpConnection final : public reactor::IoHandler {
 public:
  TcpConnection(SyslogTcpSource& source, int fd);
  ~TcpConnection() override;

  void start();
  enum class Progress { running, paused, closed };
  // Processes held buffers now that the channel may have room. After `closed` the connection
  // may be gone: the caller must not touch it again.
  Progress resume();
  // Stop receiving and close; the object deletes itself once no request refers to it.
  void close(const char* reason);
  bool paused() const { return paused_; }
  bool closing() const { return closing_; }
  void arm_receive();
  bool receive_armed() const { return receive_armed_; }

  void on_completion(uint8_t op, const io_uring_cqe& cqe) override;

 private:
  enum Op : uint8_t { kReceive = 1, kCancel = 2 };

  void on_receive(const io_uring_cqe& cqe);
  // Feeds held buffers, oldest first, until one pauses or all are done.
  Progress drain_held();
  void hold(uint16_t id, uint32_t length);
  void release_head();
  Progress finish_stream();
  void pause();
  void maybe_delete();

  SyslogTcpSource& source_;
  int fd_;
  syslog::TcpFramer framer_;
  char peer_ip_[48] = {};
  size_t peer_ip_len_ = 0;
  // Queue of received buffers not yet fully framed (linked through the buffer ring).
  uint16_t held_head_ = reactor::BufferRing::kNoBuffer;
  uint16_t held_tail_ = reactor::BufferRing::kNoBuffer;
  uint32_t held_offset_ = 0;  // bytes of the head buffer already consumed
  uint32_t requests_in_flight_ = 0;
  bool receive_armed_ = false;
  bool paused_ = false;
  bool end_of_stream_ = false;
  bool closing_ = false;
};

class SyslogTcpSource final : public ShardSource, public reactor::IoHandler {
 public:
  SyslogTcpSource(const SyslogSourceOptions& options, int listen_fd, std::vector<ringbuf::Log*> logs,
                  SourceProbe& probe);
  ~SyslogTcpSource() override;

  Status start(ShardContext& context) override;
  void begin_batch(int64_t now_ms) override { ingest_.set_now(now_ms); }
  void after_batch() override;
  bool waiting_for_space() const override { return !paused_.empty(); }
  void stop() override;
  bool stopped() const override;
  void on_completion(uint8_t op, const io_uring_cqe& cqe) override;

  const SourceProbe& probe() const { return *probe_; }

 private:
  friend class TcpConnection;
  enum Op : uint8_t { kAccept = 1, kCancelAccept = 2 };

  void arm_accept();
  void on_accept(const io_uring_cqe& cqe);
  void connection_paused(TcpConnection* c) { paused_.push_back(c); }
  void connection_starved(TcpConnection* c) { starved_.push_back(c); }
  void connection_gone(TcpConnection* c);

  const SyslogSourceOptions& options_;
  int listen_fd_;
  SourceProbe* probe_;
  SyslogIngest ingest_;
  ShardContext* context_ = nullptr;
  std::vector<TcpConnection*> connections_;
  std::vector<TcpConnection*> paused_;   // waiting for channel space
  std::vector<TcpConnection*> starved_;  // receive ended for lack of buffers
  bool accept_armed_ = false;
  bool stopping_ = false;
};

}  // namespace sluice::sources
