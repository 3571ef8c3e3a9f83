// What a shard lends the sources running on it: its reactor, its receive buffer pools and the
// time of the current batch. Shard thread only.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd_budget.h"
#include "base/result.h"
#include "server/reactor/buffer_ring.h"
#include "server/reactor/reactor.h"

namespace sluice::sources {

struct ShardContext {
  uint32_t shard = 0;
  reactor::Reactor* reactor = nullptr;
  // Provided buffers for stream sockets (TCP) and for datagrams (UDP); null when the shard
  // runs no source of that kind.
  reactor::BufferRing* stream_buffers = nullptr;
  reactor::BufferRing* datagram_buffers = nullptr;
  // Wall-clock time of the current completion batch, refreshed once per batch.
  int64_t now_ms = 0;
  // The process-wide budget of descriptors for accepted connections; null: unlimited (tests).
  base::FdBudget* connection_fds = nullptr;
};

// A source's presence on one shard. Created on the main thread, then used only by its shard.
class ShardSource {
 public:
  virtual ~ShardSource() = default;
  // Arms the first requests (accept, receive).
  virtual Status start(ShardContext& context) = 0;
  // Called once per batch, before its completions are dispatched.
  virtual void begin_batch(int64_t now_ms) {}
  // Called after every batch: resume what waited for channel space or receive buffers.
  virtual void after_batch() {}
  // Work is waiting for channel space: the shard should come back soon rather than sleep.
  virtual bool waiting_for_space() const { return false; }
  // Stop accepting, stop receiving, keep what was already received if the channel takes it,
  // close every socket. Completions keep arriving until stopped() is true.
  virtual void stop() = 0;
  virtual bool stopped() const = 0;
  // What is still open after stop(), for the log when stopping takes too long.
  virtual std::string stop_diagnostics() const { return {}; }
  // Called once after stopped(), when the shard has made every append durable: the last word
  // (a tailing source writes its final positions here).
  virtual void finish() {}
};

}  // namespace sluice::sources
