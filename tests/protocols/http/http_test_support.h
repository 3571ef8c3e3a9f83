// Helpers for the HTTP tests: bodies with the padding the decoders read, and gzip/deflate
// encoders (zlib) to build compressed bodies.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

#include "base/assert.h"
#include "protocols/http/padded_buffer.h"

namespace sluice::http::testing {

// A body in its own heap buffer with kBodyPaddingBytes readable bytes after it (filled with
// 'X' so that a decoder that reads the padding as content is caught), exactly as large as
// that: the sanitizers report a read past the padding.
class PaddedText {
 public:
  explicit PaddedText(std::string_view text) : bytes_(text.size() + kBodyPaddingBytes, 'X'), size_(text.size()) {
    bytes_.replace(0, text.size(), text);
  }
  std::string_view view() const { return std::string_view(bytes_).substr(0, size_); }
  operator std::string_view() const { return view(); }  // NOLINT: implicit for brevity

 private:
  std::string bytes_;
  size_t size_;
};

// zlib's deflate with the given window bits: 31 gzip, 15 zlib, -15 raw.
inline std::string compress(std::string_view data, int window_bits, int level = 6) {
  z_stream z{};
  SLUICE_ASSERT(deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  SLUICE_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string gzip(std::string_view data) { return compress(data, 31); }

}  // namespace sluice::http::testing
