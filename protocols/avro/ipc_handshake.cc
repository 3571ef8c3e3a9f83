#include "protocols/avro/ipc_handshake.h"

#include <cstring>

namespace sluice::avro {

std::string_view handshake_match_name(HandshakeMatch match) {
  switch (match) {
    case HandshakeMatch::both: return "BOTH";
    case HandshakeMatch::client: return "CLIENT";
    case HandshakeMatch::none: return "NONE";
  }
  return "?";
}

namespace {

constexpr uint32_t kHandshakeMatchSymbols = 3;

bool read_md5(Reader& in, Md5& out) {
  std::string_view bytes;
  if (!in.read_fixed(out.size(), bytes)) return false;
  std::memcpy(out.data(), bytes.data(), out.size());
  return true;
}

void write_md5(const Md5& hash, Writer& out) {
  out.write_fixed(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

// union {null, string}
bool read_optional_string(Reader& in, std::optional<std::string_view>& out) {
  uint32_t branch = 0;
  if (!in.read_union_index(2, branch)) return false;
  out.reset();
  if (branch == 0) return true;
  std::string_view value;
  if (!in.read_string(value)) return false;
  out = value;
  return true;
}

void write_optional_string(const std::optional<std::string_view>& value, Writer& out) {
  out.write_union_index(value ? 1 : 0);
  if (value) out.write_string(*value);
}

// union {null, map<bytes>}, kept as the map's encoded bytes.
bool read_optional_meta(Reader& in, std::optional<std::string_view>& out) {
  uint32_t branch = 0;
  if (!in.read_union_index(2, branch)) return false;
  out.reset();
  if (branch == 0) return true;
  std::string_view encoded;
  if (!read_meta(in, encoded)) return false;
  out = encoded;
  return true;
}

void write_optional_meta(const std::optional<std::string_view>& meta, Writer& out) {
  out.write_union_index(meta ? 1 : 0);
  if (meta) out.out().append(*meta);
}

}  // namespace

bool read_meta(Reader& in, std::string_view& encoded) {
  const char* begin = in.position();
  const bool ok = in.read_map(1, [&](std::string_view) {
    std::string_view value;
    return in.read_bytes(value);
  });
  if (!ok) return false;
  encoded = std::string_view(begin, static_cast<size_t>(in.position() - begin));
  return true;
}

bool decode_handshake_request(Reader& in, HandshakeRequest& out) {
  return read_md5(in, out.client_hash) && read_optional_string(in, out.client_protocol) &&
         read_md5(in, out.server_hash) && read_optional_meta(in, out.meta);
}

void encode_handshake_request(const HandshakeRequest& request, Writer& out) {
  write_md5(request.client_hash, out);
  write_optional_string(request.client_protocol, out);
  write_md5(request.server_hash, out);
  write_optional_meta(request.meta, out);
}

bool decode_handshake_response(Reader& in, HandshakeResponse& out) {
  uint32_t match = 0;
  if (!in.read_enum(kHandshakeMatchSymbols, match)) return false;
  out.match = static_cast<HandshakeMatch>(match);
  if (!read_optional_string(in, out.server_protocol)) return false;
  uint32_t branch = 0;
  if (!in.read_union_index(2, branch)) return false;
  out.server_hash.reset();
  if (branch == 1) {
    Md5 hash{};
    if (!read_md5(in, hash)) return false;
    out.server_hash = hash;
  }
  return read_optional_meta(in, out.meta);
}

void encode_handshake_response(const HandshakeResponse& response, Writer& out) {
  out.write_enum(static_cast<uint32_t>(response.match));
  write_optional_string(response.server_protocol, out);
  out.write_union_index(response.server_hash ? 1 : 0);
  if (response.server_hash) write_md5(*response.server_hash, out);
  write_optional_meta(response.meta, out);
}

}  // namespace sluice::avro
