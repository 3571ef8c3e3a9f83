#include "ringbuf/file_segment_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "ringbuf/segment_file.h"
#include "base/assert.h"
#include "base/logger.h"
#include "base/time.h"

namespace sluice::ringbuf {
namespace {

namespace fs = std::filesystem;

// After a failed segment creation (disk full), further attempts within this window fail at once:
// a paused source asks every millisecond and must not hammer the file system.
constexpr int64_t kRetryAfterFailureMs = 100;

std::string errno_text(int err) { return std::strerror(err); }

std::optional<uint64_t> parse_spare_name(std::string_view name) {
  constexpr std::string_view prefix = "spare-", suffix = ".wal";
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

// What scanning one segment found.
struct SegmentScan {
  uint64_t end_offset = 0;      // offset just past the last valid record (or of the end marker)
  uint64_t records = 0;
  uint64_t next_sequence = 0;
  bool ends_with_marker = false;
  bool corrupt = false;         // stopped at a record that is neither valid, empty nor stale
  std::string corruption;       // what was wrong there
};

SegmentScan scan_segment(const std::byte* base, uint64_t segment_bytes, uint64_t first_sequence) {
  SegmentScan scan;
  uint64_t offset = kSegmentHeaderBytes;
  uint64_t expected = first_sequence;
  for (;;) {
    RecordCheck check = check_record(base + offset, segment_bytes - offset);
    if (check == RecordCheck::empty) break;
    if (check != RecordCheck::ok) {
      scan.corrupt = true;
      scan.corruption = std::string(record_check_name(check));
      break;
    }
    EventView view(base + offset);
    if (view.type() == RecordType::segment_end) {
      // A marker ahead in sequence was written by an earlier recovery that quarantined the rest
      // of this segment: the next segment starts there.
      expected = std::max(expected, view.sequence());
      scan.ends_with_marker = true;
      break;
    }
    if (view.sequence() != expected) {
      // A valid record from an earlier life of a recycled file: the log ended before it.
      if (view.sequence() > expected) {
        scan.corrupt = true;
        scan.corruption = fmt::format("sequence {} where {} was expected", view.sequence(), expected);
      }
      break;
    }
    ++expected;
    ++scan.records;
    offset += align_record(view.record_bytes());
  }
  scan.end_offset = offset;
  scan.next_sequence = expected;
  return scan;
}

// The sequence of the record at `offset` of a segment, if a record (or the end marker, then the
// sequence after the segment's last record) starts exactly there.
std::optional<uint64_t> sequence_at(const std::byte* base, uint64_t segment_bytes, uint64_t first_sequence,
                                    uint64_t offset) {
  uint64_t at = kSegmentHeaderBytes;
  uint64_t sequence = first_sequence;
  while (at < offset) {
    if (check_record(base + at, segment_bytes - at) != RecordCheck::ok) return std::nullopt;
    EventView view(base + at);
    if (view.type() == RecordType::segment_end) return std::nullopt;
    sequence = view.sequence() + 1;
    at += align_record(view.record_bytes());
  }
  if (at != offset) return std::nullopt;
  return sequence;
}

}  // namespace

FileSegmentStore::FileSegmentStore(const FileStoreOptions& options) : options_(options) {}

FileSegmentStore::~FileSegmentStore() {
  for (auto& [index, m] : segments_) unmap(m);
  for (auto& m : spares_) unmap(m);
  if (checkpoint_fd_ >= 0) ::close(checkpoint_fd_);
  if (directory_fd_ >= 0) ::close(directory_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

uint32_t FileSegmentStore::header_bytes() const { return kSegmentHeaderBytes; }

std::string FileSegmentStore::path_of(uint64_t index) const {
  return (fs::path(options_.directory) / segment_file_name(index)).string();
}

std::string FileSegmentStore::spare_path(uint64_t n) const {
  return (fs::path(options_.directory) / fmt::format("spare-{}.wal", n)).string();
}

void FileSegmentStore::unmap(Mapped& m) {
  if (m.base) munmap(m.base, options_.segment_bytes);
  if (m.fd >= 0) ::close(m.fd);
  m = {};
}

Result<std::unique_ptr<FileSegmentStore>> FileSegmentStore::open(const FileStoreOptions& options,
                                                                  const std::vector<std::string>& readers,
                                                                  LogStart& start, RecoveryReport& report) {
  SLUICE_ASSERT(options.segment_bytes % kRecordAlign == 0 && options.segment_bytes > kSegmentHeaderBytes,
                "segment size must be a multiple of 8 above the header");
  SLUICE_ASSERT(readers.size() <= kCheckpointReadersMax, "too many readers for a checkpoint");
  std::unique_ptr<FileSegmentStore> store(new FileSegmentStore(options));
  store->readers_ = readers;
  const std::string& what = options.description;
  for (const std::string& dir : {options.directory, options.checkpoint_directory}) {
    if (dir.empty()) continue;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(fmt::format("{}: cannot create data directory {}: {}", what, dir, ec.message()));
  }
  if (Status locked = store->lock_directory(); !locked) return Error{locked.message()};
  store->directory_fd_ = ::open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (store->directory_fd_ < 0)
    return make_error(fmt::format("{}: cannot open {}: {}", what, options.directory, errno_text(errno)));

  std::string checkpoint_dir = options.checkpoint_directory.empty() ? options.directory : options.checkpoint_directory;
  std::string checkpoint_path = (fs::path(checkpoint_dir) / "checkpoint").string();
  bool created = false;
  store->checkpoint_fd_ = ::open(checkpoint_path.c_str(), O_RDWR | O_CLOEXEC);
  if (store->checkpoint_fd_ < 0 && errno == ENOENT) {
    store->checkpoint_fd_ = ::open(checkpoint_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    created = true;
  }
  if (store->checkpoint_fd_ < 0)
    return make_error(fmt::format("{}: cannot open {}: {}", what, checkpoint_path, errno_text(errno)));
  // A new file survives a power cut only once its directory entry does.
  if (created) {
    int dir_fd = ::open(checkpoint_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = dir_fd < 0 || fsync(dir_fd) != 0 ? errno : 0;
    if (dir_fd >= 0) ::close(dir_fd);
    if (err != 0) return make_error(fmt::format("{}: cannot sync {}: {}", what, checkpoint_dir, errno_text(err)));
  }

  if (Status recovered = store->recover(readers, start, report); !recovered) return Error{recovered.message()};
  return store;
}

Status FileSegmentStore::lock_directory() {
  std::string path = (fs::path(options_.directory) / "LOCK").string();
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    return make_error(fmt::format("{}: data directory {} is not writable: {}", options_.description,
                                  options_.directory, errno_text(errno)));
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK)
      return make_error(fmt::format("{}: data directory {} is in use by another sluice process", options_.description,
                                    options_.directory));
    return make_error(fmt::format("{}: cannot lock {}: {}", options_.description, path, errno_text(err)));
  }
  // Prove that the directory takes writes now rather than at the first segment.
  std::string probe = (fs::path(options_.directory) / ".write-test.tmp").string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, "x", 1) != 1) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(probe.c_str());
    return make_error(fmt::format("{}: data directory {} is not writable: {}", options_.description,
                                  options_.directory, errno_text(err)));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

Result<FileSegmentStore::Mapped> FileSegmentStore::map_file(const std::string& path) {
  Mapped m;
  m.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (m.fd < 0) return make_error(fmt::format("cannot open {}: {}", path, errno_text(errno)));
  struct stat st{};
  if (fstat(m.fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != options_.segment_bytes) {
    ::close(m.fd);
    return make_error(fmt::format("{} is {} bytes, not the channel's segmentSize {}", path,
                                  static_cast<uint64_t>(st.st_size), options_.segment_bytes));
  }
  void* base = mmap(nullptr, options_.segment_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0);
  if (base == MAP_FAILED) {
    int err = errno;
    ::close(m.fd);
    return make_error(fmt::format("cannot map {}: {}", path, errno_text(err)));
  }
  m.base = static_cast<std::byte*>(base);
  m.path = path;
  return m;
}

void FileSegmentStore::retire(Mapped m) {
  if (spares_.size() < options_.spare_max) {
    std::string spare = spare_path(next_spare_name_++);
    if (::rename(m.path.c_str(), spare.c_str()) == 0) {
      m.path = spare;
      spares_.push_back(std::move(m));
      spare_files_.store(spares_.size(), std::memory_order_relaxed);
      return;
    }
  }
  ::unlink(m.path.c_str());
  unmap(m);
}

void FileSegmentStore::note_failure(std::string message) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  failing_.store(true, std::memory_order_relaxed);
  retry_after_ms_ = base::monotonic_ms() + kRetryAfterFailureMs;
  // One line per change of cause: a disk that stays full is reported once, not per attempt.
  if (message != last_error_) base::log_error("{}: {}", options_.description, message);
  last_error_ = std::move(message);
}

Result<FileSegmentStore::Mapped> FileSegmentStore::create_segment_file(uint64_t index) {
  const uint64_t S = options_.segment_bytes;
  if (options_.minimum_free_bytes > 0) {
    struct statvfs vfs{};
    if (statvfs(options_.directory.c_str(), &vfs) == 0) {
      uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
      if (free_bytes < S + options_.minimum_free_bytes)
        return make_error(fmt::format("{} has {} bytes free; a new {}-byte segment would go below "
                                      "minimumRequiredSpace ({} bytes)",
                                      options_.directory, free_bytes, S, options_.minimum_free_bytes));
    }
  }
  std::string path = path_of(index);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(fmt::format("cannot create {}: {}", path, errno_text(errno)));
  // Allocate every block now: a write through the mapping can then never meet a full disk
  // (which would be SIGBUS); a full disk shows up here, as an error the log can back off from.
  int rc = fallocate(fd, 0, 0, static_cast<off_t>(S));
  if (rc != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return make_error(fmt::format("cannot allocate {} bytes for {}: {}", S, path, errno_text(err)));
  }
  void* base = mmap(nullptr, S, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return make_error(fmt::format("cannot map {}: {}", path, errno_text(err)));
  }
  directory_changed_ = true;
  return Mapped{fd, static_cast<std::byte*>(base), path};
}

Result<std::byte*> FileSegmentStore::open_segment(uint64_t index, uint64_t first_sequence) {
  if (auto it = segments_.find(index); it != segments_.end()) return it->second.base;
  if (base::monotonic_ms() < retry_after_ms_) return make_error(last_error_);
  Mapped m;
  if (!spares_.empty()) {
    m = std::move(spares_.back());
    spares_.pop_back();
    std::string path = path_of(index);
    if (::rename(m.path.c_str(), path.c_str()) != 0) {
      int err = errno;
      std::string message = fmt::format("cannot rename {} to {}: {}", m.path, path, errno_text(err));
      unmap(m);
      note_failure(message);
      return make_error(message);
    }
    m.path = path;
    directory_changed_ = true;
  } else {
    auto created = create_segment_file(index);
    if (!created.ok()) {
      note_failure(created.error().message);
      return make_error(created.error().message);
    }
    m = std::move(created).value();
  }
  SegmentHeader header;
  header.segment_bytes = options_.segment_bytes;
  header.index = index;
  header.first_sequence = first_sequence;
  header.created_ms = base::realtime_ms();
  encode_segment_header(header, m.base);
  std::byte* base = m.base;
  segments_.emplace(index, std::move(m));
  segment_files_.store(segments_.size(), std::memory_order_relaxed);
  spare_files_.store(spares_.size(), std::memory_order_relaxed);
  if (failing_.load(std::memory_order_relaxed)) {
    base::log_info("{}: segments can be created again", options_.description);
    failing_.store(false, std::memory_order_relaxed);
    last_error_.clear();
  }
  return base;
}

void FileSegmentStore::release_segment(uint64_t index, std::byte* base) {
  auto it = segments_.find(index);
  SLUICE_ASSERT(it != segments_.end() && it->second.base == base, "release of a segment that is not open");
  Mapped m = std::move(it->second);
  segments_.erase(it);
  retire(std::move(m));
  segment_files_.store(segments_.size(), std::memory_order_relaxed);
}

int FileSegmentStore::segment_fd(uint64_t index) const {
  auto it = segments_.find(index);
  return it == segments_.end() ? -1 : it->second.fd;
}

bool FileSegmentStore::take_directory_changed() {
  bool changed = directory_changed_;
  directory_changed_ = false;
  return changed;
}

uint64_t FileSegmentStore::prepare_checkpoint(Log& log, std::byte* slot) {
  Checkpoint c;
  c.generation = checkpoint_generation_++;
  for (uint32_t i = 0; i < readers_.size(); ++i) {
    const LogReader& r = log.reader(i);
    // The position is what recovery trusts (it reads the sequence back from the record there);
    // the sequence is kept for the case where no segment survives.
    uint64_t position = r.committed_position();
    uint64_t sequence = r.committed_sequence();
    c.entries.push_back({readers_[i], position, sequence});
  }
  encode_checkpoint_slot(c, slot);
  return checkpoint_slot_offset(c.generation);
}

Status FileSegmentStore::write_checkpoint_now(Log& log, bool sync) {
  alignas(8) std::byte slot[kCheckpointSlotBytes];
  uint64_t offset = prepare_checkpoint(log, slot);
  ssize_t n = pwrite(checkpoint_fd_, slot, sizeof slot, static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(sizeof slot))
    return make_error(fmt::format("{}: cannot write the checkpoint: {}", options_.description,
                                  n < 0 ? errno_text(errno) : std::string("short write")));
  if (sync && fdatasync(checkpoint_fd_) != 0)
    return make_error(fmt::format("{}: cannot sync the checkpoint: {}", options_.description, errno_text(errno)));
  return {};
}

// Best effort by design: a disk that cannot take the copy must not keep the later segments
// from being recovered; the caller says so in its problem line.
Result<std::string> FileSegmentStore::quarantine(const Mapped& segment, uint64_t index, uint64_t offset) {
  const fs::path dir = fs::path(options_.directory) / "quarantine";
  if (::mkdir(dir.c_str(), 0755) == 0) {
    if (fsync(directory_fd_) != 0)
      return make_error(fmt::format("cannot sync {}: {}", options_.directory, errno_text(errno)));
  } else if (errno != EEXIST) {
    return make_error(fmt::format("cannot create {}: {}", dir.string(), errno_text(errno)));
  }
  const std::string base = (dir / fmt::format("{}.{}.corrupt", segment_file_name(index), offset)).string();
  std::string path = base;
  int fd = -1;
  for (int n = 1; n <= 100 && fd < 0; ++n) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return make_error(fmt::format("cannot create {}: {}", path, errno_text(errno)));
    if (fd < 0) path = fmt::format("{}.{}", base, n);
  }
  if (fd < 0) return make_error(fmt::format("{} and 100 more of that name exist", base));
  const std::byte* at = segment.base + offset;
  size_t left = options_.segment_bytes - offset;
  int err = 0;
  while (left > 0 && err == 0) {
    ssize_t n = ::write(fd, at, left);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) at += n, left -= static_cast<size_t>(n);
  }
  if (err == 0 && fdatasync(fd) != 0) err = errno;
  ::close(fd);
  int dir_fd = err == 0 ? ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (err == 0 && (dir_fd < 0 || fsync(dir_fd) != 0)) err = errno;
  if (dir_fd >= 0) ::close(dir_fd);
  if (err != 0) return make_error(fmt::format("cannot write {}: {}", path, errno_text(err)));
  return path;
}

std::optional<uint64_t> FileSegmentStore::resumable(uint64_t index, uint64_t expected_sequence) {
  auto m = map_file(path_of(index));
  if (!m.ok()) return std::nullopt;
  SegmentHeader h;
  bool ok = decode_segment_header(m.value().base, h) == SegmentHeaderCheck::ok && h.index == index &&
            h.segment_bytes == options_.segment_bytes && h.first_sequence >= expected_sequence;
  unmap(m.value());
  return ok ? std::optional<uint64_t>(h.first_sequence) : std::nullopt;
}

FileStoreStats FileSegmentStore::stats() const {
  FileStoreStats s;
  s.segment_files = segment_files_.load(std::memory_order_relaxed);
  s.spare_files = spare_files_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.failing = failing_.load(std::memory_order_relaxed);
  return s;
}

Status FileSegmentStore::recover(const std::vector<std::string>& readers, LogStart& start, RecoveryReport& report) {
  const std::string& what = options_.description;
  const uint64_t S = options_.segment_bytes;
  const uint64_t H = kSegmentHeaderBytes;

  std::string checkpoint_dir = options_.checkpoint_directory.empty() ? options_.directory : options_.checkpoint_directory;
  auto checkpoint = read_checkpoint_file((fs::path(checkpoint_dir) / "checkpoint").string());
  if (!checkpoint.ok()) return make_error(fmt::format("{}: {}", what, checkpoint.error().message));
  report.found_checkpoint = checkpoint.value().has_value();
  checkpoint_generation_ = report.found_checkpoint ? checkpoint.value()->generation + 1 : 0;

  // What the directory holds.
  std::vector<uint64_t> indices;
  std::vector<std::pair<uint64_t, std::string>> spare_names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.directory, ec)) {
    std::string name = entry.path().filename().string();
    if (auto index = parse_segment_file_name(name)) indices.push_back(*index);
    else if (auto n = parse_spare_name(name)) spare_names.emplace_back(*n, entry.path().string());
    else if (name.ends_with(".tmp")) fs::remove(entry.path(), ec);
  }
  if (ec) return make_error(fmt::format("{}: cannot list {}: {}", what, options_.directory, ec.message()));
  std::sort(indices.begin(), indices.end());

  // Spares: reuse up to spare_max, delete the rest.
  for (auto& [n, path] : spare_names) {
    next_spare_name_ = std::max(next_spare_name_, n + 1);
    auto m = spares_.size() < options_.spare_max ? map_file(path) : Result<Mapped>(Error{"surplus"});
    if (m.ok()) {
      spares_.push_back(m.value());
    } else {
      ::unlink(path.c_str());
    }
  }

  // Scan the segments in order; the log is the longest valid prefix.
  struct Kept {
    uint64_t index;
    uint64_t first_sequence;
    uint64_t end_offset;
  };
  std::vector<Kept> kept;
  bool ended = false;             // the log ended (or was cut) in a segment already kept
  bool cut = false;               // something valid-looking may lie beyond the end
  uint64_t expected_sequence = 0;
  struct Cut {
    uint64_t index;
    uint64_t offset;
  };
  std::optional<Cut> bad_record;  // in the last kept segment
  for (uint64_t index : indices) {
    std::string path = path_of(index);
    if (bad_record && index == bad_record->index + 1 && bad_record->offset + kRecordHeaderBytes <= S) {
      // Continue in this segment: mark the end of the damaged one over its bad record.
      if (auto first = resumable(index, expected_sequence)) {
        const Mapped& damaged = segments_[bad_record->index];
        encode_segment_end({damaged.base + bad_record->offset, kRecordHeaderBytes}, *first);
        if (fdatasync(damaged.fd) != 0)
          report.problems.push_back(fmt::format("{}: cannot sync the end marker: {}", damaged.path, errno_text(errno)));
        report.lost_events += *first - expected_sequence;
        expected_sequence = *first;
        ended = cut = false;
      }
    }
    bad_record.reset();
    auto discard = [&](const std::string& why, bool is_problem) {
      if (is_problem) report.problems.push_back(fmt::format("{}: {}; the file is discarded", path, why));
      ++report.discarded_segments;
      ::unlink(path.c_str());
    };
    if (ended) {
      // Files past the end: a segment created just before a crash (normal), or data after a cut.
      auto m = map_file(path);
      SegmentHeader h;
      bool has_records = false;
      if (m.ok()) {
        if (decode_segment_header(m.value().base, h) == SegmentHeaderCheck::ok) {
          has_records = check_record(m.value().base + H, S - H) == RecordCheck::ok &&
                        EventView(m.value().base + H).sequence() == h.first_sequence;
        }
        unmap(m.value());
      }
      discard(fmt::format("follows the end of the log{}", has_records ? " and holds records" : ""),
              cut || has_records);
      continue;
    }
    auto m = map_file(path);
    if (!m.ok()) {
      if (m.error().message.find("segmentSize") != std::string::npos) {
        // Tell a changed segmentSize apart from a torn file: look at the header.
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        std::byte header[kSegmentHeaderBytes] = {};
        SegmentHeader h;
        bool readable = fd >= 0 && pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
        if (fd >= 0) ::close(fd);
        if (readable && decode_segment_header(header, h) == SegmentHeaderCheck::ok && h.segment_bytes != S)
          return make_error(fmt::format("{}: {} holds {}-byte segments but the channel's segmentSize is {}: set "
                                        "segmentSize back to {} (or let this channel drain first)",
                                        what, path, h.segment_bytes, S, h.segment_bytes));
      }
      discard(m.error().message, true);
      ended = cut = true;
      continue;
    }
    Mapped mapped = m.value();
    SegmentHeader header;
    SegmentHeaderCheck hc = decode_segment_header(mapped.base, header);
    if (hc == SegmentHeaderCheck::other_version) {
      unmap(mapped);
      return make_error(fmt::format("{}: {} was written in segment format version {}, this sluice reads version {}: "
                                    "drain it with the sluice that wrote it, or move the directory away",
                                    what, path, header.version, kSegmentFormatVersion));
    }
    std::string header_problem;
    if (hc != SegmentHeaderCheck::ok) header_problem = "the segment header is damaged";
    else if (header.index != index) header_problem = fmt::format("the header says segment {}", header.index);
    else if (header.segment_bytes != S) header_problem = "the header's segment size differs from the file's";
    else if (!kept.empty() && index != kept.back().index + 1) header_problem = "segments before it are missing";
    else if (!kept.empty() && header.first_sequence != expected_sequence)
      header_problem = fmt::format("it starts at sequence {} where {} was expected", header.first_sequence,
                                   expected_sequence);
    if (!header_problem.empty()) {
      unmap(mapped);
      discard(header_problem, true);
      ended = cut = true;
      continue;
    }
    if (kept.empty()) expected_sequence = header.first_sequence;

    SegmentScan scan = scan_segment(mapped.base, S, expected_sequence);
    report.records += scan.records;
    expected_sequence = scan.next_sequence;
    if (scan.corrupt) {
      report.truncated_bytes += S - scan.end_offset;
      ++report.corrupt_records;
      auto saved = quarantine(mapped, index, scan.end_offset);
      if (saved.ok()) {
        report.quarantined_bytes += S - scan.end_offset;
        report.quarantine_files.push_back(saved.value());
      }
      report.problems.push_back(fmt::format(
          "{}: bad record at offset {} ({}); the log is cut there, the rest of the segment {}", path,
          scan.end_offset, scan.corruption,
          saved.ok() ? fmt::format("is saved in {}", saved.value())
                     : fmt::format("is lost ({})", saved.error().message)));
      bad_record = Cut{index, scan.end_offset};
      cut = true;
    }
    segments_[index] = mapped;
    kept.push_back({index, header.first_sequence, scan.end_offset});
    if (!scan.ends_with_marker) ended = true;
  }

  // Where appends continue.
  uint64_t write_position;
  if (kept.empty()) {
    uint64_t after = 0;
    if (report.found_checkpoint)
      for (const auto& e : checkpoint.value()->entries) {
        after = std::max(after, e.position / S + 1);
        expected_sequence = std::max(expected_sequence, e.sequence);
      }
    write_position = after * S + H;
  } else if (!ended) {
    // The last kept segment ends with a marker but its successor is gone: continue in it, over
    // the marker.
    Kept& last = kept.back();
    std::memset(segments_[last.index].base + last.end_offset, 0, kRecordHeaderBytes);
    write_position = last.index * S + last.end_offset;
  } else {
    write_position = kept.back().index * S + kept.back().end_offset;
  }
  start.write_position = write_position;
  start.next_sequence = expected_sequence;
  // The segment appends continue in must exist now: a disk that cannot take even that is a
  // start-up error, not a silent stall.
  if (!segments_.contains(write_position / S)) {
    auto created = open_segment(write_position / S, expected_sequence);
    if (!created.ok()) return make_error(fmt::format("{}: {}", what, created.error().message));
    // A fresh or recycled file: its first slot must read as empty.
    std::memset(created.value() + H, 0, 8);
  }

  // Where each reader resumes.
  const uint64_t oldest = kept.empty() ? write_position : kept.front().index * S + H;
  const uint64_t oldest_sequence = kept.empty() ? expected_sequence : kept.front().first_sequence;
  start.reader_positions.clear();
  start.reader_sequences.clear();
  for (const std::string& reader : readers) {
    const CheckpointEntry* entry = report.found_checkpoint ? checkpoint.value()->find(reader) : nullptr;
    uint64_t position = oldest;
    uint64_t sequence = oldest_sequence;
    if (entry && entry->position >= write_position) {
      position = write_position;
      sequence = expected_sequence;
    } else if (entry && entry->position > oldest) {
      // Trust the position only if a record starts there; else resume at its segment's start
      // (which delivers some events twice rather than skip any).
      uint64_t k = entry->position / S;
      auto it = std::find_if(kept.begin(), kept.end(), [&](const Kept& s) { return s.index == k; });
      std::optional<uint64_t> at;
      if (it != kept.end()) at = sequence_at(segments_[k].base, S, it->first_sequence, entry->position % S);
      if (at) {
        position = entry->position;
        sequence = *at;
      } else if (it != kept.end()) {
        position = k * S + H;
        sequence = it->first_sequence;
        report.problems.push_back(fmt::format("checkpoint position {} of sink {} is not a record boundary; it "
                                              "resumes at the start of its segment",
                                              entry->position, reader));
      }
    }
    start.reader_positions.push_back(position);
    start.reader_sequences.push_back(sequence);
  }

  // Segments every reader has passed (the checkpoint was written after the last reclaim) go now.
  uint64_t min_position = write_position;
  uint64_t min_sequence = expected_sequence;
  for (size_t i = 0; i < readers.size(); ++i) {
    min_position = std::min(min_position, start.reader_positions[i]);
    min_sequence = std::min(min_sequence, start.reader_sequences[i]);
  }
  const uint64_t current = write_position / S;
  for (auto it = segments_.begin(); it != segments_.end();) {
    if (it->first < min_position / S && it->first < current) {
      retire(it->second);
      it = segments_.erase(it);
    } else {
      ++it;
    }
  }
  report.segments = segments_.size();
  report.undelivered_records = expected_sequence > min_sequence && report.records ? expected_sequence - min_sequence : 0;
  segment_files_.store(segments_.size(), std::memory_order_relaxed);
  spare_files_.store(spares_.size(), std::memory_order_relaxed);
  return {};
}

}  // namespace sluice::ringbuf
