// A shard: one thread pinned to one core, owning one io_uring reactor, its receive buffers, the
// sources' per-shard parts and its part of every channel (as producer). Nothing it touches on
// the ingest path is shared with another shard.
//
// Threads: construct, start(), request_stop() and join() from the main thread (request_stop()
// from any thread); everything else runs on the shard's own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "base/result.h"
#include "ringbuf/log.h"
#include "server/app/log_durability.h"
#include "server/sources/shard_context.h"

namespace sluice::app {

struct ShardOptions {
  uint32_t id = 0;
  int cpu = -1;  // core to pin to, -1: not pinned
  uint32_t stream_buffer_count = 512;
  uint32_t stream_buffer_bytes = 64 << 10;
  uint32_t datagram_buffer_count = 256;
  uint32_t datagram_buffer_bytes = 0;  // 0: the shard runs no datagram source
  int64_t stop_timeout_ms = 5000;
  base::FdBudget* connection_fds = nullptr;  // shared by all shards (see ShardContext)
};

class Shard {
 public:
  // `logs`: this shard's log of every channel (it is their producer); `durability`: the group
  // commit and checkpoint work of the file-channel ones.
  Shard(ShardOptions options, std::vector<std::unique_ptr<sources::ShardSource>> sources,
        std::vector<ringbuf::Log*> logs, std::vector<std::unique_ptr<LogDurability>> durability);
  ~Shard();

  // Starts the thread and waits until its reactor and sources are up (or failed).
  Status start();
  void request_stop();
  void join();

 private:
  Status set_up();
  void run();
  void publish_all();
  void stop_sources();
  int64_t wait_ns(int64_t now_ms) const;

  const ShardOptions options_;
  std::vector<std::unique_ptr<sources::ShardSource>> sources_;
  std::vector<ringbuf::Log*> logs_;
  std::vector<std::unique_ptr<LogDurability>> durability_;
  std::unique_ptr<reactor::Reactor> reactor_;
  std::unique_ptr<reactor::BufferRing> stream_buffers_;
  std::unique_ptr<reactor::BufferRing> datagram_buffers_;
  sources::ShardContext context_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  int wake_fd_ = -1;  // outlives the thread's reactor, so request_stop() can always write it
};

}  // namespace sluice::app
