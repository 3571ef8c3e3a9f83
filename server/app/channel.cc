#include "server/app/channel.h"

#include "ringbuf/segment_store.h"

namespace sluice::app {

Channel::Channel(const ChannelOptions& options) : options_(options) {
  ringbuf::LogOptions log_options;
  log_options.capacity_bytes = (options.capacity_bytes + options.shards - 1) / options.shards;
  log_options.capacity_events =
      options.capacity_events == 0 ? 0 : (options.capacity_events + options.shards - 1) / options.shards;
  log_options.readers = options.readers;
  for (uint32_t shard = 0; shard < options.shards; ++shard) {
    logs_.push_back(std::make_unique<ringbuf::Log>(
        log_options, std::make_unique<ringbuf::MemorySegmentStore>(options.segment_bytes), &doorbell_));
  }
}

void Channel::collect(base::MetricsWriter& out) const {
  for (uint32_t shard = 0; shard < logs_.size(); ++shard) {
    ringbuf::LogStats s = logs_[shard]->stats();
    base::Labels labels = {{"component", options_.name}, {"type", options_.type}, {"shard", std::to_string(shard)}};
    out.gauge("sluice_channel_size_events", "Events stored that some sink has not committed yet.", labels,
              static_cast<double>(s.size_events()));
    out.gauge("sluice_channel_size_bytes", "Bytes stored that some sink has not committed yet.", labels,
              static_cast<double>(s.size_bytes()));
    out.gauge("sluice_channel_capacity_bytes", "Capacity of this shard's part of the channel.", labels,
              static_cast<double>(s.capacity_bytes));
    out.gauge("sluice_channel_fill_ratio", "size_bytes / capacity_bytes (and events, when bounded by count).",
              labels, s.fill_ratio());
    out.gauge("sluice_channel_segments", "Segments held.", labels, static_cast<double>(s.segments_live));
    out.counter("sluice_channel_appended_events_total", "Events appended since start.", labels,
                static_cast<double>(s.published_sequence));
  }
}

}  // namespace sluice::app
