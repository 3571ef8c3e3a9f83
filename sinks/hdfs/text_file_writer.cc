#include "sinks/hdfs/text_file_writer.h"

namespace sluice::sinks::hdfs {

TextFileWriter::TextFileWriter(LineFormat format, bool append_newline, InvalidUtf8 invalid_utf8)
    : format_(format), append_newline_(append_newline), invalid_utf8_(invalid_utf8) {}

void TextFileWriter::begin(std::string& out) { stats_ = {}; }

void TextFileWriter::append(std::span<const ringbuf::EventView> events, std::string& out) {
  const size_t before = out.size();
  for (const auto& event : events) {
    if (format_ == LineFormat::text) {
      out += event.body();
      if (append_newline_) out += '\n';
    } else {
      if (append_line(out, event, format_, invalid_utf8_)) ++stats_.invalid_utf8_events;
    }
    stats_.body_bytes += event.body().size();
  }
  stats_.events += events.size();
  stats_.uncompressed_bytes += out.size() - before;
  stats_.file_bytes += out.size() - before;
}

void TextFileWriter::flush(std::string& out) {
  if (stats_.flushed_file_bytes != stats_.file_bytes) ++stats_.flushes;
  stats_.flushed_file_bytes = stats_.file_bytes;
}

void TextFileWriter::finish(std::string& out) { flush(out); }

}  // namespace sluice::sinks::hdfs
