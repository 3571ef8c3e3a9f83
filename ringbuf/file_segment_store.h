// Segments as preallocated, mmap'd files: the storage of a durable (file) channel for one
// shard. Records are appended in place through the mapping, so an append costs a memcpy into
// the page cache; the data survives a crash of the process (kill -9 included) as soon as it is
// written, and a power cut once the shard's group commit has fdatasync'd it.
//
// The directory holds seg-<index>.wal files (segment_file.h), spare-<n>.wal files (released
// segments kept for reuse, so a steady stream neither allocates disk nor faults in fresh pages),
// `checkpoint` (checkpoint.h) and `LOCK` (flock: one sluice per directory).
//
// open() recovers what a previous run left: it scans every segment, checks every record's CRC
// and sequence, reads the checkpoint and works out where the log ends and where each reader
// resumes. At the first bad record of a segment, the bytes from it to the segment's end are
// copied (and synced) to quarantine/seg-<index>.wal.<offset>.corrupt (".<n>" appended if that
// name is taken) for a human to look at; if the next segment follows with a sound header,
// a segment_end marker is written over the bad record and recovery goes on there, so one bad
// record loses only the rest of its segment (the sequence jumps over the lost events);
// otherwise the log ends at the bad record (a torn tail) and appends continue over it.
//
// Threads: open() on the main thread at start-up; then every method belongs to the producer
// (shard) thread that owns the Log, except stats(), which any thread may call.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "ringbuf/checkpoint.h"
#include "ringbuf/log.h"
#include "ringbuf/segment_store.h"

namespace sluice::ringbuf {

struct FileStoreOptions {
  std::string directory;             // this shard's segment directory (created if missing)
  std::string checkpoint_directory;  // where `checkpoint` lives; empty: `directory`
  uint32_t segment_bytes = 64u << 20;
  // Refuse to create a segment when fewer bytes than this would be left free on the disk.
  uint64_t minimum_free_bytes = 0;
  size_t spare_max = 2;
  std::string description;  // "channel c1 shard 0", for messages
};

// What recovery found and did, for the log and the metrics.
struct RecoveryReport {
  uint64_t segments = 0;             // segment files in use after recovery
  uint64_t records = 0;              // event records found valid (already delivered ones included)
  uint64_t undelivered_records = 0;  // of those, at or after the oldest reader checkpoint (to deliver)
  uint64_t truncated_bytes = 0;      // bytes cut off a torn or corrupt tail
  uint64_t discarded_segments = 0;   // whole segment files after the cut
  uint64_t corrupt_records = 0;      // bad records found (one per segment at most)
  uint64_t quarantined_bytes = 0;    // copied to quarantine files
  uint64_t lost_events = 0;          // sequence numbers skipped to continue after a bad record
  std::vector<std::string> quarantine_files;
  bool found_checkpoint = false;
  std::vector<std::string> problems;  // one line each, naming file and offset
};

struct FileStoreStats {
  uint64_t segment_files = 0;
  uint64_t spare_files = 0;
  uint64_t errors = 0;   // failed segment creations (disk full, I/O errors)
  bool failing = false;  // the last attempt failed
};

struct RecoveryScan;  // file_segment_recovery.cc

class FileSegmentStore final : public SegmentStore {
 public:
  // Opens and recovers the directory. `readers` are the sinks' names in reader order; `start`
  // receives where the log and every reader resume.
  static Result<std::unique_ptr<FileSegmentStore>> open(const FileStoreOptions& options,
                                                        const std::vector<std::string>& readers, LogStart& start,
                                                        RecoveryReport& report);
  ~FileSegmentStore() override;

  uint32_t segment_bytes() const override { return options_.segment_bytes; }
  uint32_t header_bytes() const override;
  Result<std::byte*> open_segment(uint64_t index, uint64_t first_sequence) override;
  void release_segment(uint64_t index, std::byte* base) override;

  // The file descriptor of an open segment (for fdatasync), -1 if it is not open.
  int segment_fd(uint64_t index) const;
  // The file name of segment `index` (for messages).
  std::string segment_path(uint64_t index) const { return path_of(index); }
  int checkpoint_fd() const { return checkpoint_fd_; }
  int directory_fd() const { return directory_fd_; }
  // True once after segment files were created or renamed: the directory needs an fsync for
  // the files to survive a power cut.
  bool take_directory_changed();
  // Encodes the next checkpoint generation for `log`'s readers into `slot`
  // (kCheckpointSlotBytes, owned by the caller until written) and returns its file offset.
  uint64_t prepare_checkpoint(Log& log, std::byte* slot);
  // Writes the next checkpoint now, blocking (shutdown, after the sinks have finished).
  Status write_checkpoint_now(Log& log, bool sync);

  FileStoreStats stats() const;
  const std::string& directory() const { return options_.directory; }

 private:
  struct Mapped {
    int fd = -1;
    std::byte* base = nullptr;
    std::string path;
  };

  explicit FileSegmentStore(const FileStoreOptions& options);
  Status lock_directory();
  // Recovery at open (file_segment_recovery.cc), in its steps.
  Status recover(const std::vector<std::string>& readers, LogStart& start, RecoveryReport& report);
  Status list_directory(std::vector<uint64_t>& indices, std::vector<std::pair<uint64_t, std::string>>& spares);
  void adopt_spares(const std::vector<std::pair<uint64_t, std::string>>& spares);
  Status recover_segment(uint64_t index, RecoveryScan& scan, RecoveryReport& report);
  void keep_segment(uint64_t index, const Mapped& mapped, uint64_t first_sequence, RecoveryScan& scan,
                    RecoveryReport& report);
  void continue_after_bad_record(uint64_t index, RecoveryScan& scan, RecoveryReport& report);
  void discard_past_end(const std::string& path, bool cut, RecoveryReport& report);
  void discard(const std::string& path, const std::string& why, bool is_problem, RecoveryReport& report);
  Status check_segment_size_unchanged(const std::string& path);
  Result<uint64_t> resume_writing(RecoveryScan& scan, const std::optional<Checkpoint>& checkpoint,
                                  const RecoveryReport& report);
  void place_readers(const std::vector<std::string>& readers, const std::optional<Checkpoint>& checkpoint,
                     const RecoveryScan& scan, LogStart& start, RecoveryReport& report);
  void reclaim_passed_segments(const LogStart& start, RecoveryReport& report);
  Result<Mapped> map_file(const std::string& path);
  Result<Mapped> create_segment_file(uint64_t index);
  Result<std::string> quarantine(const Mapped& segment, uint64_t index, uint64_t offset);
  // The first sequence of segment file `index` if recovery may continue in it after a cut.
  std::optional<uint64_t> resumable(uint64_t index, uint64_t expected_sequence);
  void unmap(Mapped& m);
  // A segment every reader has passed: keep it as a spare, or delete it.
  void retire(Mapped m);
  void note_failure(std::string message);
  std::string path_of(uint64_t index) const;
  std::string spare_path(uint64_t n) const;

  const FileStoreOptions options_;
  std::vector<std::string> readers_;
  int lock_fd_ = -1;
  int checkpoint_fd_ = -1;
  int directory_fd_ = -1;
  bool directory_changed_ = false;
  uint64_t checkpoint_generation_ = 0;
  std::map<uint64_t, Mapped> segments_;  // open segments by index
  std::vector<Mapped> spares_;           // released segments kept mapped for reuse
  uint64_t next_spare_name_ = 0;
  int64_t retry_after_ms_ = 0;  // after a failed creation, wait before trying again
  std::string last_error_;

  std::atomic<uint64_t> segment_files_{0};
  std::atomic<uint64_t> spare_files_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace sluice::ringbuf
