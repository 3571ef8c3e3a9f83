// Flume's `file_roll` sink: events as lines in files under one directory, a new file every roll
// interval. Files are opened lazily (no empty files while idle) and named like Flume's:
// <prefix><start-ms>-<n>[.<extension>]. A batch counts as delivered once write(2) returned,
// i.e. it is in the page cache and survives a crash of sluice. A batch that fails half-way (disk
// full) is cut off the file again before it is retried, so a file never holds a torn line or a
// duplicate. Sink thread only (collect() may run on the admin thread).
#pragma once

#include <cstdint>
#include <string>

#include "base/counter.h"
#include "sinks/common/event_format.h"
#include "sinks/common/sink.h"
#include "sinks/file_roll/file_roll_sink_probe.h"

namespace sluice::sinks::file_roll {

struct FileRollOptions {
  std::string name;
  std::string directory;
  int64_t roll_interval_ms = 30'000;  // 0: never roll
  LineFormat format = LineFormat::text;
  InvalidUtf8 invalid_utf8 = InvalidUtf8::replace;  // JSON only: sink.serializer.invalidUtf8
  std::string prefix;
  std::string extension;
};

class FileRollSink final : public Sink {
 public:
  explicit FileRollSink(FileRollOptions options);
  ~FileRollSink() override;

  Status open() override;
  Delivery deliver(std::span<const ringbuf::EventView> events) override;
  void tick(int64_t now_ms) override;
  int64_t tick_interval_ms() const override { return 250; }
  void close() override;
  void collect(base::MetricsWriter& out, const base::Labels& labels) const override;

  // The file being written now ("" when none is open).
  const std::string& current_path() const { return current_path_; }
  // The path of the index-th file of this run (1-based), as the sink names it.
  std::string file_path(uint64_t index) const;

 private:
  Status open_next_file();
  Status write_buffer();
  Delivery failed(const Status& status);
  void close_file();

  const FileRollOptions options_;
  int64_t series_ms_ = 0;
  uint64_t file_index_ = 0;
  int fd_ = -1;
  uint64_t file_bytes_ = 0;  // size of the current file after its last delivered batch
  std::string current_path_;
  int64_t next_roll_ms_ = 0;
  std::string buffer_;
  FileRollSinkProbe probe_;
};

}  // namespace sluice::sinks::file_roll
