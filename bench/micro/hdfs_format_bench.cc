// Micro-benchmarks of the HDFS sink's pure pieces on one core: bucket path expansion (Flume's
// typical `/logs/%{host}/%Y/%m/%d/%H`) and the file writers on 200-byte events. Build Release
// and pin to one core:
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-rel --target hdfs_format_bench
//   taskset -c 1 build-rel/bin/hdfs_format_bench --benchmark_min_time=1 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.h"
#include "ringbuf/record.h"
#include "sinks/hdfs/bucket_path.h"
#include "sinks/hdfs/file_writers.h"

namespace sluice::sinks::hdfs {
namespace {

constexpr size_t kBodyBytes = 200;
constexpr size_t kPoolEvents = 1 << 16;
constexpr int64_t kStartMs = 1'763'700'000'000;  // 2025-11-21

uint64_t next_random(uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return state >> 33;
}

// A readable log line of exactly kBodyBytes, with varying numbers so that compressors do not
// see one line repeated.
std::string body_for(uint64_t i, uint64_t& rng) {
  std::string line =
      "2025-11-21T05:10:00." + std::to_string(i % 1000) + "Z web-frontend-" + std::to_string(i % 16) + " nginx[" +
      std::to_string(1000 + rng % 9000) + "]: GET /api/v1/items?id=" + std::to_string(next_random(rng)) +
      " status=" + (i % 50 == 0 ? "500" : "200") + " bytes=" + std::to_string(next_random(rng) % 100000) +
      " upstream=10.0.4." + std::to_string(next_random(rng) % 255) + ":8080 request_time=0.0" +
      std::to_string(next_random(rng) % 100) + " ua=\"Mozilla/5.0 (X11; Linux x86_64)\"";
  line.resize(kBodyBytes, ' ');
  return line;
}

// Events as the channel holds them: a folded timestamp, host and two syslog headers.
class EventPool {
 public:
  // `step_ms`: time between events; `shuffle`: timestamps out of order over the pool's span.
  EventPool(int64_t step_ms, bool shuffle) {
    uint64_t rng = 12345;
    for (size_t i = 0; i < kPoolEvents; ++i) {
      int64_t ts = kStartMs + static_cast<int64_t>(i) * step_ms;
      if (shuffle) ts = kStartMs + static_cast<int64_t>(next_random(rng) % (kPoolEvents * step_ms));
      const std::string ts_text = std::to_string(ts);
      const std::string host = "web-frontend-" + std::to_string(i % 16) + ".example.com";
      const std::string body = body_for(i, rng);
      ringbuf::Header headers[] = {{"Facility", "16"}, {"Severity", "6"}, {"timestamp", ts_text}, {"host", host}};
      const size_t need = ringbuf::align_record(ringbuf::record_size(headers, body.size()));
      const size_t offset = bytes_.size();
      bytes_.resize(offset + need / 8);
      ringbuf::encode_record(std::span(reinterpret_cast<std::byte*>(bytes_.data() + offset), need), i, ts, headers,
                             body);
      offsets_.push_back(offset);
    }
    for (size_t offset : offsets_) views_.emplace_back(reinterpret_cast<const std::byte*>(bytes_.data() + offset));
  }
  const std::vector<ringbuf::EventView>& views() const { return views_; }

 private:
  std::vector<uint64_t> bytes_;
  std::vector<size_t> offsets_;
  std::vector<ringbuf::EventView> views_;
};

// --- bucket paths ---------------------------------------------------------------------------

enum PathCase : int64_t { utc, new_york, new_york_round, local_stamp, shuffled };

void BM_BucketPath(benchmark::State& state) {
  const auto which = static_cast<PathCase>(state.range(0));
  // 55 ms apart: the pool spans an hour; shuffled: a random order over 24 days.
  const EventPool pool(which == shuffled ? 31'000 : 55, which == shuffled);
  BucketPathOptions o;
  o.time_zone = which == utc ? "UTC" : "America/New_York";
  o.use_local_time_stamp = which == local_stamp;
  if (which == new_york_round) {
    o.round_unit = RoundUnit::minute;
    o.round_value = 10;
  }
  auto compiled = BucketPath::compile("/logs/%{host}/%Y/%m/%d/%H", o);
  SLUICE_ASSERT(compiled.ok(), "benchmark template does not compile");
  BucketPath path = std::move(compiled).value();
  std::string out;
  out.reserve(256);
  size_t i = 0;
  int64_t now_ms = kStartMs;
  for (auto _ : state) {
    const PathErrc rc = path.format(pool.views()[i], now_ms, out);
    benchmark::DoNotOptimize(rc);
    benchmark::DoNotOptimize(out.data());
    i = (i + 1) & (kPoolEvents - 1);
    now_ms += 1;
  }
  SLUICE_ASSERT(out.starts_with("/logs/web-frontend-"), "benchmark path did not expand");
  static constexpr const char* kLabels[] = {"UTC", "America/New_York", "New_York round=10min",
                                            "New_York useLocalTimeStamp", "New_York shuffled over 24 days"};
  state.SetLabel(kLabels[which]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BucketPath)->Arg(utc)->Arg(new_york)->Arg(new_york_round)->Arg(local_stamp)->Arg(shuffled);

// --- file writers ---------------------------------------------------------------------------

enum WriterCase : int64_t { text, json, gzip, zstd, avro_null, avro_deflate, avro_zstandard, avro_gzip };

FileWriterOptions writer_options(WriterCase which) {
  FileWriterOptions o;
  switch (which) {
    case text: break;
    case json: o.serializer = SerializerType::json; break;
    case gzip:
      o.file_type = FileType::compressed_stream;
      o.stream_codec = StreamCodec::gzip;
      break;
    case zstd:
      o.file_type = FileType::compressed_stream;
      o.stream_codec = StreamCodec::zstd;
      break;
    case avro_null: o.serializer = SerializerType::avro_event; break;
    case avro_deflate:
      o.serializer = SerializerType::avro_event;
      o.avro_codec = AvroCodec::deflate;
      break;
    case avro_zstandard:
      o.serializer = SerializerType::avro_event;
      o.avro_codec = AvroCodec::zstandard;
      break;
    case avro_gzip:
      o.serializer = SerializerType::avro_event;
      o.file_type = FileType::compressed_stream;
      break;
  }
  return o;
}

// One batch of state.range(1) events appended and flushed per iteration, as the sink does per
// channel batch; a new file every 256 batches.
void BM_FileWriter(benchmark::State& state) {
  const auto which = static_cast<WriterCase>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  const EventPool pool(1, false);
  auto made = make_file_writer(writer_options(which));
  SLUICE_ASSERT(made.ok(), "benchmark writer options are invalid");
  std::unique_ptr<FileWriter> writer = std::move(made).value();
  std::string out;
  out.reserve(4 << 20);
  writer->begin(out);
  size_t i = 0, batches = 0;
  uint64_t file_bytes = 0, uncompressed_bytes = 0;
  for (auto _ : state) {
    out.clear();
    writer->append(std::span(pool.views()).subspan(i, batch), out);
    writer->flush(out);
    benchmark::DoNotOptimize(out.data());
    i = (i + batch) % (kPoolEvents - batch);
    if (++batches % 256 == 0) {
      file_bytes += writer->stats().file_bytes;
      uncompressed_bytes += writer->stats().uncompressed_bytes;
      writer->finish(out);
      out.clear();
      writer->begin(out);
    }
  }
  file_bytes += writer->stats().file_bytes;
  uncompressed_bytes += writer->stats().uncompressed_bytes;
  static constexpr const char* kLabels[] = {
      "DataStream TEXT", "DataStream JSON",    "CompressedStream gzip", "CompressedStream zstd",
      "avro_event null", "avro_event deflate", "avro_event zstandard",  "CompressedStream gzip of avro_event"};
  state.SetLabel(kLabels[which]);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch * kBodyBytes));
  state.counters["ratio"] = uncompressed_bytes == 0 ? 0.0 : static_cast<double>(file_bytes) / uncompressed_bytes;
}
BENCHMARK(BM_FileWriter)
    ->ArgsProduct({{text, json, gzip, zstd, avro_null, avro_deflate, avro_zstandard, avro_gzip}, {1000}})
    ->Args({gzip, 10})
    ->Args({zstd, 10})
    ->Args({avro_deflate, 10});

}  // namespace
}  // namespace sluice::sinks::hdfs

BENCHMARK_MAIN();
