#include "sinks/hdfs/hdfs_sink.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "base/time.h"
#include "sinks/hdfs/directory_sync.h"

namespace sluice::sinks::hdfs {
namespace {

// Spare writers kept for new files (a writer holds codec state worth keeping).
constexpr size_t kSpareWritersMax = 64;
// Directories known to exist, remembered to spare a MKDIRS per file; forgotten past this.
constexpr size_t kMadeDirectoriesMax = 10'000;
// Tries for a free final name when one is taken.
constexpr int kNameTriesMax = 20;

}  // namespace

HdfsSink::HdfsSink(HdfsSinkOptions options)
    : options_(std::move(options)), uncommitted_(std::max<uint32_t>(options_.shards, 1), 0) {}

HdfsSink::~HdfsSink() = default;

Status HdfsSink::open() {
  SLUICE_ASSERT(options_.file_system != nullptr, "an HDFS sink needs a file system");
  fs_ = std::move(options_.file_system);
  if (Status s = options_.writer.validate(); !s) return s;
  auto path = BucketPath::compile(options_.path, options_.path_options);
  if (!path.ok()) return make_error(fmt::format("hdfs.path: {}", path.error().message));
  path_template_ = std::make_unique<BucketPath>(std::move(path.value()));
  BucketPathOptions prefix_options = options_.path_options;
  prefix_options.zone = path_template_->zone_ptr();
  auto prefix = BucketPath::compile(options_.file_prefix, prefix_options);
  if (!prefix.ok()) return make_error(fmt::format("hdfs.filePrefix: {}", prefix.error().message));
  prefix_template_ = std::make_unique<BucketPath>(std::move(prefix.value()));
  auto journal = OpenFileJournal::open(options_.journal_path, fs_->describe());
  if (!journal.ok()) return make_error(journal.error().message);
  journal_ = std::move(journal.value());
  leftovers_ = journal_->found();
  if (!leftovers_.empty())
    base::log_info("sink {}: {} file{} left in use by the previous run; closing them before writing", options_.name,
                   leftovers_.size(), leftovers_.size() == 1 ? "" : "s");
  return {};
}

size_t HdfsSink::window(uint32_t shard) const {
  return options_.window_per_shard > uncommitted_[shard] ? options_.window_per_shard - uncommitted_[shard] : 0;
}

// --- taking events --------------------------------------------------------------------------

HdfsSink::Bucket& HdfsSink::bucket_for(const std::string& directory, const std::string& prefix) {
  key_.assign(directory);
  key_.push_back('\0');
  key_.append(prefix);
  auto it = buckets_.find(key_);
  if (it == buckets_.end()) {
    auto bucket = std::make_unique<Bucket>();
    bucket->directory = directory;
    bucket->prefix = prefix;
    it = buckets_.emplace(key_, std::move(bucket)).first;
  }
  return *it->second;
}

HdfsSink::File& HdfsSink::current_file(Bucket& bucket) {
  if (bucket.current != nullptr) {
    lru_.splice(lru_.begin(), lru_, bucket.lru);
    return *bucket.current;
  }
  if (open_count_ >= options_.max_open_files) close_least_recently_used();
  auto file = std::make_unique<File>();
  if (!spare_writers_.empty()) {
    file->writer = std::move(spare_writers_.back());
    spare_writers_.pop_back();
  } else {
    file->writer = make_file_writer(options_.writer).value();  // validated in open()
  }
  // Flume's names: <prefix>.<counter><suffix, else the codec's extension>, in use with the
  // in-use prefix and suffix around the file name.
  bucket.counter = bucket.counter == 0 ? static_cast<uint64_t>(base::realtime_ms()) : bucket.counter + 1;
  file->directory = bucket.directory;
  file->name_base = bucket.prefix;
  name_file(*file, bucket.counter);
  file->writer->begin(file->pending);
  pending_bytes_ += file->pending.size();
  file->opened_ms = base::monotonic_ms();
  file->bucket = &bucket;
  bucket.current = file.get();
  lru_.push_front(&bucket);
  bucket.lru = lru_.begin();
  files_.push_back(std::move(file));
  ++open_count_;
  probe_.file_opened(open_count_);
  journal_dirty_ = true;
  return *bucket.current;
}

void HdfsSink::name_file(File& file, uint64_t counter) {
  std::string name = fmt::format("{}.{}", file.name_base, counter);
  name += options_.file_suffix.empty() ? std::string(file.writer->extension()) : options_.file_suffix;
  // A prefix may hold '/' (Flume allows "%Y/data"): the last part is the file's name.
  std::string full = file.directory + "/" + name;
  size_t slash = full.find_last_of('/');
  file.final_path = full;
  file.in_use_path =
      full.substr(0, slash + 1) + options_.in_use_prefix + full.substr(slash + 1) + options_.in_use_suffix;
  file.counter = counter;
}

void HdfsSink::start(uint32_t shard, std::span<const ringbuf::EventView> events) {
  const int64_t now_real = base::realtime_ms();
  const int64_t now_mono = base::monotonic_ms();
  for (const ringbuf::EventView& e : events) {
    ++uncommitted_[shard];
    ++uncommitted_total_;
    PathErrc problem = path_template_->format(e, now_real, directory_);
    if (problem == PathErrc::ok) problem = prefix_template_->format(e, now_real, prefix_);
    if (problem != PathErrc::ok) {
      probe_.event_unplaceable();
      // The runner counts and logs it (sluice_sink_rejected_events_total).
      rejections_.add(fmt::format("an event cannot be written (dropped): {}", path_errc_message(problem)));
      continue;
    }
    Bucket& bucket = bucket_for(directory_, prefix_);
    File& file = current_file(bucket);
    const size_t before = file.pending.size();
    const uint64_t invalid_before = file.writer->stats().invalid_utf8_events;
    file.writer->append(std::span(&e, 1), file.pending);
    probe_.invalid_utf8_events(file.writer->stats().invalid_utf8_events - invalid_before);
    pending_bytes_ += file.pending.size() - before;
    file.last_append_ms = now_mono;
    file.unflushed = true;
    ++placed_uncommitted_;
    if (first_pending_ms_ == 0) first_pending_ms_ = now_mono;
    const FileStats& stats = file.writer->stats();
    if (options_.roll_count > 0 && stats.events >= options_.roll_count) roll(bucket, RollReason::count);
    else if (options_.roll_size_bytes > 0 && stats.body_bytes >= options_.roll_size_bytes)
      roll(bucket, RollReason::size);
  }
  probe_.pending_bytes(pending_bytes_);
}

void HdfsSink::roll(Bucket& bucket, RollReason reason) {
  File& file = *bucket.current;
  const size_t before = file.pending.size();
  file.writer->finish(file.pending);  // flushes too
  file.unflushed = false;
  pending_bytes_ += file.pending.size() - before;
  if (spare_writers_.size() < kSpareWritersMax) spare_writers_.push_back(std::move(file.writer));
  file.writer.reset();
  file.closing = true;
  file.bucket = nullptr;
  bucket.current = nullptr;
  lru_.erase(bucket.lru);
  --open_count_;
  probe_.file_rolled(reason, open_count_);
  ++closing_count_;
}

void HdfsSink::close_least_recently_used() {
  SLUICE_ASSERT(!lru_.empty(), "no open file to close");
  roll(*lru_.back(), RollReason::max_open_files);
}

void HdfsSink::tick(int64_t) {
  const int64_t now = base::monotonic_ms();
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Bucket& bucket = *it->second;
    if (File* f = bucket.current) {
      if (options_.roll_interval_ms > 0 && now - f->opened_ms >= options_.roll_interval_ms)
        roll(bucket, RollReason::interval);
      else if (options_.idle_timeout_ms > 0 && now - f->last_append_ms >= options_.idle_timeout_ms)
        roll(bucket, RollReason::idle);
    }
    // A bucket without an open file is forgotten (time-bucketed paths would pile up otherwise);
    // an event for it makes it again, with a fresh counter.
    it = bucket.current == nullptr ? buckets_.erase(it) : std::next(it);
  }
}

// --- committing -----------------------------------------------------------------------------

void HdfsSink::poll(int64_t timeout_ms, DoneCallback& done) {
  rejections_.report(done);
  const int64_t now = base::monotonic_ms();
  if (now < retry_at_ms_) {
    // Backing off: wait as the runner asked instead of letting it spin.
    if (timeout_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, retry_at_ms_ - now)));
    return;
  }
  if (!recovered_) {
    if (!recover_leftovers()) {
      schedule_retry();
      return;
    }
  }
  const bool window_full =
      std::any_of(uncommitted_.begin(), uncommitted_.end(), [&](size_t n) { return n >= options_.window_per_shard; });
  const bool due =
      closing_count_ > 0 ||
      (uncommitted_total_ > 0 && (timeout_ms > 0 || window_full || pending_bytes_ >= options_.group_commit_bytes ||
                                  now - first_pending_ms_ >= options_.group_commit_interval_ms));
  if (!due) return;
  if (!commit()) {
    schedule_retry();
    return;
  }
  backoff_ms_ = 0;
  probe_.committed(placed_uncommitted_);
  placed_uncommitted_ = 0;
  first_pending_ms_ = 0;
  for (uint32_t shard = 0; shard < uncommitted_.size(); ++shard) {
    if (uncommitted_[shard] == 0) continue;
    const size_t count = uncommitted_[shard];
    uncommitted_[shard] = 0;
    done.done(shard, count);
  }
  uncommitted_total_ = 0;
}

bool HdfsSink::commit() {
  // A file must be in the journal before it exists, so that a crash cannot leave it behind.
  if (journal_dirty_ && !save_journal()) return false;
  // End a gzip member, zstd frame or Avro block in every file that took events: what is sent is
  // then a readable file, and its length a safe place to cut back to.
  for (auto& file : files_) {
    if (!file->unflushed) continue;
    const size_t before = file->pending.size();
    file->writer->flush(file->pending);
    pending_bytes_ += file->pending.size() - before;
    file->unflushed = false;
  }
  bool all_sent = true;
  for (auto& file : files_)
    if (!file->pending.empty() || file->needs_check) all_sent &= send(*file);
  bool changed = false;
  for (auto& file : files_) {
    if (!file->closing || !file->pending.empty() || file->needs_check) continue;
    if (rename_closed(*file)) {
      file.reset();
      --closing_count_;
      changed = true;
    } else {
      all_sent = false;
    }
  }
  if (changed) files_.erase(std::remove(files_.begin(), files_.end(), nullptr), files_.end());
  // The durable lengths moved: the journal must say so before the channel is told.
  if (!save_journal()) return false;
  probe_.pending_bytes(pending_bytes_);
  return all_sent;
}

bool HdfsSink::make_directory(const std::string& directory) {
  if (made_directories_.count(directory) != 0) return true;
  if (FsStatus s = fs_->make_directories(directory); !s) {
    report_error("cannot make a directory", s.error());
    return false;
  }
  if (made_directories_.size() >= kMadeDirectoriesMax) made_directories_.clear();
  made_directories_.insert(directory);
  return true;
}

bool HdfsSink::send(File& file) {
  if (file.needs_check && !repair(file)) return false;
  if (file.pending.empty()) return true;
  const uint64_t size = file.pending.size();
  if (!file.created) {
    if (!make_directory(parent_directory(file.in_use_path))) return false;
    for (int tries = 0;; ++tries) {
      const bool first_attempt = !file.create_attempted;
      file.create_attempted = true;
      FsStatus s = fs_->create(file.in_use_path, file.pending);
      if (s) break;
      if (s.error().kind == FsErrorKind::already_exists && first_attempt && tries < kNameTriesMax) {
        // Another file has this name (an earlier run's, same counter): take the next one.
        name_file(file, file.counter + 1);
        file.create_attempted = false;
        journal_dirty_ = true;
        if (!save_journal()) return false;
        continue;
      }
      report_error("cannot create a file", s.error());
      // The CREATE may have happened with its answer lost: look before the next try.
      file.needs_check = s.error().kind != FsErrorKind::not_found && s.error().kind != FsErrorKind::denied;
      return false;
    }
    file.created = true;
  } else if (FsStatus s = fs_->append(file.in_use_path, file.pending); !s) {
    report_error("cannot append to a file", s.error());
    file.needs_check = true;  // part of it may be stored
    return false;
  }
  file.durable_bytes += size;
  probe_.bytes_written(size);
  pending_bytes_ -= size;
  file.pending.clear();
  return true;
}

bool HdfsSink::repair(File& file) {
  auto length = fs_->length(file.in_use_path);
  if (!length.ok()) {
    report_error("cannot check a file after a failed write", length.error());
    return false;
  }
  if (!length.value().has_value()) {
    if (file.created) {
      // Someone removed it. What it held is gone with it; write what is pending anew.
      base::log_error("sink {}: {} disappeared; its {} acknowledged bytes are lost with it", options_.name,
                      file.in_use_path, file.durable_bytes);
      file.created = false;
      file.durable_bytes = 0;
    }
    file.create_attempted = false;
    file.needs_check = false;
    return true;
  }
  const uint64_t on_disk = *length.value();
  if (!file.created) {  // our CREATE did happen
    file.created = true;
    file.durable_bytes = 0;
  }
  if (on_disk > file.durable_bytes) {
    auto cut = fs_->truncate(file.in_use_path, file.durable_bytes);
    if (!cut.ok()) {
      if (cut.error().kind == FsErrorKind::unsupported) {
        base::log_error(
            "sink {}: {} holds {} bytes of a failed write that cannot be cut off ({}); readers will find "
            "a torn event in it",
            options_.name, file.in_use_path, on_disk - file.durable_bytes, cut.error().message);
        file.durable_bytes = on_disk;
        file.needs_check = false;
        return true;
      }
      report_error("cannot cut back a file after a failed write", cut.error());
      return false;
    }
    if (!cut.value()) return false;  // HDFS recovers the last block first: look again later
  } else if (on_disk < file.durable_bytes) {
    base::log_error("sink {}: {} is shorter ({} bytes) than what was acknowledged ({}); continuing from its length",
                    options_.name, file.in_use_path, on_disk, file.durable_bytes);
    file.durable_bytes = on_disk;
  }
  file.needs_check = false;
  return true;
}

bool HdfsSink::rename_closed(File& file) {
  if (file.in_use_path == file.final_path) {
    probe_.file_closed();
    return true;
  }
  for (int tries = 0; tries < kNameTriesMax; ++tries) {
    auto renamed = fs_->rename(file.in_use_path, file.final_path);
    if (!renamed.ok()) {
      report_error("cannot rename a closed file", renamed.error());
      return false;
    }
    if (renamed.value()) {
      probe_.file_closed();
      return true;
    }
    // False: the source is gone (an earlier rename whose answer was lost) or the name is taken.
    auto source = fs_->length(file.in_use_path);
    if (!source.ok()) {
      report_error("cannot check a file before renaming it", source.error());
      return false;
    }
    if (!source.value().has_value()) {
      probe_.file_closed();
      return true;
    }
    file.final_path = fmt::format("{}.{}", file.final_path, tries + 1);
    journal_dirty_ = true;
  }
  base::log_error("sink {}: no free name to rename {} to", options_.name, file.in_use_path);
  return false;
}

bool HdfsSink::recover_leftovers() {
  while (!leftovers_.empty()) {
    const JournalEntry& e = leftovers_.back();
    auto length = fs_->length(e.in_use_path);
    if (!length.ok()) {
      report_error("cannot check a file left in use", length.error());
      return false;
    }
    if (length.value().has_value()) {
      const uint64_t on_disk = *length.value();
      if (e.durable_bytes == 0) {
        // Nothing of it was acknowledged: its events come again from the channel.
        if (auto removed = fs_->remove(e.in_use_path); !removed.ok()) {
          report_error("cannot remove an unacknowledged file left in use", removed.error());
          return false;
        }
      } else {
        if (on_disk > e.durable_bytes) {
          auto cut = fs_->truncate(e.in_use_path, e.durable_bytes);
          if (!cut.ok() && cut.error().kind != FsErrorKind::unsupported) {
            report_error("cannot cut back a file left in use", cut.error());
            return false;
          }
          if (cut.ok() && !cut.value()) return false;  // block recovery first; again later
        }
        File probe;
        probe.in_use_path = e.in_use_path;
        probe.final_path = e.final_path;
        if (!rename_closed(probe)) return false;
      }
      probe_.leftover_file_closed();
      base::log_info("sink {}: closed {} left in use by the previous run ({} of its {} bytes were acknowledged)",
                     options_.name, e.in_use_path, e.durable_bytes, on_disk);
    }
    leftovers_.pop_back();
    if (!save_journal()) return false;
  }
  recovered_ = true;
  return true;
}

bool HdfsSink::save_journal() {
  journal_entries_.clear();
  for (const JournalEntry& e : leftovers_) journal_entries_.push_back(e);
  for (const auto& file : files_)
    if (file) journal_entries_.push_back({file->in_use_path, file->final_path, file->durable_bytes});
  if (Status s = journal_->save(journal_entries_); !s) {
    const int64_t now = base::monotonic_ms();
    if (error_log_.allow(now))
      base::log_error("sink {}: cannot save its journal: {}{}", options_.name, s.message(),
                      suppressed_note(error_log_));
    probe_.fs_error(FsErrorKind::io);
    return false;
  }
  journal_dirty_ = false;
  return true;
}

void HdfsSink::report_error(std::string_view what, const FsError& e) {
  probe_.fs_error(e.kind);
  const int64_t now = base::monotonic_ms();
  if (error_log_.allow(now))
    base::log_error("sink {}: {} on {}: {}; retrying, nothing is committed until it succeeds{}", options_.name, what,
                    fs_->describe(), e.message, suppressed_note(error_log_));
}

std::string HdfsSink::suppressed_note(base::RateLimitedLog& log) {
  uint64_t n = log.take_suppressed();
  return n == 0 ? std::string() : fmt::format(" ({} similar messages not logged)", n);
}

void HdfsSink::schedule_retry() {
  backoff_ms_ = std::clamp<int64_t>(backoff_ms_ * 2, options_.retry_backoff_ms_min, options_.retry_backoff_ms_max);
  retry_at_ms_ = base::monotonic_ms() + backoff_ms_;
}

void HdfsSink::close() {
  if (!fs_) return;  // never opened
  while (!lru_.empty()) roll(*lru_.front(), RollReason::stop);
  // A few tries within a bounded time: a file system that is away leaves the files to the next
  // start (the journal lists them).
  const int64_t give_up_at = base::monotonic_ms() + 10'000;
  bool finished = false;
  while (!finished) {
    finished = (recovered_ || recover_leftovers()) && commit();
    if (finished || base::monotonic_ms() >= give_up_at) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!finished)
    base::log_warn("sink {}: {} file{} stay in use; the next start closes them", options_.name, files_.size(),
                   files_.size() == 1 ? "" : "s");
  for (auto& file : files_)
    if (file) fs_->forget(file->in_use_path);
}

void HdfsSink::collect(base::MetricsWriter& out, const base::Labels& labels) const { probe_.collect(out, labels); }

}  // namespace sluice::sinks::hdfs
