// file:// for the HDFS sink: the local file system, with the durability WebHDFS gives: create()
// and append() return once the bytes are on disk (fdatasync), and a new or renamed name once
// its directory is synced too, so that a power cut after an acknowledged append loses nothing.
// A file's descriptors stay open between appends until forget().
//
// Whole 4 KiB blocks are written with O_DIRECT from an aligned staging buffer: the disk gets
// them without the kernel copying every byte into the page cache first (that copy was half of
// the sink thread's time, and page-cache writes run at a fraction of the disk's bandwidth on
// the machines measured in docs/BENCHMARKS.md). The last partial block goes through the page
// cache and is written again, whole, by the next append. Where O_DIRECT is refused (tmpfs,
// some network file systems) everything goes through the page cache.
//
// Threads: the sink's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
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
  static constexpr size_t kBlock = 4096;  // O_DIRECT's alignment for offsets, lengths and memory

  struct OpenFile {
    int buffered_fd = -1;  // reads, the partial last block, fdatasync
    int direct_fd = -1;    // whole blocks; -1 where the file system refuses O_DIRECT
    uint64_t size = 0;     // the file's length
    std::string tail;      // its last size % kBlock bytes (what the next append rewrites)
  };

  // The open state of `path` (opened when not cached, its tail read back), or an error.
  FsResult<OpenFile*> open_file(const std::string& path, const char* op);
  // Opens the O_DIRECT descriptor of `path`; -1 when the file system refuses O_DIRECT.
  int open_direct(const std::string& path) const;
  // Writes `data` at the end of `f` and makes it durable; on failure `path` is forgotten
  // (its state is unknown: the next use reads it back).
  FsStatus write_durably(OpenFile& f, std::string_view data, const char* op, const std::string& path);
  // The staging buffer, at least `bytes` long (aligned to kBlock).
  std::byte* staging(size_t bytes);

  std::unordered_map<std::string, OpenFile> open_;
  bool direct_refused_ = false;  // a write with O_DIRECT failed: no more O_DIRECT
  std::byte* staging_ = nullptr;
  size_t staging_bytes_ = 0;
};

}  // namespace sluice::sinks::hdfs
