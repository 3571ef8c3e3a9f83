#include "sinks/common/event_port.h"

#include <algorithm>

#include "base/assert.h"

namespace sluice::sinks {

class SharedPort final : public EventPort {
 public:
  explicit SharedPort(SharedLogReader& shared) : shared_(shared) {}
  size_t read(std::vector<ringbuf::EventView>& out, size_t events_max, size_t bytes_max) override {
    return shared_.read(this, out, events_max, bytes_max);
  }
  void commit() override { shared_.complete(this, nullptr); }
  void commit_through(const ringbuf::EventView& last) override { shared_.complete(this, &last); }
  void rewind() override { shared_.give_back(this); }
  bool has_unread() const override { return shared_.has_unread(); }
  bool has_uncommitted() const override { return shared_.has_uncommitted(this); }
  bool drained() const override { return shared_.drained(); }

 private:
  SharedLogReader& shared_;
};

std::unique_ptr<EventPort> SharedLogReader::port() { return std::make_unique<SharedPort>(*this); }

size_t SharedLogReader::read(const void* owner, std::vector<ringbuf::EventView>& out, size_t events_max,
                             size_t bytes_max) {
  std::lock_guard lock(mutex_);
  // A lease another consumer gave back goes first: it holds up the commit of everything after.
  for (Lease& lease : leases_) {
    if (lease.owner != nullptr || lease.done) continue;
    lease.owner = owner;
    out.insert(out.end(), lease.events.begin(), lease.events.end());
    redelivered_events_.add(lease.events.size());
    return lease.events.size();
  }
  const size_t before = out.size();
  const size_t n = reader_.read(out, events_max, bytes_max);
  if (n == 0) return 0;
  Lease lease{.id = next_id_++, .owner = owner};
  if (!spare_.empty()) {
    lease.events = std::move(spare_.back());
    spare_.pop_back();
  }
  lease.events.assign(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
  leases_.push_back(std::move(lease));
  return n;
}

void SharedLogReader::complete(const void* owner, const ringbuf::EventView* through) {
  std::lock_guard lock(mutex_);
  for (Lease& lease : leases_) {
    if (lease.owner != owner || lease.done) continue;
    // A lease is done only when all of it is (a pipelined sink may report part of one).
    if (through != nullptr && lease.events.back().position() > through->position()) break;
    lease.done = true;
  }
  if (leases_.empty()) {
    // Nothing outstanding: what the reader skipped (a segment's end marker) can go.
    if (reader_.has_uncommitted()) reader_.commit();
    return;
  }
  commit_done_prefix();
}

void SharedLogReader::give_back(const void* owner) {
  std::lock_guard lock(mutex_);
  for (Lease& lease : leases_)
    if (lease.owner == owner && !lease.done) lease.owner = nullptr;
}

void SharedLogReader::commit_done_prefix() {
  bool committed = false;
  while (!leases_.empty() && leases_.front().done) {
    reader_.commit_through(leases_.front().events.back());
    committed = true;
    spare_.push_back(std::move(leases_.front().events));
    spare_.back().clear();
    leases_.pop_front();
  }
  // With nothing outstanding, also release what was skipped after the last event.
  if (committed && leases_.empty() && reader_.has_uncommitted()) reader_.commit();
}

bool SharedLogReader::has_unread() const {
  std::lock_guard lock(mutex_);
  for (const Lease& lease : leases_)
    if (lease.owner == nullptr && !lease.done) return true;
  return reader_.has_unread();
}

bool SharedLogReader::has_uncommitted(const void* owner) const {
  std::lock_guard lock(mutex_);
  for (const Lease& lease : leases_)
    if (lease.owner == owner && !lease.done) return true;
  return leases_.empty() && reader_.has_uncommitted();
}

bool SharedLogReader::drained() const {
  std::lock_guard lock(mutex_);
  return leases_.empty() && reader_.drained();
}

}  // namespace sluice::sinks
