// Syslog over UDP (Flume's `syslogudp`) on one shard: one SO_REUSEPORT socket, a multishot
// recvmsg into the shard's datagram buffers, one message per datagram. UDP cannot push back:
// when a channel is full the datagram is dropped and counted (rejected events).
// Shard thread only.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <vector>

#include "server/sources/shard_context.h"
#include "server/sources/syslog_ingest.h"

namespace sluice::sources {

class SyslogUdpSource final : public ShardSource, public reactor::IoHandler {
 public:
  SyslogUdpSource(const SyslogSourceOptions& options, int fd, EventWriter writer, SourceProbe& probe);
  ~SyslogUdpSource() override;

  Status start(ShardContext& context) override;
  void begin_batch(int64_t now_ms) override { ingest_.set_now(now_ms); }
  void after_batch() override;
  void stop() override;
  bool stopped() const override { return !receive_armed_; }
  void on_completion(uint8_t op, const io_uring_cqe& cqe) override;

  const SourceProbe& probe() const { return *probe_; }

 private:
  enum Op : uint8_t { kReceive = 1, kCancel = 2 };
  void arm_receive();
  void on_datagram(std::byte* buffer, uint32_t length);
  void note_kernel_drops(io_uring_recvmsg_out* out);

  const SyslogSourceOptions& options_;
  int fd_;
  SourceProbe* probe_;
  SyslogIngest ingest_;
  ShardContext* context_ = nullptr;
  msghdr message_header_{};  // template for the multishot recvmsg: room for the sender address
  uint32_t kernel_drops_seen_ = 0;
  bool receive_armed_ = false;
  bool stopping_ = false;
};

}  // namespace sluice::sources
