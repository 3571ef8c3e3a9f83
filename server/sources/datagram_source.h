// What every UDP source shares, on one shard: one SO_REUSEPORT socket, a multishot recvmsg
// into the shard's datagram buffers, the kernel's drop counter (SO_RXQ_OVFL) turned into a
// metric, and a clean stop. A protocol derives and says what one datagram becomes
// (on_datagram). UDP cannot push back: a datagram a full channel refuses is dropped, counted.
//
// Threads: constructed on the main thread; everything else on the shard's thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/logger.h"
#include "server/sources/shard_context.h"
#include "server/sources/source_probe.h"

namespace sluice::sources {

class DatagramSource : public ShardSource, public reactor::IoHandler {
 public:
  DatagramSource(std::string name, int fd, SourceProbe& probe);
  ~DatagramSource() override;

  Status start(ShardContext& context) override;
  void after_batch() override;
  void stop() override;
  bool stopped() const override { return !receive_armed_; }
  void on_completion(uint8_t op, const io_uring_cqe& cqe) final;

  const SourceProbe& probe() const { return *probe_; }

 protected:
  // One datagram's payload (`truncated`: it was longer than the buffer) and its sender (null
  // when the kernel gave none).
  virtual void on_datagram(std::string_view payload, bool truncated, const sockaddr* sender) = 0;
  SourceProbe& source_probe() { return *probe_; }
  base::RateLimitedLog& rate_limited_log() { return noisy_log_; }
  int64_t now_ms() const { return context_->now_ms; }

 private:
  enum Op : uint8_t { kReceive = 1, kCancel = 2 };
  void arm_receive();
  void on_buffer(std::byte* buffer, uint32_t length);
  void note_kernel_drops(io_uring_recvmsg_out* out);

  const std::string name_;
  int fd_;
  SourceProbe* probe_;
  ShardContext* context_ = nullptr;
  base::RateLimitedLog noisy_log_;
  msghdr message_header_{};  // template for the multishot recvmsg: room for the sender address
  uint32_t kernel_drops_seen_ = 0;
  bool receive_armed_ = false;
  bool stopping_ = false;
};

}  // namespace sluice::sources
