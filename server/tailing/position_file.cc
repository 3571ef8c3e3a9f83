#include "server/tailing/position_file.h"

#include <charconv>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace sluice::tailing {
namespace {

// Gson's nextLong() takes a number or a numeric string; so do we (non-negative only).
bool read_unsigned(const boost::json::value& v, uint64_t& out) {
  if (v.is_uint64()) {
    out = v.get_uint64();
    return true;
  }
  if (v.is_int64()) {
    if (v.get_int64() < 0) return false;
    out = static_cast<uint64_t>(v.get_int64());
    return true;
  }
  if (v.is_string()) {
    const boost::json::string& s = v.get_string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  }
  return false;
}

bool blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

Result<std::vector<FilePosition>> parse_position_file(std::string_view text) {
  std::vector<FilePosition> positions;
  if (blank(text)) return positions;
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(text, ec);
  if (ec) return make_error(fmt::format("not JSON: {}", ec.message()));
  const boost::json::array* entries = root.if_array();
  if (entries == nullptr) return make_error("not a JSON array of {\"inode\",\"pos\",\"file\"} objects");
  for (size_t i = 0; i < entries->size(); ++i) {
    const boost::json::object* entry = (*entries)[i].if_object();
    auto problem = [&](std::string_view what) { return make_error(fmt::format("entry {}: {}", i + 1, what)); };
    if (entry == nullptr) return problem("not an object");
    FilePosition p;
    const boost::json::value* inode = entry->if_contains("inode");
    const boost::json::value* pos = entry->if_contains("pos");
    const boost::json::value* file = entry->if_contains("file");
    if (inode == nullptr || !read_unsigned(*inode, p.inode)) return problem("\"inode\" is missing or not a number");
    if (pos == nullptr || !read_unsigned(*pos, p.pos)) return problem("\"pos\" is missing or not a number");
    if (file == nullptr || !file->is_string() || file->get_string().empty())
      return problem("\"file\" is missing or not a path");
    p.file.assign(file->get_string().data(), file->get_string().size());
    if (const boost::json::value* fp = entry->if_contains("fingerprint")) {
      if (!fp->is_string()) return problem("\"fingerprint\" is not a string");
      auto parsed = parse_fingerprint(std::string_view(fp->get_string().data(), fp->get_string().size()));
      if (!parsed.ok()) return problem(parsed.error().message);
      p.fingerprint = parsed.value();
    }
    positions.push_back(std::move(p));
  }
  return positions;
}

std::string format_position_file(std::span<const FilePosition> positions) {
  std::string out = "[";
  for (const FilePosition& p : positions) {
    if (out.size() > 1) out += ',';
    fmt::format_to(std::back_inserter(out), "{{\"inode\":{},\"pos\":{},\"file\":{}", p.inode, p.pos,
                   boost::json::serialize(boost::json::string(p.file)));
    if (p.fingerprint)
      fmt::format_to(std::back_inserter(out), ",\"fingerprint\":\"{}\"", format_fingerprint(*p.fingerprint));
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace sluice::tailing
