#include "bench/cli/patchable_deflate.h"

#include <zlib.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/assert.h"

namespace sluice::bench {
namespace {

constexpr size_t kStoredBlockBytesMax = 65'535;

// Compresses `piece` and full-flushes, appending everything zlib produces.
void compress_piece(z_stream& z, std::string_view piece, std::string& out) {
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
  z.avail_in = static_cast<uInt>(piece.size());
  while (true) {
    const size_t before = out.size();
    const size_t room = deflateBound(&z, z.avail_in) + 64;
    out.resize(before + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    z.avail_out = static_cast<uInt>(room);
    int rc = deflate(&z, Z_FULL_FLUSH);
    SLUICE_ASSERT(rc == Z_OK || rc == Z_BUF_ERROR, "deflate failed on valid input");
    out.resize(before + (room - z.avail_out));
    // Done when zlib had room to spare: all input taken and the flush complete.
    if (z.avail_in == 0 && z.avail_out != 0) return;
  }
}

}  // namespace

size_t append_stored_block(std::string_view bytes, std::string& out) {
  size_t first_data = std::string::npos;
  do {
    const size_t n = std::min(bytes.size(), kStoredBlockBytesMax);
    // BFINAL 0, BTYPE 00 in the low three bits, then padding to the byte; LEN and NLEN little-endian.
    const char header[5] = {0, static_cast<char>(n & 0xff), static_cast<char>(n >> 8), static_cast<char>(~n & 0xff),
                            static_cast<char>((~n >> 8) & 0xff)};
    out.append(header, sizeof header);
    if (first_data == std::string::npos) first_data = out.size();
    out.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
  } while (!bytes.empty());
  return first_data;
}

void append_final_stored_block(std::string& out) {
  const char block[5] = {1, 0, 0, static_cast<char>(0xff), static_cast<char>(0xff)};
  out.append(block, sizeof block);
}

Status deflate_patchable(std::string_view plain, std::span<const ByteRange> fields,
                         const PatchableDeflateOptions& options, std::string& out, std::vector<size_t>& wire_offsets) {
  z_stream z{};
  // Raw deflate (negative window bits): the caller adds the zlib or gzip wrapper.
  if (deflateInit2(&z, options.level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return make_error("cannot start zlib (out of memory?)");
  wire_offsets.assign(fields.size(), 0);
  size_t cold_begin = 0;  // plain bytes before this are written
  size_t i = 0;
  while (i < fields.size()) {
    SLUICE_ASSERT(fields[i].begin >= cold_begin && fields[i].begin <= fields[i].end && fields[i].end <= plain.size(),
                  "fields must be sorted, disjoint and inside the text");
    SLUICE_ASSERT(fields[i].end - fields[i].begin + options.join_gap < kStoredBlockBytesMax, "field too long");
    // The stored run: this field and the next ones while the gaps between them are small.
    const size_t first = i;
    size_t hot_end = fields[i].end;
    while (i + 1 < fields.size() && fields[i + 1].begin < hot_end + options.join_gap) {
      ++i;
      SLUICE_ASSERT(fields[i].begin >= hot_end && fields[i].end <= plain.size(), "fields must be sorted and disjoint");
      hot_end = fields[i].end;
    }
    ++i;
    const size_t hot_begin = fields[first].begin;
    if (hot_begin > cold_begin) compress_piece(z, plain.substr(cold_begin, hot_begin - cold_begin), out);
    // Stored blocks hold at most 65,535 bytes: a long run is split between two fields, never
    // inside one.
    size_t block_begin = hot_begin;
    size_t block_end = hot_begin;  // the end of the last field taken into the block
    size_t block_first = first;
    auto write_block = [&](size_t fields_end) {
      const size_t data = append_stored_block(plain.substr(block_begin, block_end - block_begin), out);
      for (size_t k = block_first; k < fields_end; ++k) wire_offsets[k] = data + (fields[k].begin - block_begin);
    };
    for (size_t k = first; k < i; ++k) {
      if (fields[k].end - block_begin > kStoredBlockBytesMax) {
        write_block(k);
        block_begin = block_end;
        block_first = k;
      }
      block_end = fields[k].end;
    }
    write_block(i);
    cold_begin = hot_end;
  }
  if (cold_begin < plain.size()) compress_piece(z, plain.substr(cold_begin), out);
  deflateEnd(&z);
  return {};
}

}  // namespace sluice::bench
