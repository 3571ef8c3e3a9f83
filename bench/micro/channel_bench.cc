// Appending 200-byte syslog events into one shard's log: the memory channel against the file
// channel in os mode (target: os at least 80% of memory), and the file channel's fsync costs:
// an fdatasync per event against one per group of appends (what group commit does).
//
// Every benchmark reads back and commits what it appends (on the same thread, every few
// thousand events), so the log never fills and the reader's CRC checks are part of the cost.
// File benchmarks write under $SLUICE_BENCH_DIR (default /var/tmp): put it on the disk to be
// measured.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ringbuf/append.h"
#include "ringbuf/file_segment_store.h"
#include "ringbuf/log.h"
#include "ringbuf/segment_store.h"

namespace {

using namespace sluice::ringbuf;
namespace fs = std::filesystem;

constexpr size_t kBodyBytes = 200;
constexpr uint64_t kDrainEvery = 4096;

std::string bench_directory(const char* name) {
  const char* base = std::getenv("SLUICE_BENCH_DIR");
  fs::path dir = fs::path(base ? base : "/var/tmp") /
                 (std::string("sluice-channel-bench-") + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  return dir.string();
}

struct Fixture {
  Doorbell bell;
  std::unique_ptr<Log> log;
  FileSegmentStore* store = nullptr;
  std::string dir;
  std::string body = std::string(kBodyBytes, 'x');
  Header headers[5] = {{"Facility", "1", WellKnownKey::facility},
                       {"Severity", "5", WellKnownKey::severity},
                       {"timestamp", "1795239201702", WellKnownKey::timestamp},
                       {"host", "web-17.example.net", WellKnownKey::host},
                       {"syslog.appname", "nginx", WellKnownKey::syslog_appname}};
  std::vector<EventView> views;

  explicit Fixture(bool file, const char* name) {
    LogOptions o;
    o.readers = 1;
    if (!file) {
      o.capacity_bytes = 256ull << 20;
      log = std::make_unique<Log>(o, std::make_unique<MemorySegmentStore>(4u << 20), &bell);
      return;
    }
    dir = bench_directory(name);
    FileStoreOptions fo;
    fo.directory = dir;
    fo.segment_bytes = 64u << 20;
    fo.description = "bench";
    LogStart start;
    RecoveryReport report;
    auto opened = FileSegmentStore::open(fo, {"k1"}, start, report);
    if (!opened.ok()) std::abort();
    store = opened.value().get();
    o.capacity_bytes = 1ull << 30;
    log = std::make_unique<Log>(o, std::move(opened).value(), &bell, start);
    views.reserve(kDrainEvery);
  }
  ~Fixture() {
    log.reset();
    if (!dir.empty()) fs::remove_all(dir);
  }

  bool append() {
    Log* logs[] = {log.get()};
    return append_event(logs, {.timestamp_ms = 1795239201702, .headers = headers, .body = body});
  }
  void drain() {
    log->publish();
    views.clear();
    log->reader(0).read(views, SIZE_MAX, SIZE_MAX);
    benchmark::DoNotOptimize(views.data());
    log->reader(0).commit();
    log->maintain();
  }
  void sync() {
    int fd = store->segment_fd(log->segment_of(log->write_position()));
    if (fd >= 0) fdatasync(fd);
  }
};

// bytes_per_second counts bodies; stored_per_second whole records (headers, record header,
// alignment): what goes to the disk, to hold against its bandwidth.
void report(benchmark::State& state, const Fixture& f) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kBodyBytes);
  const double record_bytes = static_cast<double>(align_record(record_size(f.headers, kBodyBytes)));
  state.counters["stored_per_second"] = benchmark::Counter(static_cast<double>(state.iterations()) * record_bytes,
                                                           benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
}

void BM_AppendMemory(benchmark::State& state) {
  Fixture f(false, "memory");
  uint64_t n = 0;
  for (auto _ : state) {
    if (!f.append()) state.SkipWithError("log full");
    if (++n % kDrainEvery == 0) f.drain();
  }
  report(state, f);
}
BENCHMARK(BM_AppendMemory);

void BM_AppendFileOs(benchmark::State& state) {
  Fixture f(true, "os");
  uint64_t n = 0;
  for (auto _ : state) {
    if (!f.append()) state.SkipWithError("log full");
    if (++n % kDrainEvery == 0) f.drain();
  }
  report(state, f);
}
BENCHMARK(BM_AppendFileOs);

// Flume's file channel way: every event made durable on its own.
void BM_AppendFileFsyncEachEvent(benchmark::State& state) {
  Fixture f(true, "fsync-each");
  uint64_t n = 0;
  for (auto _ : state) {
    if (!f.append()) state.SkipWithError("log full");
    f.sync();
    if (++n % kDrainEvery == 0) f.drain();
  }
  report(state, f);
}
BENCHMARK(BM_AppendFileFsyncEachEvent)->UseRealTime();

// Group commit: one fdatasync for every state.range(0) bytes appended.
void BM_AppendFileGroupCommit(benchmark::State& state) {
  Fixture f(true, "group");
  const uint64_t group_bytes = static_cast<uint64_t>(state.range(0));
  uint64_t n = 0;
  uint64_t since_sync = 0;
  for (auto _ : state) {
    if (!f.append()) state.SkipWithError("log full");
    since_sync += kBodyBytes + 100;
    if (since_sync >= group_bytes) {
      f.sync();
      since_sync = 0;
    }
    if (++n % kDrainEvery == 0) f.drain();
  }
  report(state, f);
}
BENCHMARK(BM_AppendFileGroupCommit)->Arg(1 << 20)->Arg(4 << 20)->Arg(16 << 20)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
