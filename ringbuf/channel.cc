#include "ringbuf/channel.h"

#include <filesystem>

#include <fmt/format.h>

#include "base/logger.h"
#include "ringbuf/segment_file.h"
#include "ringbuf/segment_store.h"

namespace sluice::ringbuf {

namespace fs = std::filesystem;

Result<std::unique_ptr<Channel>> Channel::open(const ChannelOptions& options) {
  SLUICE_ASSERT(options.shards >= 1 && !options.readers.empty(), "a channel needs shards and readers");
  std::unique_ptr<Channel> channel(new Channel(options));
  if (Status s = channel->open_shards(); !s) return Error{s.message()};
  return channel;
}

std::string Channel::shard_directory(uint32_t shard) const {
  const auto& dirs = options_.data_dirs;
  return (fs::path(dirs[shard % dirs.size()]) / options_.name / fmt::format("shard-{}", shard)).string();
}

Status Channel::open_shards() {
  const uint32_t shards = options_.shards;
  ringbuf::LogOptions log_options;
  log_options.capacity_bytes = (options_.capacity_bytes + shards - 1) / shards;
  log_options.capacity_events = options_.capacity_events == 0 ? 0 : (options_.capacity_events + shards - 1) / shards;
  log_options.readers = static_cast<uint32_t>(options_.readers.size());
  log_options.publish_mode =
      options_.durability == Durability::fsync ? ringbuf::PublishMode::on_durable : ringbuf::PublishMode::on_commit;

  if (durable()) {
    // Events of a shard that no longer runs would never be delivered: refuse rather than strand
    // them. A directory whose events were all delivered is left alone.
    for (uint32_t extra = shards; extra < shards + 1024; ++extra) {
      std::string dir = shard_directory(extra);
      std::error_code ec;
      if (!fs::exists(dir, ec)) continue;
      ringbuf::FileStoreOptions fo;
      fo.directory = dir;
      if (!options_.checkpoint_dir.empty())
        fo.checkpoint_directory =
            (fs::path(options_.checkpoint_dir) / options_.name / fmt::format("shard-{}", extra)).string();
      fo.segment_bytes = options_.segment_bytes;
      fo.description = fmt::format("channel {} shard {}", options_.name, extra);
      ringbuf::LogStart start;
      ringbuf::RecoveryReport report;
      auto store = ringbuf::FileSegmentStore::open(fo, options_.readers, start, report);
      if (!store.ok()) return Error{store.error().message};
      if (report.undelivered_records > 0)
        return make_error(fmt::format(
            "channel {}: {} holds {} undelivered events of shard {}, but sluice runs {} shard{} now: start it "
            "with --shards {} until the channel has drained, or move the directory away",
            options_.name, dir, report.undelivered_records, extra, shards, shards == 1 ? "" : "s", extra + 1));
    }
  }

  for (uint32_t shard = 0; shard < shards; ++shard) {
    probes_.push_back(std::make_unique<ChannelShardProbe>());
    if (!durable()) {
      logs_.push_back(std::make_unique<ringbuf::Log>(
          log_options, std::make_unique<ringbuf::MemorySegmentStore>(options_.segment_bytes), &doorbell_));
      continue;
    }
    ringbuf::FileStoreOptions fo;
    fo.directory = shard_directory(shard);
    if (!options_.checkpoint_dir.empty())
      fo.checkpoint_directory =
          (fs::path(options_.checkpoint_dir) / options_.name / fmt::format("shard-{}", shard)).string();
    fo.segment_bytes = options_.segment_bytes;
    fo.minimum_free_bytes = options_.minimum_free_bytes;
    fo.description = fmt::format("channel {} shard {}", options_.name, shard);
    ringbuf::LogStart start;
    ringbuf::RecoveryReport report;
    auto store = ringbuf::FileSegmentStore::open(fo, options_.readers, start, report);
    if (!store.ok()) return Error{store.error().message};
    for (const auto& problem : report.problems) base::log_warn("{}: {}", fo.description, problem);
    if (report.records > 0 || !report.problems.empty())
      base::log_info(
          "{}: recovered {} events ({} after the oldest sink checkpoint, to be delivered) from {} "
          "segment{} in {}{}",
          fo.description, report.records, report.undelivered_records, report.segments, report.segments == 1 ? "" : "s",
          fo.directory,
          report.truncated_bytes ? fmt::format("; cut a damaged tail of up to {} bytes", report.truncated_bytes)
                                 : std::string());
    stores_.push_back(store.value().get());
    recovery_.push_back(report);
    logs_.push_back(std::make_unique<ringbuf::Log>(log_options, std::move(store).value(), &doorbell_, start));
  }
  return {};
}

void Channel::finish() {
  if (!durable()) return;
  for (uint32_t shard = 0; shard < logs_.size(); ++shard) {
    logs_[shard]->maintain();
    Status s = stores_[shard]->write_checkpoint_now(*logs_[shard], options_.durability == Durability::fsync);
    if (!s) base::log_error("{}", s.message());
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
    out.gauge("sluice_channel_fill_ratio", "size_bytes / capacity_bytes (and events, when bounded by count).", labels,
              s.fill_ratio());
    out.gauge("sluice_channel_segments", "Segments held.", labels, static_cast<double>(s.segments_live));
    out.gauge("sluice_channel_next_sequence", "Sequence number the next visible event will have.", labels,
              static_cast<double>(s.published_sequence));
    out.gauge("sluice_channel_position_bytes",
              "Log position after the last visible event: grows by every stored byte (records, padding).", labels,
              static_cast<double>(s.published_position));
    out.counter("sluice_channel_corrupt_records_total",
                "Damaged records: met by a sink's reader (skipped, and met again after a rewind) or found at "
                "start-up (the rest of their segment quarantined).",
                labels, static_cast<double>(s.corrupt_records + (durable() ? recovery_[shard].corrupt_records : 0)));
    out.counter("sluice_channel_skipped_events_total", "Events a sink's reader lost to damaged records.", labels,
                static_cast<double>(s.skipped_events));
    if (!durable()) continue;
    out.gauge("sluice_channel_failed",
              "1 once a failed fdatasync stopped the channel on this shard: new events are refused until a restart.",
              labels, s.failed ? 1 : 0);
    const ringbuf::RecoveryReport& r = recovery_[shard];
    ringbuf::FileStoreStats fs_stats = stores_[shard]->stats();
    const ChannelShardProbe& p = *probes_[shard];
    out.gauge("sluice_channel_recovered_events", "Events found in the segment files at start-up.", labels,
              static_cast<double>(r.records));
    out.gauge("sluice_channel_recovered_undelivered_events",
              "Of those, events some sink had not delivered before the restart.", labels,
              static_cast<double>(r.undelivered_records));
    out.counter("sluice_channel_truncated_bytes_total",
                "Bytes cut off a torn or corrupt tail at start-up (logged with file and offset).", labels,
                static_cast<double>(r.truncated_bytes));
    out.counter("sluice_channel_recovery_problems_total", "Damaged records or segment files found at start-up.", labels,
                static_cast<double>(r.problems.size()));
    out.counter("sluice_channel_quarantined_bytes_total",
                "Bytes from a damaged record to its segment's end copied aside at start-up (quarantine/ folder).",
                labels, static_cast<double>(r.quarantined_bytes));
    out.gauge("sluice_channel_spare_segments", "Released segment files kept for reuse.", labels,
              static_cast<double>(fs_stats.spare_files));
    out.counter("sluice_channel_store_errors_total",
                "Failures to create a segment (disk full, I/O errors); the channel pushes back meanwhile.", labels,
                static_cast<double>(fs_stats.errors));
    out.gauge("sluice_channel_store_failing",
              "1 while new segments cannot be created: sources are pushed back until space returns.", labels,
              fs_stats.failing ? 1 : 0);
    out.counter("sluice_channel_fsyncs_total", "Group commits (fdatasync calls) completed.", labels,
                static_cast<double>(p.fsyncs.value()));
    out.counter("sluice_channel_fsync_seconds_total", "Time spent in group commits.", labels,
                static_cast<double>(p.fsync_nanoseconds.value()) / 1e9);
    out.gauge("sluice_channel_fsync_seconds_max", "Longest group commit since start.", labels,
              static_cast<double>(p.fsync_nanoseconds_max.value()) / 1e9);
    out.counter("sluice_channel_fsync_errors_total",
                "Failed fdatasync calls (never retried: the first stops the channel, see sluice_channel_failed).",
                labels, static_cast<double>(p.fsync_errors.value()));
    out.gauge("sluice_channel_unsynced_bytes", "Bytes appended but not yet made durable (fsync mode).", labels,
              static_cast<double>(p.unsynced_bytes.value()));
    out.counter("sluice_channel_checkpoints_total", "Checkpoints written.", labels,
                static_cast<double>(p.checkpoints.value()));
    out.counter("sluice_channel_checkpoint_errors_total", "Checkpoint writes that failed (retried).", labels,
                static_cast<double>(p.checkpoint_errors.value()));
  }
}

}  // namespace sluice::ringbuf
