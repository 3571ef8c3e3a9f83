#include "server/app/shard.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <future>

#include <fmt/format.h>

#include "base/logger.h"
#include "base/time.h"

namespace sluice::app {
namespace {

constexpr uint16_t kStreamBufferGroup = 0;
constexpr uint16_t kDatagramBufferGroup = 1;
// How long a shard sleeps when idle, and when some connection waits for channel space.
constexpr int64_t kIdleWaitNs = 100'000'000;
constexpr int64_t kSpaceWaitNs = 1'000'000;
constexpr int64_t kMaintainIntervalMs = 100;

}  // namespace

Shard::Shard(ShardOptions options, std::vector<std::unique_ptr<sources::ShardSource>> sources,
             std::vector<ringbuf::Log*> logs, std::vector<std::unique_ptr<LogDurability>> durability)
    : options_(options), sources_(std::move(sources)), logs_(std::move(logs)), durability_(std::move(durability)) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  SLUICE_ASSERT(wake_fd_ >= 0, "cannot create an eventfd");
}

Shard::~Shard() {
  request_stop();
  join();
  close(wake_fd_);
}

Status Shard::start() {
  std::promise<Status> ready;
  auto ready_future = ready.get_future();
  thread_ = std::thread([this, &ready] {
    pthread_setname_np(pthread_self(), fmt::format("shard-{}", options_.id).c_str());
    Status status = set_up();
    bool ok = status.ok();
    // Closed logs let the sinks finish even though this shard never ran.
    if (!ok)
      for (auto* log : logs_) log->close();
    ready.set_value(std::move(status));  // `ready` must not be touched after this
    if (ok) run();
  });
  Status status = ready_future.get();
  if (!status.ok()) join();
  return status;
}

Status Shard::set_up() {
  if (options_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(options_.cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
      base::log_warn("shard {}: cannot pin to cpu {}; running unpinned", options_.id, options_.cpu);
  }
  reactor::Reactor::Options reactor_options;
  reactor_options.wake_fd = wake_fd_;
  auto reactor = reactor::Reactor::create(reactor_options);
  if (!reactor.ok()) return make_error(fmt::format("shard {}: {}", options_.id, reactor.error().message));
  reactor_ = std::move(reactor).value();

  auto stream = reactor::BufferRing::create(reactor_->ring(), kStreamBufferGroup, options_.stream_buffer_count,
                                            options_.stream_buffer_bytes);
  if (!stream.ok()) return make_error(fmt::format("shard {}: {}", options_.id, stream.error().message));
  stream_buffers_ = std::move(stream).value();
  if (options_.datagram_buffer_bytes > 0) {
    auto datagram = reactor::BufferRing::create(reactor_->ring(), kDatagramBufferGroup, options_.datagram_buffer_count,
                                                options_.datagram_buffer_bytes);
    if (!datagram.ok()) return make_error(fmt::format("shard {}: {}", options_.id, datagram.error().message));
    datagram_buffers_ = std::move(datagram).value();
  }

  context_.shard = options_.id;
  context_.reactor = reactor_.get();
  context_.stream_buffers = stream_buffers_.get();
  context_.datagram_buffers = datagram_buffers_.get();
  context_.connection_fds = options_.connection_fds;
  context_.now_ms = base::realtime_ms();
  for (auto& d : durability_) d->start(*reactor_);
  for (auto& source : sources_) {
    Status started = source->start(context_);
    if (!started.ok()) return make_error(fmt::format("shard {}: {}", options_.id, started.message()));
  }
  reactor_->submit();
  return {};
}

int64_t Shard::wait_ns(int64_t now_ms) const {
  int64_t wait = kIdleWaitNs;
  for (auto& source : sources_)
    if (source->waiting_for_space()) wait = kSpaceWaitNs;
  for (auto& d : durability_) {
    int64_t budget = d->wait_budget_ns(now_ms);
    if (budget >= 0) wait = std::min(wait, budget);
  }
  return wait;
}

void Shard::run() {
  int64_t next_maintain_ms = 0;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    reactor_->submit_and_wait(wait_ns(base::monotonic_ms()));
    context_.now_ms = base::realtime_ms();
    for (auto& source : sources_) source->begin_batch(context_.now_ms);
    reactor_->dispatch();
    for (auto& source : sources_) source->after_batch();
    // Sinks see new events at the publish; in fsync mode only once a group commit has made them
    // durable (LogDurability publishes when it completes).
    const int64_t now_ms = base::monotonic_ms();
    for (auto& d : durability_) d->after_batch(now_ms);
    publish_all();
    for (auto& d : durability_) d->tick(now_ms);
    if (context_.now_ms >= next_maintain_ms) {
      for (auto* log : logs_) log->maintain();
      next_maintain_ms = context_.now_ms + kMaintainIntervalMs;
    }
  }
  stop_sources();
  for (auto& d : durability_) d->flush();
  publish_all();
  for (auto& source : sources_) source->finish();
  for (auto* log : logs_) log->close();
  // The ring and buffers go with the thread that owns them.
  sources_.clear();
  durability_.clear();
  datagram_buffers_.reset();
  stream_buffers_.reset();
  reactor_.reset();
}

void Shard::stop_sources() {
  for (auto& source : sources_) source->stop();
  const int64_t deadline_ms = base::monotonic_ms() + options_.stop_timeout_ms;
  auto all_stopped = [&] {
    for (auto& source : sources_)
      if (!source->stopped()) return false;
    for (auto& d : durability_)
      if (!d->idle()) return false;
    return true;
  };
  while (!all_stopped()) {
    if (base::monotonic_ms() >= deadline_ms) {
      base::log_error("shard {}: sources did not stop within {} ms", options_.id, options_.stop_timeout_ms);
      for (auto& source : sources_)
        if (!source->stopped()) base::log_error("shard {}: {}", options_.id, source->stop_diagnostics());
      break;
    }
    reactor_->submit_and_wait(10'000'000);
    context_.now_ms = base::realtime_ms();
    for (auto& source : sources_) source->begin_batch(context_.now_ms);
    reactor_->dispatch();
    for (auto& source : sources_) source->after_batch();
    publish_all();
  }
}

void Shard::publish_all() {
  for (auto* log : logs_) log->publish();
}

void Shard::request_stop() {
  stop_requested_.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: a wake is pending already
  (void)ignored;
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace sluice::app
