// Fixed-width integers at any (unaligned) address, for sluice's binary formats: the channel's
// records, segment headers and checkpoints are little-endian (the host order of every machine
// sluice builds for: checked below), Netty's frame lengths are big-endian. Pure functions: any
// thread. memcpy compiles to one load or store.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sluice::base {

static_assert(std::endian::native == std::endian::little,
              "sluice's on-disk formats are little-endian and read in host order");

template <typename T>
T load_le(const void* p) {
  static_assert(std::is_integral_v<T>);
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void store_le(void* p, T v) {
  static_assert(std::is_integral_v<T>);
  std::memcpy(p, &v, sizeof v);
}

inline uint32_t load_be32(const void* p) { return __builtin_bswap32(load_le<uint32_t>(p)); }

inline void store_be32(void* p, uint32_t v) { store_le<uint32_t>(p, __builtin_bswap32(v)); }

}  // namespace sluice::base
