// What the Avro and compressed-stream writers share: zlib's step limit, zstd's default level, and
// appending a codec's output to the caller's buffer. Internal to sinks/hdfs; any thread.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <limits>
#include <string>

namespace sluice::sinks::hdfs {

// zlib counts in uInt: feed it at most this much per step.
inline constexpr size_t kZlibStepBytesMax = std::numeric_limits<uInt>::max();
inline constexpr int kZstdDefaultLevel = 3;  // zstd's, Hadoop's and Java's Avro's default

// Makes room for at least `bytes` more at the end of `out`; returns where they start.
inline char* grow(std::string& out, size_t bytes) {
  const size_t old = out.size();
  out.resize(old + bytes);
  return out.data() + old;
}

}  // namespace sluice::sinks::hdfs
