#include "bench/cli/size_distribution.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench/cli/options.h"

namespace sluice::bench {
namespace {

// splitmix64: small, fast and the same everywhere (std::uniform_int_distribution is not
// specified exactly, so its draws could differ between standard libraries).
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

Result<size_t> parse_size(std::string_view text) {
  auto n = parse_quantity(text);
  if (!n) return n.error();
  if (n.value() == 0) return make_error("a size must be at least 1 byte");
  return static_cast<size_t>(n.value());
}

}  // namespace

std::string SizeDistribution::text() const {
  if (kind == Kind::uniform) return fmt::format("uniform:{}-{}", min, max);
  return fmt::format("list:{}", fmt::join(values, ","));
}

Result<SizeDistribution> parse_size_distribution(std::string_view text) {
  SizeDistribution out;
  constexpr std::string_view kUniform = "uniform:";
  constexpr std::string_view kList = "list:";
  if (text.starts_with(kUniform)) {
    std::string_view range = text.substr(kUniform.size());
    const size_t dash = range.find('-');
    if (dash == std::string_view::npos) return make_error(fmt::format("'{}' is not uniform:MIN-MAX", text));
    auto min = parse_size(range.substr(0, dash));
    if (!min) return min.error();
    auto max = parse_size(range.substr(dash + 1));
    if (!max) return max.error();
    if (min.value() > max.value()) return make_error(fmt::format("'{}': MIN is above MAX", text));
    out.min = min.value();
    out.max = max.value();
    return out;
  }
  if (text.starts_with(kList)) {
    out.kind = SizeDistribution::Kind::list;
    std::string_view rest = text.substr(kList.size());
    while (true) {
      const size_t comma = rest.find(',');
      auto size = parse_size(rest.substr(0, comma));
      if (!size) return size.error();
      out.values.push_back(size.value());
      if (out.values.size() > kSizeListMax) return make_error(fmt::format("more than {} sizes", kSizeListMax));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    out.min = *std::min_element(out.values.begin(), out.values.end());
    out.max = *std::max_element(out.values.begin(), out.values.end());
    return out;
  }
  return make_error(fmt::format("'{}' is neither uniform:MIN-MAX nor list:SIZE,SIZE,...", text));
}

std::vector<size_t> draw_sizes(const SizeDistribution& dist, size_t count, uint64_t seed) {
  std::vector<size_t> out;
  out.reserve(count);
  uint64_t state = seed;
  for (size_t i = 0; i < count; ++i) {
    // The modulo bias is below 2^-40 for any span a size can have: irrelevant here.
    const uint64_t r = next_random(state);
    if (dist.kind == SizeDistribution::Kind::uniform) out.push_back(dist.min + r % (dist.max - dist.min + 1));
    else out.push_back(dist.values[r % dist.values.size()]);
  }
  return out;
}

Result<SizeBounds> size_bounds(bool fixed_given, const std::optional<SizeDistribution>& dist, size_t fixed) {
  if (fixed_given && dist) return make_error("give either --size or --size-dist");
  if (dist) return SizeBounds{dist->min, dist->max, "--size-dist"};
  return SizeBounds{fixed, fixed, "--size"};
}

size_t mean_size(const std::vector<size_t>& sizes) {
  if (sizes.empty()) return 0;
  const uint64_t sum = std::accumulate(sizes.begin(), sizes.end(), uint64_t{0});
  return static_cast<size_t>((sum + sizes.size() / 2) / sizes.size());
}

}  // namespace sluice::bench
