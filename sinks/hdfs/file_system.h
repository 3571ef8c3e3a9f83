// The file systems the HDFS sink writes to, behind one small interface: WebHDFS (a name node's
// REST API, webhdfs_file_system.h) and the local file system (file://, local_file_system.h).
// The sink needs only what Flume's BucketWriter does — make directories, create a file, append
// to it, rename it when it is closed — plus what crash recovery needs: a file's length and a cut
// back to a length (TRUNCATE).
//
// Every call blocks until the file system answered, up to the implementation's call timeout,
// and returns an FsError value on failure; nothing throws. What "done" means:
//  - append() returning ok means the bytes are durable as far as the file system promises:
//    WebHDFS answered 200 (the data node closed its HDFS output stream), or file:// wrote and
//    fdatasync'd them. The sink commits its channel only over appended bytes.
//  - A failed append() may have stored any prefix of the bytes (WebHDFS keeps what reached the
//    data node before the connection broke): the caller asks length() and truncate()s back.
//
// Paths are absolute, '/'-separated, without the scheme and authority ("/logs/2026/a.tmp").
//
// Threads: an implementation is used by one thread (the sink's).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace sluice::sinks::hdfs {

// Why a call failed, in kinds the sink reacts to differently and counts apart.
enum class FsErrorKind : uint8_t {
  connect,         // no connection (refused, unreachable, DNS)
  timeout,         // no answer within the call timeout
  io,              // the connection broke mid-call, or a local I/O error (EIO, ENOSPC...)
  not_found,       // the path (or its parent) does not exist
  already_exists,  // create() of an existing path
  denied,          // permissions, authentication
  remote,          // any other RemoteException from the name or data node
  protocol,        // an answer that is not what the WebHDFS API says (a proxy's page...)
  unsupported,     // the file system does not have the operation (TRUNCATE before Hadoop 2.7)
};
std::string_view fs_error_kind_name(FsErrorKind kind);

struct FsError {
  FsErrorKind kind = FsErrorKind::io;
  // For the log: what was done, to which path, and what the file system said, e.g.
  // "APPEND /logs/a.tmp: 403 AccessControlException: Permission denied: user=bob, ...".
  std::string message;
  // WebHDFS: the RemoteException's "exception" ("RetriableException"); empty otherwise.
  std::string exception;
  int http_status = 0;  // WebHDFS: the HTTP status, 0 when there was no answer
};

// A value or an FsError (Result<T> of base/ carries a message only).
template <typename T>
class [[nodiscard]] FsResult {
 public:
  FsResult(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  FsResult(FsError error) : state_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  const T& value() const {
    SLUICE_ASSERT(ok(), "FsResult::value() on an error");
    return std::get<T>(state_);
  }
  const FsError& error() const {
    SLUICE_ASSERT(!ok(), "FsResult::error() on a value");
    return std::get<FsError>(state_);
  }

 private:
  std::variant<T, FsError> state_;
};

class [[nodiscard]] FsStatus {
 public:
  FsStatus() = default;
  FsStatus(FsError error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const FsError& error() const {
    SLUICE_ASSERT(!ok(), "FsStatus::error() on success");
    return *error_;
  }

 private:
  std::optional<FsError> error_;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // "webhdfs://namenode:9870" or "file://", for messages.
  virtual std::string describe() const = 0;

  // Makes `dir` and its missing parents; ok when it exists already.
  virtual FsStatus make_directories(const std::string& dir) = 0;
  // Creates `path` holding `data` (may be empty). Fails with already_exists when the path
  // exists; the parent directory must exist (not_found otherwise). Durable like append().
  virtual FsStatus create(const std::string& path, std::string_view data) = 0;
  // Appends `data` to the existing file `path` (see the top of this file for what ok means).
  virtual FsStatus append(const std::string& path, std::string_view data) = 0;
  // The file's length, or nullopt when no file is there.
  virtual FsResult<std::optional<uint64_t>> length(const std::string& path) = 0;
  // Cuts `path` back to `new_length` bytes (no longer than it is). True when done at once;
  // false when HDFS must first recover the last block (call length() until it reports
  // new_length, before appending again).
  virtual FsResult<bool> truncate(const std::string& path, uint64_t new_length) = 0;
  // Renames `from` to `to`. False (not an error) when `from` is missing or `to` exists, as
  // HDFS's rename answers; the parent of `to` must exist.
  virtual FsResult<bool> rename(const std::string& from, const std::string& to) = 0;
  // Removes the file `path`; false when it was not there.
  virtual FsResult<bool> remove(const std::string& path) = 0;
  // The sink is done with `path` for now (file://: close its descriptor). Never fails.
  virtual void forget(const std::string& path) { (void)path; }
};

}  // namespace sluice::sinks::hdfs
