// Flume's HDFS sink (`hdfs`), over WebHDFS or the local file system (file_system.h): events go
// to files named by hdfs.path and hdfs.filePrefix (bucket_path.h: time and header escapes),
// written in the configured format (file_writers.h), rolled by count, size, age and idleness,
// written under an in-use name (".tmp") and renamed when closed.
//
// Delivery is pipelined with group commit: start() serializes events into the files' pending
// bytes at once; poll() sends them — WebHDFS APPEND, or write + fdatasync for file:// — when
// enough has gathered (groupCommitBytes), when the oldest has waited groupCommitInterval, or as
// soon as the channel has nothing more to give. Only once every pending byte is acknowledged by
// the file system (and the journal records it) are the events reported done, so the channel's
// checkpoint never passes an event the file system does not hold. A failed send is retried
// with backoff; the file is first cut back to its acknowledged length (a failed APPEND may have
// stored part of what was sent), so no event is ever split or stored twice in one file.
//
// Crash safety: the journal (open_file_journal.h) lists the files in use with their durable
// lengths. On start, before writing anything new, the sink cuts each back to that length and
// renames it to its final name (or removes it when nothing of it was durable): no file stays in
// use, no torn event stays in a file; the channel delivers again whatever was not acknowledged.
//
// Events whose path cannot be made (no timestamp header for a time escape, a header value that
// would leave the directory) are counted, logged and dropped rather than stalling the sink.
//
// Threads: constructed on the main thread; everything else on the sink runner's thread;
// collect() on the admin thread.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/counter.h"
#include "base/logger.h"
#include "sinks/common/sink.h"
#include "sinks/hdfs/bucket_path.h"
#include "sinks/hdfs/file_system.h"
#include "sinks/hdfs/file_writers.h"
#include "sinks/hdfs/hdfs_sink_probe.h"
#include "sinks/hdfs/open_file_journal.h"

namespace sluice::sinks::hdfs {

struct HdfsSinkOptions {
  std::string name;
  uint32_t shards = 1;
  // The file system and the directory template (hdfs.path without scheme and authority).
  std::unique_ptr<FileSystem> file_system;
  std::string path;
  std::string file_prefix = "FlumeData";
  std::string file_suffix;
  std::string in_use_prefix;
  std::string in_use_suffix = ".tmp";
  BucketPathOptions path_options;
  // Rolling (0: that trigger is off). Flume's defaults: 30 s, 1024 bytes, 10 events, off.
  int64_t roll_interval_ms = 30'000;
  uint64_t roll_size_bytes = 1024;  // body bytes, as Flume counts them
  uint64_t roll_count = 10;
  int64_t idle_timeout_ms = 0;
  size_t max_open_files = 5000;
  FileWriterOptions writer;
  // Group commit: send once this many bytes are pending, or the oldest waited this long.
  uint64_t group_commit_bytes = 8u << 20;
  int64_t group_commit_interval_ms = 200;
  // Events of one shard started and not yet committed.
  size_t window_per_shard = 100'000;
  std::string journal_path;
  int64_t retry_backoff_ms_min = 100;
  int64_t retry_backoff_ms_max = 10'000;
};

class HdfsSink final : public Sink {
 public:
  explicit HdfsSink(HdfsSinkOptions options);
  ~HdfsSink() override;

  // Compiles the templates, loads the writer, opens the journal (errors stop sluice at start).
  Status open() override;
  bool pipelined() const override { return true; }
  size_t window(uint32_t shard) const override;
  void start(uint32_t shard, std::span<const ringbuf::EventView> events) override;
  void poll(int64_t timeout_ms, DoneCallback& done) override;
  void tick(int64_t now_ms) override;
  int64_t tick_interval_ms() const override { return 1000; }
  // Commits what is pending, closes and renames every open file (a clean stop leaves no file
  // in use). What cannot be finished stays in the journal for the next start.
  void close() override;
  void collect(base::MetricsWriter& out, const base::Labels& labels) const override;

 private:
  struct Bucket;
  // One file: open (taking events) or closing (finished, waiting to be committed and renamed).
  struct File {
    std::string directory;  // the expanded hdfs.path
    std::string name_base;  // the expanded hdfs.filePrefix
    uint64_t counter = 0;   // the number in its name
    std::string in_use_path;
    std::string final_path;
    std::unique_ptr<FileWriter> writer;
    std::string pending;            // bytes produced and not yet acknowledged
    uint64_t durable_bytes = 0;     // acknowledged by the file system
    bool created = false;           // exists on the file system
    bool create_attempted = false;  // a CREATE was sent (its answer may have been lost)
    bool needs_check = false;       // a send failed: cut back to durable_bytes first
    bool closing = false;
    bool unflushed = false;  // took events since the writer's last flush()
    int64_t opened_ms = 0;   // monotonic
    int64_t last_append_ms = 0;
    Bucket* bucket = nullptr;  // the bucket it belongs to (open files only)
  };
  // Flume's BucketWriter: the files of one directory + prefix, one open at a time.
  struct Bucket {
    std::string directory;
    std::string prefix;  // the expanded hdfs.filePrefix
    File* current = nullptr;
    uint64_t counter = 0;  // Flume's file counter: the time the bucket was made, then +1 per file
    std::list<Bucket*>::iterator lru;
  };

  Bucket& bucket_for(const std::string& directory, const std::string& prefix);
  File& current_file(Bucket& bucket);
  // Sets the file's in-use and final paths for `counter`.
  void name_file(File& file, uint64_t counter);
  void roll(Bucket& bucket, RollReason reason);
  void close_least_recently_used();
  // Sends every pending byte, renames finished files, saves the journal. True when nothing is
  // left pending (then every started event is durable).
  bool commit();
  bool send(File& file);
  bool make_directory(const std::string& directory);
  bool repair(File& file);
  bool rename_closed(File& file);
  bool recover_leftovers();
  bool save_journal();
  void report_error(std::string_view what, const FsError& e);
  void schedule_retry();
  static std::string suppressed_note(base::RateLimitedLog& log);

  HdfsSinkOptions options_;
  std::unique_ptr<FileSystem> fs_;
  std::unique_ptr<BucketPath> path_template_;
  std::unique_ptr<BucketPath> prefix_template_;
  std::unique_ptr<OpenFileJournal> journal_;
  std::vector<JournalEntry> leftovers_;
  bool recovered_ = false;

  std::unordered_map<std::string, std::unique_ptr<Bucket>> buckets_;
  std::list<Bucket*> lru_;                    // most recently used first (buckets with an open file)
  std::vector<std::unique_ptr<File>> files_;  // open and closing
  std::vector<std::unique_ptr<FileWriter>> spare_writers_;
  std::unordered_set<std::string> made_directories_;
  size_t open_count_ = 0;
  size_t closing_count_ = 0;
  bool journal_dirty_ = false;

  // Per shard: events started and not yet reported done.
  std::vector<size_t> uncommitted_;
  size_t uncommitted_total_ = 0;
  uint64_t placed_uncommitted_ = 0;  // of those, events in files (not dropped)
  uint64_t pending_bytes_ = 0;
  int64_t first_pending_ms_ = 0;
  int64_t retry_at_ms_ = 0;
  int64_t backoff_ms_ = 0;

  // Per-event scratch (capacity reused).
  std::string directory_, prefix_, key_;
  std::vector<JournalEntry> journal_entries_;
  base::RateLimitedLog error_log_;

  PendingRejections rejections_;  // unplaceable events, for the runner
  HdfsSinkProbe probe_;
};

}  // namespace sluice::sinks::hdfs
