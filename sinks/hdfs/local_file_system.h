// file:// for the HDFS sink: the local file system, with the durability WebHDFS gives: create()
// and append() return once the bytes are on disk (fdatasync), and a new or renamed name once
// its directory is synced too, so that a power cut after an acknowledged append loses nothing.
// A file's descriptor stays open between appends until forget().
//
// Threads: the sink's thread only.
#pragma once

#include <string>
#include <unordered_map>

#include "sinks/hdfs/file_system.h"

namespace sluice::sinks::hdfs {

class LocalFileSystem final : public FileSystem {
 public:
  LocalFileSystem() = default;
  ~LocalFileSystem() override;
  LocalFileSystem(const LocalFileSystem&) = delete;
  LocalFileSystem& operator=(const LocalFileSystem&) = delete;

  std::string describe() const override { return "file://"; }
  FsStatus make_directories(const std::string& dir) override;
  FsStatus create(const std::string& path, std::string_view data) override;
  FsStatus append(const std::string& path, std::string_view data) override;
  FsResult<std::optional<uint64_t>> length(const std::string& path) override;
  FsResult<bool> truncate(const std::string& path, uint64_t new_length) override;
  FsResult<bool> rename(const std::string& from, const std::string& to) override;
  FsResult<bool> remove(const std::string& path) override;
  void forget(const std::string& path) override;

 private:
  // The open descriptor of `path` (opened for appending when not cached), or an error.
  FsResult<int> descriptor(const std::string& path, const char* op);

  std::unordered_map<std::string, int> open_;
};

}  // namespace sluice::sinks::hdfs
