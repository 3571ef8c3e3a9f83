#include "ringbuf/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/bytes.h"
#include "ringbuf/crc32c.h"

namespace sluice::ringbuf {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'C', 'P'};
constexpr size_t kEntriesOffset = 32;
constexpr size_t kEntryBytes = 96;
constexpr size_t kCrcOffset = kCheckpointSlotBytes - 4;

}  // namespace

const CheckpointEntry* Checkpoint::find(const std::string& reader) const {
  for (const auto& e : entries)
    if (e.reader == reader) return &e;
  return nullptr;
}

void encode_checkpoint_slot(const Checkpoint& c, std::byte* out) {
  SLUICE_ASSERT(c.entries.size() <= kCheckpointReadersMax, "too many readers for a checkpoint");
  static_assert(kEntriesOffset + kCheckpointReadersMax * kEntryBytes <= kCrcOffset);
  std::memset(out, 0, kCheckpointSlotBytes);
  std::memcpy(out, kMagic, 8);
  base::store_le<uint32_t>(out + 8, kCheckpointFormatVersion);
  base::store_le<uint32_t>(out + 12, static_cast<uint32_t>(c.entries.size()));
  base::store_le<uint64_t>(out + 16, c.generation);
  for (size_t i = 0; i < c.entries.size(); ++i) {
    const CheckpointEntry& e = c.entries[i];
    SLUICE_ASSERT(e.reader.size() <= kCheckpointNameBytesMax, "reader name too long for a checkpoint");
    std::byte* p = out + kEntriesOffset + i * kEntryBytes;
    base::store_le<uint64_t>(p, e.position);
    base::store_le<uint64_t>(p + 8, e.sequence);
    p[16] = std::byte{static_cast<uint8_t>(e.reader.size())};
    std::memcpy(p + 17, e.reader.data(), e.reader.size());
  }
  base::store_le<uint32_t>(out + kCrcOffset, crc32c(out, kCrcOffset));
}

CheckpointSlotCheck decode_checkpoint_slot(const std::byte* in, Checkpoint& out) {
  bool all_zero = true;
  for (size_t i = 0; i < 16 && all_zero; ++i) all_zero = in[i] == std::byte{0};
  if (all_zero) return CheckpointSlotCheck::empty;
  if (std::memcmp(in, kMagic, 8) != 0) return CheckpointSlotCheck::corrupt;
  if (crc32c(in, kCrcOffset) != base::load_le<uint32_t>(in + kCrcOffset)) return CheckpointSlotCheck::corrupt;
  if (base::load_le<uint32_t>(in + 8) != kCheckpointFormatVersion) return CheckpointSlotCheck::other_version;
  uint32_t count = base::load_le<uint32_t>(in + 12);
  if (count > kCheckpointReadersMax) return CheckpointSlotCheck::corrupt;
  out.generation = base::load_le<uint64_t>(in + 16);
  out.entries.clear();
  for (uint32_t i = 0; i < count; ++i) {
    const std::byte* p = in + kEntriesOffset + i * kEntryBytes;
    auto length = static_cast<uint8_t>(p[16]);
    if (length > kCheckpointNameBytesMax) return CheckpointSlotCheck::corrupt;
    out.entries.push_back({std::string(reinterpret_cast<const char*>(p + 17), length), base::load_le<uint64_t>(p),
                           base::load_le<uint64_t>(p + 8)});
  }
  return CheckpointSlotCheck::ok;
}

Result<std::optional<Checkpoint>> read_checkpoint_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Checkpoint>();
    return make_error(fmt::format("cannot read checkpoint {}: {}", path, std::strerror(errno)));
  }
  alignas(8) std::byte slots[2 * kCheckpointSlotBytes] = {};
  ssize_t n = pread(fd, slots, sizeof slots, 0);
  int err = errno;
  ::close(fd);
  if (n < 0) return make_error(fmt::format("cannot read checkpoint {}: {}", path, std::strerror(err)));
  std::optional<Checkpoint> best;
  for (size_t slot = 0; slot < 2; ++slot) {
    if (static_cast<size_t>(n) < (slot + 1) * kCheckpointSlotBytes) break;  // a short file: a torn first write
    Checkpoint c;
    switch (decode_checkpoint_slot(slots + slot * kCheckpointSlotBytes, c)) {
      case CheckpointSlotCheck::ok:
        if (!best || c.generation > best->generation) best = std::move(c);
        break;
      case CheckpointSlotCheck::other_version:
        return make_error(fmt::format(
            "checkpoint {} was written by an incompatible sluice (format version {}, "
            "this sluice reads {})",
            path, base::load_le<uint32_t>(slots + slot * kCheckpointSlotBytes + 8), kCheckpointFormatVersion));
      case CheckpointSlotCheck::empty:
      case CheckpointSlotCheck::corrupt: break;
    }
  }
  return best;
}

}  // namespace sluice::ringbuf
