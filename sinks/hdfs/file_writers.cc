#include "sinks/hdfs/file_writers.h"

#include <zstd.h>

#include <fmt/format.h>

#include "base/ascii.h"
#include "base/assert.h"
#include "sinks/hdfs/avro_file_writer.h"
#include "sinks/hdfs/compressed_file_writer.h"
#include "sinks/hdfs/text_file_writer.h"

namespace sluice::sinks::hdfs {

Result<FileType> parse_file_type(std::string_view name) {
  if (base::equals_ignoring_case(name, "DataStream")) return FileType::data_stream;
  if (base::equals_ignoring_case(name, "CompressedStream")) return FileType::compressed_stream;
  if (base::equals_ignoring_case(name, "SequenceFile"))
    return make_error(
        "hdfs.fileType SequenceFile is not supported: use DataStream (text or avro_event) or "
        "CompressedStream");
  return make_error(fmt::format("unknown hdfs.fileType \"{}\" (expected DataStream or CompressedStream)", name));
}

Result<SerializerType> parse_serializer(std::string_view name) {
  if (base::equals_ignoring_case(name, "TEXT")) return SerializerType::text;
  if (base::equals_ignoring_case(name, "HEADER_AND_TEXT")) return SerializerType::header_and_text;
  if (base::equals_ignoring_case(name, "AVRO_EVENT")) return SerializerType::avro_event;
  if (base::equals_ignoring_case(name, "JSON")) return SerializerType::json;
  return make_error(
      fmt::format("unknown serializer \"{}\" (expected TEXT, HEADER_AND_TEXT, AVRO_EVENT or JSON; "
                  "serializer classes are not supported)",
                  name));
}

Result<StreamCodec> parse_stream_codec(std::string_view name) {
  for (std::string_view n : {"gzip", "GzipCodec", "org.apache.hadoop.io.compress.GzipCodec"})
    if (base::equals_ignoring_case(name, n)) return StreamCodec::gzip;
  for (std::string_view n : {"zstd", "zstandard", "ZStandardCodec", "org.apache.hadoop.io.compress.ZStandardCodec"})
    if (base::equals_ignoring_case(name, n)) return StreamCodec::zstd;
  return make_error(fmt::format("unsupported hdfs.codeC \"{}\" (supported: gzip, zstd)", name));
}

Result<AvroCodec> parse_avro_codec(std::string_view name) {
  if (base::equals_ignoring_case(name, "null")) return AvroCodec::null;
  if (base::equals_ignoring_case(name, "deflate")) return AvroCodec::deflate;
  if (base::equals_ignoring_case(name, "zstandard") || base::equals_ignoring_case(name, "zstd"))
    return AvroCodec::zstandard;
  return make_error(fmt::format("unsupported Avro codec \"{}\" (supported: null, deflate, zstandard)", name));
}

std::string_view avro_codec_name(AvroCodec codec) {
  switch (codec) {
    case AvroCodec::null: return "null";
    case AvroCodec::deflate: return "deflate";
    case AvroCodec::zstandard: return "zstandard";
  }
  return "null";
}

std::string_view stream_codec_extension(StreamCodec codec) { return codec == StreamCodec::gzip ? ".gz" : ".zst"; }

Status FileWriterOptions::validate() const {
  if (file_type == FileType::compressed_stream) {
    const bool gzip = stream_codec == StreamCodec::gzip;
    const int max = gzip ? 9 : ZSTD_maxCLevel();
    const int min = gzip ? 0 : -7;
    if (stream_level < min || stream_level > max)
      return make_error(fmt::format("{} level {} out of range ({} to {}; 0: default)", gzip ? "gzip" : "zstd",
                                    stream_level, min, max));
    if (compress_chunk_bytes < 4096 || compress_chunk_bytes > (size_t{16} << 20))
      return make_error("compress_chunk_bytes must be 4 KiB to 16 MiB");
  }
  if (serializer == SerializerType::avro_event) {
    if (avro_sync_interval_bytes < 32 || avro_sync_interval_bytes > (size_t{1} << 30))
      return make_error(fmt::format("syncIntervalBytes {} out of range (32 to 1073741824)", avro_sync_interval_bytes));
    if (avro_codec == AvroCodec::deflate && (avro_level < 0 || avro_level > 9))
      return make_error(fmt::format("deflate level {} out of range (1 to 9; 0: default)", avro_level));
    if (avro_codec == AvroCodec::zstandard && (avro_level < -7 || avro_level > ZSTD_maxCLevel()))
      return make_error(
          fmt::format("zstandard level {} out of range (-7 to {}; 0: default)", avro_level, ZSTD_maxCLevel()));
  }
  return {};
}

Result<std::unique_ptr<FileWriter>> make_file_writer(const FileWriterOptions& options) {
  Status valid = options.validate();
  if (!valid) return make_error(valid.message());
  std::unique_ptr<FileWriter> writer;
  switch (options.serializer) {
    case SerializerType::text:
      writer = std::make_unique<TextFileWriter>(LineFormat::text, options.append_newline);
      break;
    case SerializerType::header_and_text:
      writer = std::make_unique<TextFileWriter>(LineFormat::header_and_text, true);
      break;
    case SerializerType::json:
      writer = std::make_unique<TextFileWriter>(LineFormat::json, true, options.invalid_utf8);
      break;
    case SerializerType::avro_event:
      writer = std::make_unique<AvroFileWriter>(AvroFileWriter::Options{
          options.avro_codec, options.avro_level, options.avro_sync_interval_bytes, options.seed});
      break;
  }
  if (options.file_type == FileType::compressed_stream)
    writer = std::make_unique<CompressedFileWriter>(std::move(writer), options.stream_codec, options.stream_level,
                                                    options.compress_chunk_bytes);
  return writer;
}

}  // namespace sluice::sinks::hdfs
