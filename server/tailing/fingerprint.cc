#include "server/tailing/fingerprint.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "ringbuf/crc32c.h"

namespace sluice::tailing {
namespace {

// Reads up to `bytes` from the start of `fd` into `out`; returns how many it got.
Result<uint32_t> read_start(int fd, char* out, uint32_t bytes) {
  uint32_t got = 0;
  while (got < bytes) {
    ssize_t n = ::pread(fd, out + got, bytes - got, got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(fmt::format("cannot read the file's first bytes: {}", std::strerror(errno)));
    }
    if (n == 0) break;
    got += static_cast<uint32_t>(n);
  }
  return got;
}

}  // namespace

Fingerprint fingerprint_of(std::string_view data) {
  const size_t bytes = std::min<size_t>(data.size(), kFingerprintBytes);
  return {static_cast<uint32_t>(bytes), ringbuf::crc32c(data.data(), bytes)};
}

Result<Fingerprint> read_fingerprint(int fd, uint32_t bytes) {
  char start[kFingerprintBytes];
  auto got = read_start(fd, start, std::min(bytes, kFingerprintBytes));
  if (!got.ok()) return got.error();
  return fingerprint_of(std::string_view(start, got.value()));
}

Result<bool> starts_like(int fd, const Fingerprint& fingerprint) {
  if (fingerprint.empty()) return true;
  auto now = read_fingerprint(fd, fingerprint.bytes);
  if (!now.ok()) return now.error();
  return now.value() == fingerprint;
}

std::string format_fingerprint(const Fingerprint& fingerprint) {
  return fmt::format("{}:{:08x}", fingerprint.bytes, fingerprint.crc);
}

Result<Fingerprint> parse_fingerprint(std::string_view text) {
  const size_t colon = text.find(':');
  Fingerprint f;
  auto bad = [&] { return make_error(fmt::format("fingerprint '{}' is not <bytes>:<8 hex digits>", text)); };
  if (colon == std::string_view::npos || text.size() - colon - 1 != 8) return bad();
  auto [p1, e1] = std::from_chars(text.data(), text.data() + colon, f.bytes);
  if (e1 != std::errc() || p1 != text.data() + colon || f.bytes > kFingerprintBytes) return bad();
  auto [p2, e2] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), f.crc, 16);
  if (e2 != std::errc() || p2 != text.data() + text.size()) return bad();
  return f;
}

}  // namespace sluice::tailing
