// Flume's sink processors: several sinks as one consumer of their channel, run by one
// SinkRunner (one thread, as Flume runs a group), each batch given to one sink:
//
//   FailoverSinks      the sink of highest priority that is not cooling down; a sink whose
//                      delivery fails cools down for min(maxpenalty, 1 s << failures) and the
//                      same batch goes to the next one; a sink whose cool-down has passed is
//                      tried first again (so a restarted primary takes over), as in Flume.
//   LoadBalancedSinks  round robin (the first sink to try moves on by one each batch) or a
//                      random order; a failed batch goes to the next sink in that order, and
//                      with backoff a failed sink sits out min(maxTimeOut, 1 s << failures).
//
// When every sink fails the batch, the runner backs off and offers the same batch again: a
// group never skips a batch, so nothing is lost or reordered within a shard. Members must be
// synchronous sinks (a pipelined sink keeps events in flight that a failover could not take
// back).
//
// Threads: the runner's thread; collect() on the admin thread (counters only).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/counter.h"
#include "base/logger.h"
#include "sinks/common/sink.h"

namespace sluice::sinks {

struct GroupMember {
  std::string name;  // the sink's name in the config
  std::string type;  // its type (for its metrics' labels)
  std::unique_ptr<Sink> sink;
  int64_t priority = 0;  // failover: higher first
};

// What both processors share: the members, their open/tick/close, the per-member counters.
class SinkGroup : public Sink {
 public:
  using Clock = std::function<int64_t()>;  // monotonic ms; a test clock in tests

  SinkGroup(std::string group, std::vector<GroupMember> members, Clock clock);

  Status open() override;
  void tick(int64_t now_ms) override;
  int64_t tick_interval_ms() const override;
  void interrupt() override;
  void close() override;
  void collect(base::MetricsWriter& out, const base::Labels& labels) const override;

  size_t size() const { return members_.size(); }

 protected:
  struct Member {
    GroupMember config;
    uint32_t failures = 0;  // consecutive
    // 0: not cooling down. Written by the runner's thread; atomic only so that collect() on the
    // admin thread may read it.
    std::atomic<int64_t> cooling_until_ms{0};
    base::Counter delivered_batches, failed_batches;
  };
  // Offers the batch to `order`'s members in turn; the first that is done with it wins.
  Delivery offer(std::span<const ringbuf::EventView> events, const std::vector<size_t>& order, int64_t cooldown_max_ms,
                 bool cool_down_failures);
  int64_t now_ms() const { return clock_(); }

  const std::string group_;
  std::vector<std::unique_ptr<Member>> members_;
  const Clock clock_;
  base::RateLimitedLog failure_log_{5, 10'000};
};

class FailoverSinks final : public SinkGroup {
 public:
  // `members` in any order: they are ranked by priority here.
  FailoverSinks(std::string group, std::vector<GroupMember> members, int64_t max_penalty_ms, Clock clock);
  Delivery deliver(std::span<const ringbuf::EventView> events) override;
  // The member that takes batches now (for tests and the status page).
  const std::string& active() const;

 private:
  const int64_t max_penalty_ms_;
  std::vector<size_t> order_;  // scratch
};

class LoadBalancedSinks final : public SinkGroup {
 public:
  LoadBalancedSinks(std::string group, std::vector<GroupMember> members, bool random, bool backoff,
                    int64_t max_timeout_ms, Clock clock, uint64_t seed);
  Delivery deliver(std::span<const ringbuf::EventView> events) override;

 private:
  const bool random_;
  const bool backoff_;
  const int64_t max_timeout_ms_;
  size_t next_ = 0;
  uint64_t random_state_;
  std::vector<size_t> order_;  // scratch
};

}  // namespace sluice::sinks
