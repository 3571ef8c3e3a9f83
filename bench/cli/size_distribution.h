// --size-dist: event sizes drawn from a distribution instead of one fixed --size. The sizes
// are drawn once, at start-up, with a fixed seed into a table that the pre-built messages and
// requests take their sizes from, so the send path stays what it is with a fixed size (only
// sequence digits are patched) and two runs send the same sizes.
//
//   uniform:MIN-MAX     every size from MIN to MAX (inclusive) equally likely
//   list:200,500,1500   each listed size equally likely (repeat one to weigh it: list:200,200,1500)
//
// Threads: pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::bench {

inline constexpr size_t kSizeListMax = 1000;
// Sizes drawn per table; a buffer or request holds fewer events and uses the table's start.
inline constexpr size_t kSizeTableLength = 4096;
inline constexpr uint64_t kSizeSeed = 0x51c3'5eed;

struct SizeDistribution {
  enum class Kind : uint8_t { uniform, list };
  Kind kind = Kind::uniform;
  size_t min = 0;  // uniform: the bounds, inclusive; list: its smallest and largest
  size_t max = 0;
  std::vector<size_t> values;  // list only

  // As written on the command line: "uniform:100-2000", "list:200,500,1500".
  std::string text() const;
};

// Sizes take the k, M, G suffixes of --size (list:1k,4k).
Result<SizeDistribution> parse_size_distribution(std::string_view text);

// `count` sizes drawn from `dist` with `seed`: the same table for the same arguments.
std::vector<size_t> draw_sizes(const SizeDistribution& dist, size_t count, uint64_t seed = kSizeSeed);

// What --size and --size-dist chose between them: the bounds every size lies in (checks that
// hold for the bounds hold for every size drawn), and the option an error should name.
struct SizeBounds {
  size_t smallest = 0;
  size_t largest = 0;
  std::string_view option;  // "--size" or "--size-dist"
};
// An error when both options were given (`fixed_given` and a `dist`).
Result<SizeBounds> size_bounds(bool fixed_given, const std::optional<SizeDistribution>& dist, size_t fixed);

// The mean of `sizes` rounded to a whole byte (0 for none): the size a summary reports.
size_t mean_size(const std::vector<size_t>& sizes);

}  // namespace sluice::bench
