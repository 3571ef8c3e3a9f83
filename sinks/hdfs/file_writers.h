// The bytes of the files the HDFS sink writes, produced incrementally and without I/O: the sink
// sends what a writer appended to its buffer (WebHDFS APPEND, or write(2) for file://) and then
// clears the buffer. One interface, FileWriter (here), and three writers, each in its own file:
//
//  - TextFileWriter (text_file_writer.h): Flume's hdfs.fileType = DataStream with serializer TEXT (the body, then
//    "\n" unless serializer.appendNewline = false), HEADER_AND_TEXT ("{k=v, k2=v2} body\n") or
//    sluice's JSON lines (sinks/common/event_format.h).
//  - AvroFileWriter (avro_file_writer.h): an Avro object container file of Flume's event schema, as Flume's
//    serializer = avro_event writes it (FlumeEventAvroEventSerializer): the record "Event" (no
//    namespace) of headers: map<string> and body: bytes; codecs null, deflate and zstandard
//    (serializer.compressionCodec); blocks of about serializer.syncIntervalBytes.
//  - CompressedFileWriter (compressed_file_writer.h): Flume's hdfs.fileType = CompressedStream: one of the above (TEXT
//  in
//    Flume's default) compressed with hdfs.codeC = gzip or zstd.
//
// Calls, for one file: begin() (the file's header), append() any number of times, flush() at
// every point where the sink wants what it sent to be readable (after each batch), finish() (the
// trailer) when the file is closed. Every call appends to the caller's buffer `out`; the writer
// never looks at what `out` held before, so the sink may clear it after each send. Writers are
// reused across files: begin() starts a new one. Nothing is allocated per event once a writer
// and `out` are warm. Memory is bounded: `out` grows by what the call produces (at most about
// the serialized size of the events passed, plus codec framing); inside, an Avro writer holds
// one block (syncIntervalBytes plus one event) and a compressed stream one chunk
// (compress_chunk_bytes plus one event). Buffers grow to the largest size used and are kept;
// codec state is allocated once per writer: zlib's about 256 KiB, zstd's about 3.6 MiB at level
// 3 (streaming) or 1.3 MiB (Avro blocks). Mind this with many open files.
//
// The flush format: what has been sent after flush() (or finish()) is a complete, readable file,
// and stays one when the process dies before the next flush, once the bytes appended after it are
// cut off (stats().flushed_file_bytes is that length; the recovery that closes a file left open
// truncates to it or, not knowing it, leaves readers to stop at the torn tail):
//  - text: lines; a flush ends on a line boundary.
//  - gzip: every flush ends a gzip member (RFC 1952; header, deflate data, CRC-32, size). A
//    file is a series of members, which gzip/zcat, zlib's gzread, Python's gzip module and
//    Hadoop's GzipCodec all read as one stream. This is what Flume's HDFSCompressedDataStream
//    does (finish() on every sync, resetState() before the next append). A flush with nothing
//    new writes nothing; finish() of a file without any member writes an empty member, so the
//    file is still a valid gzip file.
//  - zstd: every flush ends a zstd frame (with its content checksum); zstd/zstdcat and Hadoop's
//    ZStandardCodec read concatenated frames. Same rules for empty flushes and files.
//  - Avro: every flush ends a block (count, size, data, sync marker); the header (magic,
//    metadata with avro.schema and avro.codec, sync marker) is written by begin(). A file cut
//    after any block is a valid container file; an empty file (begin + finish) has no block.
// Ending members, frames or blocks costs some compression per flush: flush per batch, not per
// event.
//
// Threads: a writer is used by one thread (the sink's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ringbuf/record.h"
#include "sinks/common/event_format.h"

namespace sluice::sinks::hdfs {

// hdfs.fileType. (SequenceFile, Flume's default, is not supported.)
enum class FileType : uint8_t { data_stream, compressed_stream };
// serializer: Flume's TEXT, HEADER_AND_TEXT, AVRO_EVENT, and sluice's JSON lines.
enum class SerializerType : uint8_t { text, header_and_text, json, avro_event };
// hdfs.codeC for CompressedStream.
enum class StreamCodec : uint8_t { gzip, zstd };
// serializer.compressionCodec for avro_event, by the Avro spec's names.
enum class AvroCodec : uint8_t { null, deflate, zstandard };

// "DataStream", "CompressedStream" (any case); "SequenceFile" is refused with a reason.
Result<FileType> parse_file_type(std::string_view name);
// "TEXT", "HEADER_AND_TEXT", "AVRO_EVENT", "JSON" (any case, as Flume's EventSerializerType).
Result<SerializerType> parse_serializer(std::string_view name);
// As Flume matches hdfs.codeC against Hadoop's codec classes: "gzip", "GzipCodec",
// "org.apache.hadoop.io.compress.GzipCodec"; "zstd", "zstandard", "ZStandardCodec",
// "org.apache.hadoop.io.compress.ZStandardCodec" (any case but the class names).
Result<StreamCodec> parse_stream_codec(std::string_view name);
// "null", "deflate", "zstandard" (Avro's names; "zstd" is taken for zstandard too).
Result<AvroCodec> parse_avro_codec(std::string_view name);
std::string_view avro_codec_name(AvroCodec codec);
// The file name extension Hadoop's codec adds (".gz", ".zst"), which Flume appends to the name.
std::string_view stream_codec_extension(StreamCodec codec);

// Flume's event schema as FlumeEventAvroEventSerializer writes it into avro.schema (the text of
// Java's Schema.toString()).
inline constexpr std::string_view kFlumeEventSchema =
    R"({"type":"record","name":"Event","fields":[{"name":"headers","type":{"type":"map","values":"string"}},{"name":"body","type":"bytes"}]})";

struct FileWriterOptions {
  FileType file_type = FileType::data_stream;
  SerializerType serializer = SerializerType::text;
  // serializer.appendNewline (TEXT only): a "\n" after each body.
  bool append_newline = true;
  // serializer.invalidUtf8 (JSON only): what becomes of a body that is not valid UTF-8.
  InvalidUtf8 invalid_utf8 = InvalidUtf8::replace;
  // CompressedStream: hdfs.codeC, and its level (0: the codec's default: gzip 6, as Hadoop's
  // GzipCodec; zstd 3).
  StreamCodec stream_codec = StreamCodec::gzip;
  int stream_level = 0;
  // avro_event: serializer.compressionCodec, and the level (0: deflate 6, zstandard 3, as Java's
  // Avro).
  AvroCodec avro_codec = AvroCodec::null;
  int avro_level = 0;
  // serializer.syncIntervalBytes: a block ends once it holds this many bytes of events
  // (uncompressed), as Java's DataFileWriter; 32 B to 1 GiB. Flume's default: 2048000.
  size_t avro_sync_interval_bytes = 2'048'000;
  // Chunks of serialized events handed to the compressor at once (CompressedStream).
  size_t compress_chunk_bytes = 64 << 10;
  // Seed of the Avro sync markers (a new random marker per file): 0 draws it from
  // std::random_device; anything else gives a fixed sequence (tests).
  uint64_t seed = 0;

  Status validate() const;
};

// What a writer has produced for the current file (since begin()). The sink rolls on these:
// Flume's hdfs.rollSize compares body_bytes, hdfs.rollCount events.
struct FileStats {
  uint64_t events = 0;
  uint64_t body_bytes = 0;           // sum of event bodies (Flume's rollSize measure)
  uint64_t uncompressed_bytes = 0;   // the file's size without compression (Avro: blocks before the codec)
  uint64_t file_bytes = 0;           // bytes appended to `out`: the file's size once all is sent
  uint64_t flushed_file_bytes = 0;   // file_bytes at the last flush() / finish(): a safe cut
  uint64_t flushes = 0;              // flush() calls that ended something (a member, frame or block)
  uint64_t invalid_utf8_events = 0;  // JSON: events written repaired or as base64 (append_line())
};

class FileWriter {
 public:
  virtual ~FileWriter() = default;

  // Starts a new file (also after finish()): resets stats() and appends the file's header.
  virtual void begin(std::string& out) = 0;
  // Appends events. Bytes may stay inside the writer (a compressor's window, a partial Avro
  // block) until flush().
  virtual void append(std::span<const ringbuf::EventView> events, std::string& out) = 0;
  // Appends everything held back and ends a member/frame/block: the file so far is readable.
  virtual void flush(std::string& out) = 0;
  // Flushes and appends the file's trailer. The writer then waits for begin().
  virtual void finish(std::string& out) = 0;

  const FileStats& stats() const { return stats_; }
  // Suffix for the file name: ".gz"/".zst" for CompressedStream (Flume appends the codec's
  // extension), "" otherwise (Flume leaves Avro files to hdfs.fileSuffix).
  virtual std::string_view extension() const { return {}; }

 protected:
  FileStats stats_;
};

// A writer for `options` (which must validate()).
Result<std::unique_ptr<FileWriter>> make_file_writer(const FileWriterOptions& options);

}  // namespace sluice::sinks::hdfs
