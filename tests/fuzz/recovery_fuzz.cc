// libFuzzer target: the file channel's recovery (ringbuf/file_segment_store.h, public API only)
// from a fuzzed segment file and checkpoint. Input: 2 bytes little-endian = checkpoint length,
// then the checkpoint bytes, then the segment file (seg-00000000000000000000.wal). Recovery may
// refuse the directory with an error; it must never abort. Single-threaded.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "ringbuf/file_segment_store.h"
#include "ringbuf/record.h"
#include "ringbuf/segment_file.h"

namespace fs = std::filesystem;
using namespace sluice::ringbuf;

static void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

constexpr uint32_t kSegmentBytes = 4096;

// `recovery_fuzz -write_seed=` is not a libFuzzer flag: with SLUICE_FUZZ_WRITE_SEED=FILE in the
// environment the binary writes a valid input (a checkpoint for two readers and a segment of
// three records) to FILE and exits; that is how tests/fuzz/corpus/recovery was made.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* seed_path = std::getenv("SLUICE_FUZZ_WRITE_SEED");
  if (!seed_path) return 0;
  std::string checkpoint(2 * kCheckpointSlotBytes, '\0');
  Checkpoint cp;
  cp.generation = 1;
  cp.entries = {{"sink-a", kSegmentHeaderBytes, 1}, {"sink-b", kSegmentHeaderBytes, 1}};
  encode_checkpoint_slot(cp, reinterpret_cast<std::byte*>(checkpoint.data()) + checkpoint_slot_offset(1));
  std::string segment(kSegmentBytes, '\0');
  auto* seg = reinterpret_cast<std::byte*>(segment.data());
  SegmentHeader header;
  header.segment_bytes = kSegmentBytes;
  header.first_sequence = 1;
  header.created_ms = 1700000000000;
  encode_segment_header(header, seg);
  size_t at = kSegmentHeaderBytes;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    std::vector<Header> h = {{"host", "web-1"}};
    const std::string body = "event " + std::to_string(seq);
    const size_t need = align_record(record_size(h, body.size()));
    encode_record(std::span(seg + at, need), seq, 1700000000000 + int64_t(seq), h, body);
    at += need;
  }
  std::string input;
  input.push_back(static_cast<char>(checkpoint.size() & 0xff));
  input.push_back(static_cast<char>(checkpoint.size() >> 8));
  write_file(seed_path, input + checkpoint + segment);
  std::exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // tmpfs when there is one: each input creates, fsyncs and unlinks files, and on a disk
  // that is what bounds executions per second (about 2k/s on /tmp, several times that on tmpfs).
  static const fs::path dir = [] {
    std::error_code ec;
    std::string base = fs::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
    if (const char* tmpdir = std::getenv("SLUICE_FUZZ_TMPDIR")) base = tmpdir;
    std::string tmpl = base + "/sluice-recovery-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    static const fs::path made(tmpl);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(made, ignored);
    });
    return made;
  }();
  std::error_code ec;
  // remove_all: recovery leaves a quarantine/ folder behind for damaged inputs.
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);

  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t checkpoint_bytes = std::min<size_t>(in.size(), size_t{data[0]} | size_t{data[1]} << 8);
  write_file(dir / "checkpoint", in.substr(0, checkpoint_bytes));
  write_file(dir / segment_file_name(0), in.substr(checkpoint_bytes));

  FileStoreOptions options;
  options.directory = dir.string();
  options.segment_bytes = kSegmentBytes;
  options.description = "fuzz";
  LogStart start;
  RecoveryReport report;
  auto store = FileSegmentStore::open(options, {"sink-a", "sink-b"}, start, report);
  (void)store;
  return 0;
}
