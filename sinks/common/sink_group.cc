#include "sinks/common/sink_group.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/time.h"

namespace sluice::sinks {

namespace {

// 1 s << failures, capped (Flume's int arithmetic overflows after ~22 failures; this cannot).
int64_t cooldown_ms(uint32_t failures, int64_t max_ms) {
  const uint32_t shift = std::min<uint32_t>(failures, 20);
  return std::min<int64_t>(max_ms, int64_t{1000} << shift);
}

}  // namespace

SinkGroup::SinkGroup(std::string group, std::vector<GroupMember> members, Clock clock)
    : group_(std::move(group)), clock_(std::move(clock)) {
  SLUICE_ASSERT(!members.empty(), "a sink group needs sinks");
  for (GroupMember& m : members) {
    SLUICE_ASSERT(m.sink && !m.sink->pipelined(), "a sink group's members are synchronous sinks");
    auto member = std::make_unique<Member>();
    member->config = std::move(m);
    members_.push_back(std::move(member));
  }
}

Status SinkGroup::open() {
  for (auto& m : members_) {
    if (Status s = m->config.sink->open(); !s)
      return make_error(fmt::format("sink {}: {}", m->config.name, s.message()));
  }
  return {};
}

void SinkGroup::tick(int64_t now_ms) {
  for (auto& m : members_) m->config.sink->tick(now_ms);
}

int64_t SinkGroup::tick_interval_ms() const {
  int64_t interval = members_.front()->config.sink->tick_interval_ms();
  for (const auto& m : members_) interval = std::min(interval, m->config.sink->tick_interval_ms());
  return interval;
}

void SinkGroup::interrupt() {
  for (auto& m : members_) m->config.sink->interrupt();
}

void SinkGroup::close() {
  for (auto& m : members_) m->config.sink->close();
}

void SinkGroup::collect(base::MetricsWriter& out, const base::Labels& labels) const {
  const int64_t now = now_ms();
  for (const auto& m : members_) {
    base::Labels member = labels;
    member.push_back({"sink", m->config.name});
    out.counter("sluice_sink_group_delivered_batches_total", "Batches a member sink of the group delivered.", member,
                m->delivered_batches.value());
    out.counter("sluice_sink_group_failed_batches_total",
                "Batches a member sink of the group failed (each then offered to the next sink).", member,
                m->failed_batches.value());
    out.gauge("sluice_sink_group_cooling_down_sinks", "1 while the member sink sits out after failures.", member,
              m->cooling_until_ms > now ? 1.0 : 0.0);
    m->config.sink->collect(out, {{"component", m->config.name}, {"type", m->config.type}});
  }
}

Delivery SinkGroup::offer(std::span<const ringbuf::EventView> events, const std::vector<size_t>& order,
                          int64_t cooldown_max_ms, bool cool_down_failures) {
  std::string errors;
  for (size_t index : order) {
    Member& m = *members_[index];
    Delivery d = m.config.sink->deliver(events);
    if (d.status != DeliveryStatus::retry) {
      m.failures = 0;
      m.cooling_until_ms = 0;
      m.delivered_batches.add();
      return d;
    }
    m.failed_batches.add();
    ++m.failures;
    if (cool_down_failures) m.cooling_until_ms = now_ms() + cooldown_ms(m.failures, cooldown_max_ms);
    if (failure_log_.allow(base::realtime_ms()))
      base::log_warn("sink group {}: sink {} failed a batch ({}){}", group_, m.config.name, d.error,
                     cool_down_failures ? fmt::format("; it sits out {} ms", cooldown_ms(m.failures, cooldown_max_ms))
                                        : std::string());
    errors += fmt::format("{}{}: {}", errors.empty() ? "" : "; ", m.config.name, d.error);
  }
  if (order.empty()) return Delivery::retry("every sink of the group is sitting out after failures");
  return Delivery::retry(fmt::format("every sink of the group failed ({})", errors));
}

// --- failover ---

FailoverSinks::FailoverSinks(std::string group, std::vector<GroupMember> members, int64_t max_penalty_ms, Clock clock)
    : SinkGroup(
          std::move(group),
          [&] {
            std::stable_sort(members.begin(), members.end(),
                             [](const GroupMember& a, const GroupMember& b) { return a.priority > b.priority; });
            return std::move(members);
          }(),
          std::move(clock)),
      max_penalty_ms_(max_penalty_ms) {}

Delivery FailoverSinks::deliver(std::span<const ringbuf::EventView> events) {
  const int64_t now = now_ms();
  order_.clear();
  // Sinks back from their cool-down first, the longest waiting first (Flume tries them before
  // the active sink, so that a restarted primary takes over again).
  for (size_t i = 0; i < members_.size(); ++i)
    if (members_[i]->cooling_until_ms != 0 && members_[i]->cooling_until_ms <= now) order_.push_back(i);
  std::stable_sort(order_.begin(), order_.end(),
                   [&](size_t a, size_t b) { return members_[a]->cooling_until_ms < members_[b]->cooling_until_ms; });
  // Then the live ones, highest priority first (members_ is in that order).
  for (size_t i = 0; i < members_.size(); ++i)
    if (members_[i]->cooling_until_ms == 0) order_.push_back(i);
  return offer(events, order_, max_penalty_ms_, true);
}

const std::string& FailoverSinks::active() const {
  for (const auto& m : members_)
    if (m->cooling_until_ms == 0) return m->config.name;
  return members_.front()->config.name;
}

// --- load_balance ---

LoadBalancedSinks::LoadBalancedSinks(std::string group, std::vector<GroupMember> members, bool random, bool backoff,
                                     int64_t max_timeout_ms, Clock clock, uint64_t seed)
    : SinkGroup(std::move(group), std::move(members), std::move(clock)),
      random_(random),
      backoff_(backoff),
      max_timeout_ms_(max_timeout_ms),
      random_state_(seed | 1) {}

Delivery LoadBalancedSinks::deliver(std::span<const ringbuf::EventView> events) {
  const int64_t now = now_ms();
  order_.clear();
  for (size_t k = 0; k < members_.size(); ++k) {
    const size_t i = (next_ + k) % members_.size();
    if (!backoff_ || members_[i]->cooling_until_ms <= now) order_.push_back(i);
  }
  next_ = (next_ + 1) % members_.size();
  if (random_) {
    // Fisher-Yates with xorshift64.
    for (size_t i = order_.size(); i > 1; --i) {
      random_state_ ^= random_state_ << 13;
      random_state_ ^= random_state_ >> 7;
      random_state_ ^= random_state_ << 17;
      std::swap(order_[i - 1], order_[random_state_ % i]);
    }
  }
  return offer(events, order_, max_timeout_ms_, backoff_);
}

}  // namespace sluice::sinks
