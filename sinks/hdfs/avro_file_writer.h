// Avro object container files of Flume's event schema (serializer = avro_event; file_writers.h
// has the contract of every writer and the flush format).
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

class AvroFileWriter final : public FileWriter {
 public:
  struct Options {
    AvroCodec codec = AvroCodec::null;
    int level = 0;
    size_t sync_interval_bytes = 2'048'000;
    uint64_t seed = 0;
  };
  explicit AvroFileWriter(const Options& options);
  ~AvroFileWriter() override;
  void begin(std::string& out) override;
  void append(std::span<const ringbuf::EventView> events, std::string& out) override;
  void flush(std::string& out) override;
  void finish(std::string& out) override;

  // The current file's sync marker (16 bytes).
  std::string_view sync_marker() const { return {sync_, sizeof sync_}; }

 private:
  class BlockCompressor;
  void write_block(std::string& out);

  Options options_;
  std::unique_ptr<BlockCompressor> compressor_;
  std::string block_;       // serialized events of the open block
  std::string compressed_;  // the block after the codec
  uint64_t block_events_ = 0;
  uint64_t rng_state_ = 0;
  char sync_[16] = {};
};

}  // namespace sluice::sinks::hdfs
