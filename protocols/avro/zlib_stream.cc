#include "protocols/avro/zlib_stream.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "base/assert.h"

namespace sluice::avro {

namespace {

// zlib counts in uInt: feed it at most this much per step.
constexpr size_t kStepBytesMax = std::numeric_limits<uInt>::max();

}  // namespace

Inflater::Inflater() : z_(std::make_unique<z_stream_s>()) {
  // 15: a zlib (RFC 1950) stream with any window size, as Netty's JZlibDecoder(ZLIB) expects.
  const int rc = inflateInit2(z_.get(), 15);
  SLUICE_ASSERT(rc == Z_OK, "inflateInit2 failed (out of memory)");
}

Inflater::~Inflater() {
  if (z_) inflateEnd(z_.get());
}

// zlib's state points back at its z_stream, which therefore lives on the heap and moves as a
// pointer.
Inflater::Inflater(Inflater&&) noexcept = default;
Inflater& Inflater::operator=(Inflater&& other) noexcept {
  if (this != &other) {
    if (z_) inflateEnd(z_.get());
    z_ = std::move(other.z_);
    finished_ = other.finished_;
    error_ = other.error_;
  }
  return *this;
}

uint64_t Inflater::total_in() const { return z_->total_in; }
uint64_t Inflater::total_out() const { return z_->total_out; }

Inflater::Result Inflater::inflate(std::string_view in, std::span<char> out) {
  if (!error_.empty()) return {Status::error, 0, 0, error_};
  if (finished_) return {Status::finished, 0, 0, {}};
  z_stream_s& z = *z_;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(std::min(in.size(), kStepBytesMax));
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(std::min(out.size(), kStepBytesMax));
  const uInt avail_in = z.avail_in;
  const uInt avail_out = z.avail_out;
  const int rc = ::inflate(&z, Z_SYNC_FLUSH);
  const size_t consumed = avail_in - z.avail_in;
  const size_t produced = avail_out - z.avail_out;
  switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR:  // no progress possible: more input or more output needed, not an error
      return {Status::ok, consumed, produced, {}};
    case Z_STREAM_END: finished_ = true; return {Status::finished, consumed, produced, {}};
    case Z_NEED_DICT: error_ = "zlib stream needs a preset dictionary"; break;
    case Z_MEM_ERROR: error_ = "zlib out of memory"; break;
    default: error_ = z.msg != nullptr ? std::string_view(z.msg) : std::string_view("corrupt zlib stream"); break;
  }
  // z.msg points at static strings in zlib, so the view stays valid.
  return {Status::error, consumed, produced, error_};
}

Deflater::Deflater(DeflateOptions options) : z_(std::make_unique<z_stream_s>()) {
  SLUICE_ASSERT(options.level >= 0 && options.level <= 9, "deflate level must be 0-9");
  SLUICE_ASSERT(options.window_bits >= 9 && options.window_bits <= 15, "deflate window_bits must be 9-15");
  SLUICE_ASSERT(options.mem_level >= 1 && options.mem_level <= 9, "deflate mem_level must be 1-9");
  const int rc =
      deflateInit2(z_.get(), options.level, Z_DEFLATED, options.window_bits, options.mem_level, Z_DEFAULT_STRATEGY);
  SLUICE_ASSERT(rc == Z_OK, "deflateInit2 failed (out of memory)");
}

Deflater::~Deflater() {
  if (z_) deflateEnd(z_.get());
}

Deflater::Deflater(Deflater&&) noexcept = default;
Deflater& Deflater::operator=(Deflater&& other) noexcept {
  if (this != &other) {
    if (z_) deflateEnd(z_.get());
    z_ = std::move(other.z_);
    finished_ = other.finished_;
  }
  return *this;
}

void Deflater::run(std::string_view in, int flush, std::string& out) {
  z_stream_s& z = *z_;
  while (true) {
    const size_t step_in = std::min(in.size(), kStepBytesMax);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(step_in);
    const int step_flush = step_in == in.size() ? flush : Z_NO_FLUSH;
    // Output room: the worst case of this step plus a flush marker; loop if zlib wants more.
    const size_t room = deflateBound(&z, static_cast<uLong>(step_in)) + 16;
    while (true) {
      const size_t before = out.size();
      out.resize(before + room);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
      z.avail_out = static_cast<uInt>(room);
      const int rc = ::deflate(&z, step_flush);
      SLUICE_ASSERT(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate failed on a valid stream");
      out.resize(before + room - z.avail_out);
      // Done with this step when zlib left output room unused (it had nothing more to say).
      if (z.avail_out != 0 && z.avail_in == 0) break;
    }
    in.remove_prefix(step_in);
    if (in.empty()) return;
  }
}

void Deflater::deflate(std::string_view in, std::string& out) {
  SLUICE_ASSERT(!finished_, "Deflater::deflate after finish");
  run(in, Z_SYNC_FLUSH, out);
}

void Deflater::finish(std::string& out) {
  SLUICE_ASSERT(!finished_, "Deflater::finish twice");
  run({}, Z_FINISH, out);
  finished_ = true;
}

}  // namespace sluice::avro
