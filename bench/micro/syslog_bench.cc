// Micro-benchmarks of the syslog path on one core: parsing, parse + event building + append into
// a memory channel log, and TCP framing. Build Release and pin to one core:
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-rel --target syslog_bench
//   taskset -c 1 build-rel/bin/syslog_bench --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.h"
#include "base/time.h"
#include "protocols/syslog/syslog_event.h"
#include "protocols/syslog/syslog_parser.h"
#include "protocols/syslog/tcp_framer.h"
#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "ringbuf/segment_store.h"

namespace sluice::syslog {
namespace {

constexpr size_t kMessageBytes = 200;

// Pads `head` with a readable tail to exactly kMessageBytes.
std::string sized(std::string head) {
  SLUICE_ASSERT(head.size() <= kMessageBytes, "benchmark message head too long");
  static constexpr std::string_view kFiller = " request completed status=200 bytes=1532 upstream=10.0.4.17:8080";
  while (head.size() < kMessageBytes) head += kFiller.substr(0, kMessageBytes - head.size());
  return head;
}

// What loggen -P and rsyslog's RFC 5424 template send: offset, microseconds, SD, BOM.
const std::string kRfc5424 = sized(
    "<165>1 2026-11-21T05:10:00.123456+01:00 web-frontend-01.example.com nginx 12345 ACCESS "
    "[meta@32473 seq=\"1\" tz=\"CET\"] \xEF\xBB\xBF"
    "GET /api/v1/items?id=42");
// The BSD form of logger --rfc3164 and syslog-ng: local time, no year.
const std::string kRfc3164 =
    sized("<38>Nov 21 05:10:00 web-frontend-01 sshd[12345]: Accepted publickey for deploy from 192.0.2.10 port 52341");

const std::string& message_for(int64_t kind) { return kind == 0 ? kRfc5424 : kRfc3164; }
const char* label_for(int64_t kind) { return kind == 0 ? "rfc5424" : "rfc3164"; }

// Local-time stamps go through the offset cache: pin the zone so runs are comparable.
void pin_timezone() {
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
}

void BM_Parse(benchmark::State& state) {
  pin_timezone();
  const std::string& raw = message_for(state.range(0));
  SyslogParser parser;
  SyslogMessage msg;
  parser.set_now(base::realtime_ms());
  for (auto _ : state) {
    parser.parse(raw, msg);
    benchmark::DoNotOptimize(msg);
  }
  SLUICE_ASSERT(msg.has_timestamp && !msg.app_name.empty(), "benchmark message did not parse");
  state.SetLabel(label_for(state.range(0)));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw.size()));
}
BENCHMARK(BM_Parse)->Arg(0)->Arg(1);

// A memory channel with one reader that the benchmark thread drains itself every
// kDrainEvents events, so the log never fills. The reader's cost (it checks every record's CRC)
// is part of the measurement.
class DrainedLog {
 public:
  static constexpr size_t kDrainEvents = 4096;

  DrainedLog() {
    ringbuf::LogOptions options;
    options.capacity_bytes = 64ull << 20;
    log_ = std::make_unique<ringbuf::Log>(options, std::make_unique<ringbuf::MemorySegmentStore>(8u << 20), &bell_);
    views_.reserve(kDrainEvents);
  }

  bool append(const ringbuf::PreparedEvent& event) {
    ringbuf::Log* logs[] = {log_.get()};
    if (!ringbuf::append_event(logs, event)) return false;
    if (++since_drain_ == kDrainEvents) drain();
    return true;
  }

  void drain() {
    log_->publish();
    views_.clear();
    auto& reader = log_->reader(0);
    reader.read(views_, SIZE_MAX, SIZE_MAX);
    reader.commit();
    // What the shard's timer does: hand passed segments back to the store's spares. Without
    // it the log only releases segments when its slot table is full, and every roll maps (and
    // page-faults) a fresh segment.
    log_->maintain();
    since_drain_ = 0;
  }

 private:
  ringbuf::Doorbell bell_;
  std::unique_ptr<ringbuf::Log> log_;
  std::vector<ringbuf::EventView> views_;
  size_t since_drain_ = 0;
};

void BM_ParseBuildAppend(benchmark::State& state) {
  pin_timezone();
  const std::string& raw = message_for(state.range(0));
  SyslogParser parser;
  SyslogMessage msg;
  EventOptions options;
  options.client_ip_header = state.range(1) ? "clientIp" : "";
  SyslogEventBuilder builder(options);
  DrainedLog log;
  const int64_t now_ms = base::realtime_ms();
  parser.set_now(now_ms);
  for (auto _ : state) {
    parser.parse(raw, msg);
    const auto event = builder.build(msg, false, now_ms, "192.0.2.10");
    if (!log.append(event)) {
      state.SkipWithError("log refused an append");
      break;
    }
  }
  state.SetLabel(std::string(label_for(state.range(0))) + (state.range(1) ? "+clientIp" : ""));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw.size()));
}
BENCHMARK(BM_ParseBuildAppend)->Args({0, 0})->Args({1, 0})->Args({0, 1});

constexpr size_t kChunkBytes = 64 * 1024;

// A 64 KiB receive buffer of whole frames: LF-terminated (0), octet-counted (1), or alternating.
std::string make_chunk(int64_t framing, size_t& frames) {
  std::string chunk;
  frames = 0;
  for (;;) {
    const std::string& msg = frames % 2 == 0 ? kRfc5424 : kRfc3164;
    const bool octet = framing == 1 || (framing == 2 && frames % 2 == 1);
    const std::string frame = octet ? std::to_string(msg.size()) + " " + msg : msg + "\n";
    if (chunk.size() + frame.size() > kChunkBytes) break;
    chunk += frame;
    ++frames;
  }
  return chunk;
}

const char* framing_label(int64_t framing) { return framing == 0 ? "lf" : framing == 1 ? "octet" : "mixed"; }

void BM_Framer(benchmark::State& state) {
  size_t frames_per_chunk = 0;
  const std::string chunk = make_chunk(state.range(0), frames_per_chunk);
  TcpFramer framer(8192);
  size_t frame_bytes = 0;
  for (auto _ : state) {
    const auto r = framer.feed(chunk, [&](std::string_view frame, bool) {
      frame_bytes += frame.size();
      return true;
    });
    benchmark::DoNotOptimize(r);
  }
  benchmark::DoNotOptimize(frame_bytes);
  state.SetLabel(framing_label(state.range(0)));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(frames_per_chunk));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(chunk.size()));
}
BENCHMARK(BM_Framer)->Arg(0)->Arg(1)->Arg(2);

// What a TCP syslog connection does per receive buffer: frame, parse, build, append.
void BM_FrameParseBuildAppend(benchmark::State& state) {
  pin_timezone();
  size_t frames_per_chunk = 0;
  const std::string chunk = make_chunk(state.range(0), frames_per_chunk);
  TcpFramer framer(8192);
  SyslogParser parser;
  SyslogMessage msg;
  SyslogEventBuilder builder(EventOptions{});
  DrainedLog log;
  const int64_t now_ms = base::realtime_ms();
  parser.set_now(now_ms);
  for (auto _ : state) {
    const auto r = framer.feed(chunk, [&](std::string_view frame, bool truncated) {
      parser.parse(frame, msg);
      return log.append(builder.build(msg, truncated, now_ms, {}));
    });
    if (r.status != TcpFramer::Status::ok) {
      state.SkipWithError("framer did not consume the chunk");
      break;
    }
  }
  state.SetLabel(framing_label(state.range(0)));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(frames_per_chunk));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(chunk.size()));
}
BENCHMARK(BM_FrameParseBuildAppend)->Arg(0)->Arg(2);

}  // namespace
}  // namespace sluice::syslog

BENCHMARK_MAIN();
