#include "sinks/hdfs/local_file_system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace sluice::sinks::hdfs {
namespace {

FsError error_from_errno(int err, std::string_view op, const std::string& path) {
  FsErrorKind kind = FsErrorKind::io;
  if (err == ENOENT || err == ENOTDIR) kind = FsErrorKind::not_found;
  else if (err == EEXIST) kind = FsErrorKind::already_exists;
  else if (err == EACCES || err == EPERM || err == EROFS) kind = FsErrorKind::denied;
  return FsError{kind, fmt::format("{} {}: {}", op, path, std::strerror(err)), {}, 0};
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes a name created or changed in `dir` durable.
FsStatus sync_directory(const std::string& dir, std::string_view op) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return error_from_errno(errno, op, dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return error_from_errno(err, op, dir);
  return {};
}

FsStatus write_all(int fd, std::string_view data, std::string_view op, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return error_from_errno(errno, op, path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fdatasync(fd) != 0) return error_from_errno(errno, op, path);
  return {};
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
  for (auto& [path, fd] : open_) ::close(fd);
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
      if (FsStatus s = sync_directory(parent_of(prefix), "MKDIRS"); !s) return s;
    } else if (errno != EEXIST) {
      return error_from_errno(errno, "MKDIRS", prefix);
    } else {
      struct stat st{};
      if (::stat(prefix.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        return FsError{FsErrorKind::already_exists, fmt::format("MKDIRS {}: a file is in the way", prefix), {}, 0};
    }
  }
  return {};
}

FsStatus LocalFileSystem::create(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return error_from_errno(errno, "CREATE", path);
  if (FsStatus s = write_all(fd, data, "CREATE", path); !s) {
    ::close(fd);
    return s;
  }
  if (FsStatus s = sync_directory(parent_of(path), "CREATE"); !s) {
    ::close(fd);
    return s;
  }
  forget(path);
  open_.emplace(path, fd);
  return {};
}

FsResult<int> LocalFileSystem::descriptor(const std::string& path, const char* op) {
  if (auto it = open_.find(path); it != open_.end()) return it->second;
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return error_from_errno(errno, op, path);
  open_.emplace(path, fd);
  return fd;
}

FsStatus LocalFileSystem::append(const std::string& path, std::string_view data) {
  auto fd = descriptor(path, "APPEND");
  if (!fd.ok()) return fd.error();
  return write_all(fd.value(), data, "APPEND", path);
}

FsResult<std::optional<uint64_t>> LocalFileSystem::length(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<uint64_t>();
    return error_from_errno(errno, "GETFILESTATUS", path);
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(st.st_size));
}

FsResult<bool> LocalFileSystem::truncate(const std::string& path, uint64_t new_length) {
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
  if (FsStatus s = sync_directory(parent_of(to), "RENAME"); !s) return s.error();
  if (parent_of(from) != parent_of(to)) {
    if (FsStatus s = sync_directory(parent_of(from), "RENAME"); !s) return s.error();
  }
  return true;
}

FsResult<bool> LocalFileSystem::remove(const std::string& path) {
  forget(path);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return error_from_errno(errno, "DELETE", path);
  }
  if (FsStatus s = sync_directory(parent_of(path), "DELETE"); !s) return s.error();
  return true;
}

void LocalFileSystem::forget(const std::string& path) {
  if (auto it = open_.find(path); it != open_.end()) {
    ::close(it->second);
    open_.erase(it);
  }
}

}  // namespace sluice::sinks::hdfs
