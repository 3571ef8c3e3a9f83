#include "sinks/hdfs/local_file_system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "base/assert.h"
#include "sinks/hdfs/directory_sync.h"

namespace sluice::sinks::hdfs {
namespace {

FsError error_from_errno(int err, std::string_view op, const std::string& path) {
  FsErrorKind kind = FsErrorKind::io;
  if (err == ENOENT || err == ENOTDIR) kind = FsErrorKind::not_found;
  else if (err == EEXIST) kind = FsErrorKind::already_exists;
  else if (err == EACCES || err == EPERM || err == EROFS) kind = FsErrorKind::denied;
  return FsError{kind, fmt::format("{} {}: {}", op, path, std::strerror(err)), {}, 0};
}

// Makes a name created or changed in `dir` durable.
FsStatus sync_directory(const std::string& dir, std::string_view op) {
  if (int err = fsync_directory(dir); err != 0) return error_from_errno(err, op, dir);
  return {};
}

// pwrite() of all of `data` at `offset`.
bool pwrite_all(int fd, const void* data, size_t size, uint64_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace

std::string_view fs_error_kind_name(FsErrorKind kind) {
  switch (kind) {
    case FsErrorKind::connect: return "connect";
    case FsErrorKind::timeout: return "timeout";
    case FsErrorKind::io: return "io";
    case FsErrorKind::not_found: return "not_found";
    case FsErrorKind::already_exists: return "already_exists";
    case FsErrorKind::denied: return "denied";
    case FsErrorKind::remote: return "remote";
    case FsErrorKind::protocol: return "protocol";
    case FsErrorKind::unsupported: return "unsupported";
  }
  return "unknown";
}

LocalFileSystem::~LocalFileSystem() {
  while (!open_.empty()) forget(open_.begin()->first);
  std::free(staging_);
}

FsStatus LocalFileSystem::make_directories(const std::string& dir) {
  // Walk down from the root, creating what is missing; sync each parent that gained a name.
  std::string prefix;
  size_t at = 0;
  while (at < dir.size()) {
    size_t next = dir.find('/', at + 1);
    prefix = dir.substr(0, next == std::string::npos ? dir.size() : next);
    at = next == std::string::npos ? dir.size() : next;
    if (prefix.empty() || prefix == "/") continue;
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      if (FsStatus s = sync_directory(parent_directory(prefix), "MKDIRS"); !s) return s;
    } else if (errno != EEXIST) {
      return error_from_errno(errno, "MKDIRS", prefix);
    } else {
      struct stat st {};
      if (::stat(prefix.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        return FsError{FsErrorKind::already_exists, fmt::format("MKDIRS {}: a file is in the way", prefix), {}, 0};
    }
  }
  return {};
}

FsStatus LocalFileSystem::create(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return error_from_errno(errno, "CREATE", path);
  forget(path);
  OpenFile& f = open_[path];
  f.buffered_fd = fd;
  f.direct_fd = open_direct(path);
  if (FsStatus s = write_durably(f, data, "CREATE", path); !s) return s;
  if (FsStatus s = sync_directory(parent_directory(path), "CREATE"); !s) {
    forget(path);
    return s;
  }
  return {};
}

int LocalFileSystem::open_direct(const std::string& path) const {
  if (direct_refused_) return -1;
  return ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
}

FsResult<LocalFileSystem::OpenFile*> LocalFileSystem::open_file(const std::string& path, const char* op) {
  if (auto it = open_.find(path); it != open_.end()) return &it->second;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return error_from_errno(errno, op, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return error_from_errno(err, op, path);
  }
  OpenFile f;
  f.buffered_fd = fd;
  f.size = static_cast<uint64_t>(st.st_size);
  f.tail.resize(f.size % kBlock);
  if (!f.tail.empty()) {
    ssize_t n = ::pread(fd, f.tail.data(), f.tail.size(), static_cast<off_t>(f.size - f.tail.size()));
    if (n != static_cast<ssize_t>(f.tail.size())) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return error_from_errno(err, op, path);
    }
  }
  f.direct_fd = open_direct(path);
  return &open_.emplace(path, std::move(f)).first->second;
}

std::byte* LocalFileSystem::staging(size_t bytes) {
  if (bytes > staging_bytes_) {
    std::free(staging_);
    staging_bytes_ = (std::max(bytes, staging_bytes_ * 2) + kBlock - 1) / kBlock * kBlock;
    staging_ = static_cast<std::byte*>(std::aligned_alloc(kBlock, staging_bytes_));
    SLUICE_ASSERT(staging_ != nullptr, "cannot allocate the O_DIRECT staging buffer");
  }
  return staging_;
}

FsStatus LocalFileSystem::write_durably(OpenFile& f, std::string_view data, const char* op, const std::string& path) {
  bool written = true;
  if (data.empty()) {
    // Nothing to write; the fdatasync below still makes a new file's existence durable.
  } else if (f.direct_fd < 0) {
    written = pwrite_all(f.buffered_fd, data.data(), data.size(), f.size);
    if (written) f.size += data.size();
  } else {
    // The file from its last whole block on: the tail already there, then the new bytes.
    const uint64_t start = f.size - f.tail.size();
    const size_t total = f.tail.size() + data.size();
    const size_t whole = total / kBlock * kBlock;
    if (whole > 0) {
      const size_t from_data = whole - f.tail.size();  // new bytes in the whole blocks
      std::byte* buffer = staging(whole);
      std::memcpy(buffer, f.tail.data(), f.tail.size());
      std::memcpy(buffer + f.tail.size(), data.data(), from_data);
      written = pwrite_all(f.direct_fd, buffer, whole, start);
      if (!written && errno == EINVAL) {
        // Opened with O_DIRECT but refused at write time (some FUSE and network file systems):
        // through the page cache, for this file and every one opened after it.
        direct_refused_ = true;
        ::close(f.direct_fd);
        f.direct_fd = -1;
        written = pwrite_all(f.buffered_fd, buffer, whole, start);
      }
      f.tail.assign(data.substr(from_data));
    } else {
      f.tail.append(data);
    }
    // The partial last block (the new tail) through the page cache; fdatasync writes it.
    if (written && !f.tail.empty()) written = pwrite_all(f.buffered_fd, f.tail.data(), f.tail.size(), start + whole);
    if (written) f.size = start + total;
  }
  if (written && ::fdatasync(f.buffered_fd) == 0) return {};
  FsError error = error_from_errno(errno, op, path);
  forget(path);
  return error;
}

FsStatus LocalFileSystem::append(const std::string& path, std::string_view data) {
  auto f = open_file(path, "APPEND");
  if (!f.ok()) return f.error();
  return write_durably(*f.value(), data, "APPEND", path);
}

FsResult<std::optional<uint64_t>> LocalFileSystem::length(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<uint64_t>();
    return error_from_errno(errno, "GETFILESTATUS", path);
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(st.st_size));
}

FsResult<bool> LocalFileSystem::truncate(const std::string& path, uint64_t new_length) {
  forget(path);  // its length and tail change
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return error_from_errno(errno, "TRUNCATE", path);
  int rc = ::ftruncate(fd, static_cast<off_t>(new_length));
  if (rc == 0) rc = ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return error_from_errno(err, "TRUNCATE", path);
  return true;
}

FsResult<bool> LocalFileSystem::rename(const std::string& from, const std::string& to) {
  forget(from);
  // Never replace: HDFS's rename answers false when the destination exists.
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == ENOENT || errno == EEXIST) return false;
    return error_from_errno(errno, "RENAME", from);
  }
  if (FsStatus s = sync_directory(parent_directory(to), "RENAME"); !s) return s.error();
  if (parent_directory(from) != parent_directory(to)) {
    if (FsStatus s = sync_directory(parent_directory(from), "RENAME"); !s) return s.error();
  }
  return true;
}

FsResult<bool> LocalFileSystem::remove(const std::string& path) {
  forget(path);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return error_from_errno(errno, "DELETE", path);
  }
  if (FsStatus s = sync_directory(parent_directory(path), "DELETE"); !s) return s.error();
  return true;
}

void LocalFileSystem::forget(const std::string& path) {
  if (auto it = open_.find(path); it != open_.end()) {
    ::close(it->second.buffered_fd);
    if (it->second.direct_fd >= 0) ::close(it->second.direct_fd);
    open_.erase(it);
  }
}

}  // namespace sluice::sinks::hdfs
