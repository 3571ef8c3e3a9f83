// A source's counters on one shard. The shard thread writes them; the admin thread reads them
// when /metrics is scraped.
#pragma once

#include <string>

#include "base/counter.h"
#include "base/metrics.h"

namespace sluice::sources {

class SourceProbe {
 public:
  SourceProbe(std::string component, std::string type, uint32_t shard)
      : component_(std::move(component)), type_(std::move(type)), shard_(shard) {}
  SourceProbe(const SourceProbe&) = delete;
  SourceProbe& operator=(const SourceProbe&) = delete;

  // An event was stored in every channel of the source.
  void event_accepted(uint64_t bytes) {
    received_events_.add();
    received_bytes_.add(bytes);
    accepted_events_.add();
    accepted_bytes_.add(bytes);
  }
  // An event was received but could not be stored (UDP with a full channel) and is lost.
  void event_rejected(uint64_t bytes) {
    received_events_.add();
    received_bytes_.add(bytes);
    rejected_events_.add();
    rejected_bytes_.add(bytes);
  }
  // An event was received and an interceptor dropped it (regex_filter, say): not an error.
  void event_filtered(uint64_t bytes) {
    received_events_.add();
    received_bytes_.add(bytes);
    filtered_events_.add();
  }
  // What the channel selector did with stored events: `unrouted` went to no channel (a
  // multiplexing selector without a default), `optional_dropped` copies an optional channel
  // could not take.
  void routed(uint64_t unrouted, uint64_t optional_dropped) {
    if (unrouted) unrouted_events_.add(unrouted);
    if (optional_dropped) optional_dropped_events_.add(optional_dropped);
  }
  void event_invalid() { invalid_events_.add(); }
  void event_truncated() { truncated_events_.add(); }
  void framing_error() { framing_errors_.add(); }
  void connection_accepted() {
    connections_accepted_.add();
    connections_active_.add(1);
  }
  void connection_closed() { connections_active_.add(-1); }
  void connection_refused() { connections_refused_.add(); }
  void receive_error() { receive_errors_.add(); }
  // UDP: datagrams the kernel dropped before sluice could read them (socket buffer full).
  void kernel_dropped(uint64_t n) { kernel_drops_.add(n); }
  void paused_for_space() { backpressure_pauses_.add(); }
  uint64_t backpressure_pauses() const { return backpressure_pauses_.value(); }
  uint64_t accepted_events() const { return accepted_events_.value(); }

  // Hardening: what hostile or broken clients cost, one counter per cause.
  enum class Timeout : uint8_t { idle, partial_input, send, count_ };
  // A connection closed by a timeout: idle (nothing received), partial_input (a frame or
  // request begun but not finished in time), send (the peer does not read its answers).
  void connection_timed_out(Timeout kind) { timeouts_[static_cast<size_t>(kind)].add(); }
  // A request or frame refused for breaking a limit (header key too long, frame too large, an
  // inflated body over the limit, the shard's budget for partial input spent...): an error went
  // to that client only.
  void limit_exceeded() { limit_rejections_.add(); }
  // accept() failed with EMFILE/ENFILE (out of file descriptors), or a connection was closed at
  // once to keep descriptors in reserve for the channel's segments and checkpoints.
  void accept_fd_exhausted() { accept_fd_exhausted_.add(); }
  // Bytes held for input not yet complete (partial frames, request bodies, inflated data).
  void partial_bytes_changed(int64_t delta) { partial_bytes_.add(delta); }

  // Admin thread.
  void collect(base::MetricsWriter& out) const;

 private:
  std::string component_;
  std::string type_;
  uint32_t shard_;
  base::Counter received_events_, received_bytes_, accepted_events_, accepted_bytes_, rejected_events_, rejected_bytes_;
  base::Counter filtered_events_, unrouted_events_, optional_dropped_events_, invalid_events_, truncated_events_,
      framing_errors_;
  base::Counter connections_accepted_, connections_refused_, receive_errors_, backpressure_pauses_, kernel_drops_;
  base::Counter timeouts_[static_cast<size_t>(Timeout::count_)];
  base::Counter limit_rejections_, accept_fd_exhausted_;
  base::Gauge connections_active_, partial_bytes_;
};

}  // namespace sluice::sources
