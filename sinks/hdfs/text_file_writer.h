// DataStream files of text lines: TEXT, HEADER_AND_TEXT or JSON (file_writers.h has the
// contract of every writer).
//
// Threads: a writer is used by one thread (the sink's).
#pragma once

#include <span>
#include <string>

#include "ringbuf/record.h"
#include "sinks/common/event_format.h"
#include "sinks/hdfs/file_writers.h"

namespace sluice::sinks::hdfs {

class TextFileWriter final : public FileWriter {
 public:
  TextFileWriter(LineFormat format, bool append_newline, InvalidUtf8 invalid_utf8 = InvalidUtf8::replace);
  void begin(std::string& out) override;
  void append(std::span<const ringbuf::EventView> events, std::string& out) override;
  void flush(std::string& out) override;
  void finish(std::string& out) override;

 private:
  LineFormat format_;
  bool append_newline_;
  InvalidUtf8 invalid_utf8_;
};

}  // namespace sluice::sinks::hdfs
