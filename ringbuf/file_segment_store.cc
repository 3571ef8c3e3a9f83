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

#include "base/assert.h"
#include "base/logger.h"
#include "base/time.h"
#include "ringbuf/segment_file.h"

namespace sluice::ringbuf {
namespace {

namespace fs = std::filesystem;

// After a failed segment creation (disk full), further attempts within this window fail at once:
// a paused source asks every millisecond and must not hammer the file system.
constexpr int64_t kRetryAfterFailureMs = 100;

std::string errno_text(int err) { return std::strerror(err); }

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
    return make_error(fmt::format("{}: data directory {} is not writable: {}", options_.description, options_.directory,
                                  errno_text(errno)));
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
    return make_error(fmt::format("{}: data directory {} is not writable: {}", options_.description, options_.directory,
                                  errno_text(err)));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

Result<FileSegmentStore::Mapped> FileSegmentStore::map_file(const std::string& path) {
  Mapped m;
  m.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (m.fd < 0) return make_error(fmt::format("cannot open {}: {}", path, errno_text(errno)));
  struct stat st {};
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
    struct statvfs vfs {};
    if (statvfs(options_.directory.c_str(), &vfs) == 0) {
      uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
      if (free_bytes < S + options_.minimum_free_bytes)
        return make_error(
            fmt::format("{} has {} bytes free; a new {}-byte segment would go below "
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

FileStoreStats FileSegmentStore::stats() const {
  FileStoreStats s;
  s.segment_files = segment_files_.load(std::memory_order_relaxed);
  s.spare_files = spare_files_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.failing = failing_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sluice::ringbuf
