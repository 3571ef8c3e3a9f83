// A source's counters on one shard. The shard thread writes them; the admin thread reads them
// when /metrics is scraped.
#pragma once

#include <string>

#include "server/base/counter.h"
#include "server/base/metrics.h"

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

  // Admin thread.
  void collect(base::MetricsWriter& out) const;

 private:
  std::string component_;
  std::string type_;
  uint32_t shard_;
  base::Counter received_events_, received_bytes_, accepted_events_, accepted_bytes_, rejected_events_, rejected_bytes_;
  base::Counter invalid_events_, truncated_events_, framing_errors_;
  base::Counter connections_accepted_, connections_refused_, receive_errors_, backpressure_pauses_, kernel_drops_;
  base::Gauge connections_active_;
};

}  // namespace sluice::sources
