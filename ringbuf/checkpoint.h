// Where every reader (sink) of a durable log has committed to, persisted so that a restart
// resumes there. The file holds two 4 KiB slots written alternately; each carries a generation
// and a CRC, and the valid slot with the higher generation wins. A write torn by a crash can only
// spoil the slot being written, never the previous checkpoint, so no torn checkpoint is ever
// read back as valid. Part of the on-disk format of durable channels.
//
//   slot: magic "SLUICECP" (8), version u32, reader count u32, generation u64, reserved u64,
//         then per reader 96 bytes: position u64, sequence u64, name length u8, name (79 bytes),
//         and a CRC32C of bytes [0, 4092) in the last 4 bytes.
//
// Pure functions except read/write_checkpoint_file: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace sluice::ringbuf {

inline constexpr uint32_t kCheckpointFormatVersion = 1;
inline constexpr size_t kCheckpointSlotBytes = 4096;
inline constexpr size_t kCheckpointReadersMax = 40;
inline constexpr size_t kCheckpointNameBytesMax = 79;

struct CheckpointEntry {
  std::string reader;  // the sink's name
  uint64_t position = 0;
  uint64_t sequence = 0;
};

struct Checkpoint {
  uint64_t generation = 0;
  std::vector<CheckpointEntry> entries;

  const CheckpointEntry* find(const std::string& reader) const;
};

// Writes one slot (kCheckpointSlotBytes).
void encode_checkpoint_slot(const Checkpoint& checkpoint, std::byte* out);

enum class CheckpointSlotCheck { ok, empty, corrupt, other_version };
CheckpointSlotCheck decode_checkpoint_slot(const std::byte* in, Checkpoint& out);

// The slot a checkpoint of this generation goes to, as a file offset.
inline uint64_t checkpoint_slot_offset(uint64_t generation) { return (generation % 2) * kCheckpointSlotBytes; }

// Reads both slots of `path` and returns the newest valid checkpoint, nothing when the file is
// missing or holds none, or an error when it was written by an incompatible version.
Result<std::optional<Checkpoint>> read_checkpoint_file(const std::string& path);

}  // namespace sluice::ringbuf
