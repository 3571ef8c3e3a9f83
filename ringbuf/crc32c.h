// CRC32C (Castagnoli), the checksum of every stored record. Uses the SSE4.2 instruction when
// the CPU has it and a table otherwise. Pure functions: any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::ringbuf {

// Extends `crc` (0 to start) over `size` bytes.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32c(const void* data, size_t size) { return crc32c_extend(0, data, size); }

}  // namespace sluice::ringbuf
