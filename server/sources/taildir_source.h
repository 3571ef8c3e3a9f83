// Flume's TAILDIR source: tails the files its file groups match, one event per line, and
// remembers in a position file (Flume's JSON format) how far each file's events are stored. A
// whole source runs on one shard (Flume's is one reader thread too); several TAILDIR sources
// spread over the shards.
//
// How it finds work without polling: an inotify watch on each group's directory, read through
// io_uring, says when a file grows (it is then read) or when names change (the directory is
// then scanned again); a slow scan every second catches what inotify cannot say (a file
// written through another mount, a dropped event queue). File contents are read with io_uring
// reads into one buffer, one read in flight; a last line without its LF waits for the rest.
//
// Why nothing is lost across kill -9: for each file it keeps
// - read_pos: the bytes whose events are in the channels; the next read starts there;
// - committed_pos: the bytes whose events are durable (each acknowledged channel log's
//   safe_sequence() has passed them). Only this goes into the position file, so a restart
//   re-sends at most the events between the two.
// Files are keyed by (device, inode) and checked against a fingerprint of their first bytes:
// a file renamed (rotation) keeps its position and is read to its end before it is let go, a
// new file at the old name starts at 0, a truncated file (copytruncate) starts again at 0, its
// copy under a matching name is recognised by its first bytes and the bytes before the read
// position and is not sent again, and a reused inode with other contents is a new file.
// Whatever is ambiguous resolves towards sending again (duplicates, counted), never towards loss.
//
// Threads: built on the main thread, then used only by its shard's thread.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/counter.h"
#include "base/logger.h"
#include "base/metrics.h"
#include "ringbuf/append.h"
#include "server/reactor/io_handler.h"
#include "server/sources/answer_queue.h"
#include "server/sources/event_writer.h"
#include "server/sources/shard_context.h"
#include "server/sources/source_probe.h"
#include "server/tailing/file_matcher.h"
#include "server/tailing/fingerprint.h"
#include "server/tailing/position_file.h"

namespace sluice::sources {

struct TaildirOptions {
  struct Group {
    std::string name;
    tailing::FilePattern pattern;
    // headers.<fg>.<key>: static headers of every event from the group, in file order.
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::string name;
  std::vector<Group> groups;
  std::string position_file;
  bool skip_to_end = false;
  bool byte_offset_header = false;
  bool file_header = false;
  std::string file_header_key = "file";
  int64_t idle_timeout_ms = 120'000;
  int64_t write_pos_interval_ms = 3000;
  uint32_t batch_size = 100;
  uint64_t max_batch_count = UINT64_MAX;
  size_t max_line_bytes = 64 << 10;
  size_t read_buffer_bytes = 1 << 20;  // more than max_line_bytes + 2 + kFingerprintBytes
  int64_t rescan_interval_ms = 1000;
  // How long a rotated file (renamed away or deleted) that stopped growing is kept open: a
  // writer may still be finishing its last lines before it reopens the new file.
  int64_t rotated_linger_ms = 2000;
  // How long a new file that starts like a followed file beside it (a copy being written, or
  // its original not truncated yet: copytruncate) waits to be recognised as its copy before it
  // is read from its start (duplicates rather than loss).
  int64_t copy_wait_ms = 5000;
};

// What TAILDIR counts beyond a source's usual counters. Shard thread writes, admin thread reads.
struct TaildirProbe {
  base::Gauge files_tracked;        // files followed now
  base::Gauge files_open;           // of those, with an open descriptor
  base::Counter rotations;          // a followed file left its matching name (renamed or deleted)
  base::Counter truncations;        // a followed file became shorter than what was read
  base::Counter copies_recognised;  // a new file recognised as a copy of a followed one
  base::Counter lines_cut;          // pieces of lines longer than maxLineLength
  base::Counter position_writes, position_write_errors;
  base::Counter read_errors;
  void collect(base::MetricsWriter& out, const base::Labels& labels) const;
};

class TaildirSource final : public ShardSource, public reactor::IoHandler {
 public:
  // Loads the position file; fails (naming it) when it cannot be read or parsed.
  static Result<std::unique_ptr<TaildirSource>> create(const TaildirOptions& options, EventWriter writer,
                                                       SourceProbe& probe, TaildirProbe& taildir_probe);
  ~TaildirSource() override;

  Status start(ShardContext& context) override;
  void begin_batch(int64_t now_ms) override { now_ms_ = now_ms; }
  // Commits what became durable, rescans and writes the position file when due, reads on.
  void after_batch() override;
  bool waiting_for_space() const override { return waiting_for_space_ && !stopping_; }
  void stop() override;
  bool stopped() const override;
  // After the shard made every append durable: the last position file, with everything read.
  void finish() override;
  std::string stop_diagnostics() const override;
  void on_completion(uint8_t op, const io_uring_cqe& cqe) override;

 private:
  struct PendingCommit {
    uint64_t pos = 0;
    std::array<uint64_t, kAnswerLogsMax> targets{};
  };
  struct TailFile {
    tailing::FileId id;
    std::string path;
    size_t group = 0;
    int fd = -1;
    uint64_t read_pos = 0;
    uint64_t committed_pos = 0;
    uint64_t size_seen = 0;     // the file's size when last read to its end or stat'ed
    tailing::Fingerprint head;  // of the first bytes (grows while the file is short)
    tailing::Fingerprint tail;  // of the kFingerprintBytes before read_pos
    bool rotated = false;       // no longer at a matching name: read to its end, then let go
    bool queued = false;        // in ready_
    bool seen = false;          // found by the current scan
    bool final_read = false;    // rotated and done growing: its last line needs no LF
    int64_t last_growth_ms = 0;
    // Positions waiting for their events to be durable, oldest first (when full, the newest
    // replaces the last: a later commit, never an early one).
    std::array<PendingCommit, 4> pending{};
    size_t pending_count = 0;
  };
  struct FileIdHash {
    size_t operator()(const tailing::FileId& id) const {
      return std::hash<uint64_t>()(static_cast<uint64_t>(id.inode) * 1'000'003u ^ static_cast<uint64_t>(id.device));
    }
  };
  enum Op : uint8_t { kInotify = 1, kRead = 2 };
  // Where a followed file stands, for a copy of it to continue from.
  struct Resumed {
    std::string from;
    uint64_t read_pos = 0;
    uint64_t committed_pos = 0;
    tailing::Fingerprint head, tail;
    std::array<PendingCommit, 4> pending{};
    size_t pending_count = 0;
  };
  struct Truncated {
    int64_t at_ms = 0;
    Resumed before;
  };
  enum class CopyCheck { not_a_copy, maybe_later, copy };

  TaildirSource(const TaildirOptions& options, EventWriter writer, SourceProbe& probe, TaildirProbe& taildir_probe,
                std::vector<tailing::FilePosition> positions);

  Status watch_directories();
  void arm_inotify();
  void on_inotify(int result);
  // Brings the followed files in line with the directories; `starting`: the first scan, which
  // resumes from the position file.
  void scan(bool starting);
  void track_new(const tailing::MatchedFile& found, size_t group, bool starting);
  void resume_rotated_from_positions();
  // Starts following an open file: indexed, counted, read at the next turn.
  void follow(std::unique_ptr<TailFile> file);
  // Whether a new file is the copy of a recently truncated one, as copytruncate makes: then
  // `out` says where to continue. maybe_later: it may become one (being written, or its
  // original not truncated yet); asked again at the next scan.
  CopyCheck check_copy(const tailing::MatchedFile& found, int fd, uint64_t size, Resumed& out);
  bool open_file(TailFile& f);
  void close_file(TailFile& f);
  void release(TailFile& f);
  void mark_changed(TailFile& f);
  void start_next_read();
  void on_read(int result);
  // Stores the buffered read's lines from buffered_from_ on; keeps the rest when refused.
  void ingest_buffer();
  // Turns the read's lines into events and writes them; returns the bytes stored.
  size_t ingest(TailFile& f, std::string_view data, uint64_t data_pos, bool at_end, bool& refused, bool& more);
  bool flush_batch(bool& refused);
  void truncated(TailFile& f);
  void add_pending(TailFile& f);
  void advance_commits();
  void check_idle_and_rotated();
  void write_positions();

  const TaildirOptions& options_;
  EventWriter writer_;
  SourceProbe& probe_;
  TaildirProbe& taildir_probe_;
  ShardContext* context_ = nullptr;
  std::vector<tailing::FilePosition> loaded_positions_;  // until the first scan has used them
  std::unordered_map<tailing::FileId, std::unique_ptr<TailFile>, FileIdHash> files_;
  std::unordered_map<std::string, TailFile*> by_path_;
  std::deque<TailFile*> ready_;                          // files with bytes to read, in turn
  std::vector<Truncated> truncated_;                     // recently truncated files, for their copies
  std::unordered_map<std::string, int64_t> copy_waits_;  // possible copies being written: since when

  int inotify_fd_ = -1;
  std::unordered_map<int, size_t> watches_;  // watch descriptor -> group directory index
  std::vector<std::string> directories_;
  std::unique_ptr<char[]> inotify_buffer_;
  bool inotify_armed_ = false;
  bool rescan_ = false;

  std::unique_ptr<char[]> read_buffer_;
  TailFile* reading_ = nullptr;  // the file whose read is in flight
  uint64_t reading_at_ = 0;      // file offset of read_buffer_[0]
  size_t reading_lead_ = 0;      // bytes before read_pos read again for the tail fingerprint
  bool changed_during_read_ = false;
  // The read whose lines are being stored (a full channel refused some): its file, the bytes
  // read, where the lines not yet stored start, and whether the file changed meanwhile.
  TailFile* buffered_ = nullptr;
  size_t buffered_bytes_ = 0;
  size_t buffered_from_ = 0;
  bool buffered_changed_ = false;

  // One batch of events being built, capacity reserved once (no allocation per event).
  std::vector<ringbuf::PreparedEvent> events_;
  std::vector<ringbuf::Header> headers_;
  std::vector<char> offset_digits_;
  size_t headers_per_event_ = 0;
  uint64_t batches_of_current_ = 0;

  int64_t now_ms_ = 0;
  int64_t next_scan_ms_ = 0;
  int64_t next_position_write_ms_ = 0;
  std::string last_positions_written_;
  bool positions_dirty_ = true;
  bool waiting_for_space_ = false;
  bool stopping_ = false;
  base::RateLimitedLog rate_limited_log_;
};

}  // namespace sluice::sources
