// What a sink runner reads one shard's events through. A channel's events are shared by all
// the sinks (and sink groups) that read it, as in Flume: each event goes to one of them. With
// one consumer the port is the shard's LogReader itself (DirectPort); with several, each gets a
// SharedPort onto one SharedLogReader, which hands out consecutive runs of events (leases) and
// commits the log only over the prefix of leases whose consumers are done with them, so that a
// crash re-delivers what was not done (at least once) and nothing is lost.
//
// A lease a consumer gives back (rewind(): its delivery failed and it is aborting, or it asks to
// be relieved) is handed to the next consumer that reads, before any new events.
//
// Threads: each port belongs to one runner thread. A SharedLogReader is used by its ports'
// threads under its own lock (a batch at a time, never per event); counters() from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "base/counter.h"
#include "ringbuf/log.h"

namespace sluice::sinks {

class EventPort {
 public:
  virtual ~EventPort() = default;
  // Appends up to `events_max` events (stopping once `bytes_max` is reached) to `out`; returns
  // how many. A given-back lease comes whole, whatever its size.
  virtual size_t read(std::vector<ringbuf::EventView>& out, size_t events_max, size_t bytes_max) = 0;
  // Done with everything this port read.
  virtual void commit() = 0;
  // Done with everything this port read up to and including `last`.
  virtual void commit_through(const ringbuf::EventView& last) = 0;
  // What this port read and did not commit is to be read again.
  virtual void rewind() = 0;
  virtual bool has_unread() const = 0;
  // Something read (or skipped) is not committed yet: commit() would release it.
  virtual bool has_uncommitted() const = 0;
  // The log is closed and every event of it is delivered and committed.
  virtual bool drained() const = 0;
};

// The only consumer of a shard's log.
class DirectPort final : public EventPort {
 public:
  explicit DirectPort(ringbuf::LogReader& reader) : reader_(reader) {}
  size_t read(std::vector<ringbuf::EventView>& out, size_t events_max, size_t bytes_max) override {
    return reader_.read(out, events_max, bytes_max);
  }
  void commit() override { reader_.commit(); }
  void commit_through(const ringbuf::EventView& last) override { reader_.commit_through(last); }
  void rewind() override { reader_.rewind(); }
  bool has_unread() const override { return reader_.has_unread(); }
  bool has_uncommitted() const override { return reader_.has_uncommitted(); }
  bool drained() const override { return reader_.drained(); }

 private:
  ringbuf::LogReader& reader_;
};

// One shard's log shared by several consumers.
class SharedLogReader {
 public:
  explicit SharedLogReader(ringbuf::LogReader& reader) : reader_(reader) {}
  SharedLogReader(const SharedLogReader&) = delete;
  SharedLogReader& operator=(const SharedLogReader&) = delete;

  // A port for one consumer (kept alive by the caller, as long as this reader).
  std::unique_ptr<EventPort> port();

  // Events given back by one consumer and handed to another (or the same) again.
  uint64_t redelivered_events() const { return redelivered_events_.value(); }

 private:
  friend class SharedPort;
  struct Lease {
    uint64_t id = 0;
    const void* owner = nullptr;  // the port holding it; nullptr: given back, waiting
    bool done = false;
    std::vector<ringbuf::EventView> events;  // kept for a hand-over; the last one commits
  };

  size_t read(const void* owner, std::vector<ringbuf::EventView>& out, size_t events_max, size_t bytes_max);
  void complete(const void* owner, const ringbuf::EventView* through);
  void give_back(const void* owner);
  bool has_unread() const;
  bool has_uncommitted(const void* owner) const;
  bool drained() const;
  // Commits the log over the leading leases that are done. Lock held.
  void commit_done_prefix();

  mutable std::mutex mutex_;
  ringbuf::LogReader& reader_;
  std::deque<Lease> leases_;  // in log order
  uint64_t next_id_ = 1;
  // Lease vectors kept for reuse (a lease per batch, so no allocation once warm).
  std::vector<std::vector<ringbuf::EventView>> spare_;
  base::Counter redelivered_events_;
};

}  // namespace sluice::sinks
