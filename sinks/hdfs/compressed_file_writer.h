// CompressedStream files: another writer's output compressed with gzip or zstd, a member or
// frame ended at every flush (file_writers.h has the contract and the flush format).
//
// Threads: a writer is used by one thread (the sink's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ringbuf/record.h"
#include "sinks/hdfs/file_writers.h"

namespace sluice::sinks::hdfs {

class CompressedFileWriter final : public FileWriter {
 public:
  CompressedFileWriter(std::unique_ptr<FileWriter> inner, StreamCodec codec, int level, size_t chunk_bytes);
  ~CompressedFileWriter() override;
  void begin(std::string& out) override;
  void append(std::span<const ringbuf::EventView> events, std::string& out) override;
  void flush(std::string& out) override;
  void finish(std::string& out) override;
  std::string_view extension() const override { return stream_codec_extension(codec_); }

 private:
  class Stream;
  // Compresses and clears scratch_.
  void compress_scratch(std::string& out);
  void end_member(std::string& out);
  void sync_stats(const std::string& out, size_t out_before);

  std::unique_ptr<FileWriter> inner_;
  StreamCodec codec_;
  size_t chunk_bytes_;
  std::unique_ptr<Stream> stream_;
  std::string scratch_;       // serialized by inner_, not compressed yet
  bool member_open_ = false;  // a member/frame has data and no end yet
  uint64_t members_ = 0;      // members/frames in the current file
};

}  // namespace sluice::sinks::hdfs
