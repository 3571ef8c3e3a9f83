#include "protocols/http/body_decoding.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "base/ascii.h"

namespace sluice::http {

namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr int kWindowBits = 15;
// The first output buffer: a multiple of the input (JSON compresses 5-20x), at least this.
constexpr size_t kInitialOutputBytes = 16 * 1024;
constexpr size_t kInitialExpansion = 8;

// RFC 1950: CMF/FLG with deflate, a window of at most 32 KiB and a valid check value.
bool has_zlib_header(std::string_view body) {
  if (body.size() < 2) return false;
  const auto cmf = static_cast<unsigned char>(body[0]);
  const auto flg = static_cast<unsigned char>(body[1]);
  return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

bool has_gzip_magic(const unsigned char* p, size_t n) { return n >= 2 && p[0] == 0x1F && p[1] == 0x8B; }

}  // namespace

std::string_view content_encoding_name(ContentEncoding encoding) {
  switch (encoding) {
    case ContentEncoding::identity: return "identity";
    case ContentEncoding::gzip: return "gzip";
    case ContentEncoding::deflate: return "deflate";
  }
  return "?";
}

HttpError parse_content_encoding(std::string_view value, ContentEncoding& out) {
  value = trim_blanks(value);
  if (value.empty() || base::equals_ignoring_case(value, "identity")) {
    out = ContentEncoding::identity;
  } else if (base::equals_ignoring_case(value, "gzip") || base::equals_ignoring_case(value, "x-gzip")) {
    out = ContentEncoding::gzip;
  } else if (base::equals_ignoring_case(value, "deflate")) {
    out = ContentEncoding::deflate;
  } else {
    return {kStatusUnsupportedMediaType, "unsupported Content-Encoding (use gzip, deflate or identity)"};
  }
  return {};
}

struct BodyDecoder::Zlib {
  z_stream stream{};
  bool initialised = false;

  ~Zlib() {
    if (initialised) inflateEnd(&stream);
  }
  // Prepares for a new stream; false when zlib has no memory.
  bool reset(int window_bits) {
    if (!initialised) {
      if (inflateInit2(&stream, window_bits) != Z_OK) return false;
      initialised = true;
      return true;
    }
    return inflateReset2(&stream, window_bits) == Z_OK;
  }
};

BodyDecoder::BodyDecoder(options opts) : options_(opts) {
  SLUICE_ASSERT(options_.decoded_bytes_max > 0 && options_.decoded_bytes_max < SIZE_MAX - 1, "bad decoded_bytes_max");
}
BodyDecoder::~BodyDecoder() = default;
BodyDecoder::BodyDecoder(BodyDecoder&&) noexcept = default;
BodyDecoder& BodyDecoder::operator=(BodyDecoder&&) noexcept = default;

HttpError BodyDecoder::decode(ContentEncoding encoding, std::string_view body, std::string_view& out) {
  if (encoding == ContentEncoding::identity) {
    if (body.size() > options_.decoded_bytes_max) return {kStatusPayloadTooLarge, "request body too large"};
    out = body;
    return {};
  }
  out_.clear();
  if (HttpError error = inflate_body(encoding, body)) return error;
  out = out_.view();
  return {};
}

HttpError BodyDecoder::inflate_body(ContentEncoding encoding, std::string_view body) {
  if (!zlib_) zlib_ = std::make_unique<Zlib>();
  // gzip: 16 + bits (gzip wrapper only). deflate: the zlib wrapper, or raw deflate when the
  // body does not start with a zlib header.
  int window_bits = kWindowBits + 16;
  if (encoding == ContentEncoding::deflate) window_bits = has_zlib_header(body) ? kWindowBits : -kWindowBits;
  if (!zlib_->reset(window_bits)) return {kStatusInternalServerError, "out of memory for decompression"};

  // One byte past the limit tells "exactly the limit" from "more than the limit".
  const size_t output_max = options_.decoded_bytes_max + 1;
  out_.reserve(std::min(output_max, std::max(kInitialOutputBytes, body.size() * kInitialExpansion)), output_max);

  z_stream& z = zlib_->stream;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  size_t in_left = body.size();
  // zlib counts in uInt: feed at most 1 GiB at a time (bodies are far smaller in practice).
  constexpr size_t kStepBytesMax = size_t{1} << 30;
  for (;;) {
    if (out_.size() == out_.capacity()) {
      if (out_.capacity() >= output_max) return {kStatusPayloadTooLarge, "decompressed request body too large"};
      out_.reserve(out_.capacity() + 1, output_max);
    }
    const size_t in_step = std::min(in_left, kStepBytesMax);
    const size_t out_step = std::min(out_.capacity() - out_.size(), kStepBytesMax);
    z.avail_in = static_cast<uInt>(in_step);
    z.next_out = reinterpret_cast<Bytef*>(out_.tail());
    z.avail_out = static_cast<uInt>(out_step);
    const int ret = inflate(&z, Z_NO_FLUSH);
    out_.commit(out_step - z.avail_out);
    in_left -= in_step - z.avail_in;
    if (out_.size() > options_.decoded_bytes_max)
      return {kStatusPayloadTooLarge, "decompressed request body too large"};
    switch (ret) {
      case Z_STREAM_END:
        if (in_left == 0) return {};
        // Another gzip member follows (gunzip decodes them all); anything else is garbage.
        if (encoding == ContentEncoding::gzip && has_gzip_magic(z.next_in, in_left)) {
          if (inflateReset(&z) != Z_OK) return {kStatusBadRequest, "corrupt compressed body"};
          continue;
        }
        return {kStatusBadRequest, "data after the end of the compressed body"};
      case Z_OK:
      case Z_BUF_ERROR:
        // No progress possible: out of input before the stream's end.
        if (in_left == 0 && z.avail_out > 0) return {kStatusBadRequest, "truncated compressed body"};
        break;
      case Z_NEED_DICT:
      case Z_DATA_ERROR: return {kStatusBadRequest, "corrupt compressed body"};
      case Z_MEM_ERROR: return {kStatusInternalServerError, "out of memory for decompression"};
      default: return {kStatusBadRequest, "corrupt compressed body"};
    }
  }
}

}  // namespace sluice::http
