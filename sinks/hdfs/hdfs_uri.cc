#include "sinks/hdfs/hdfs_uri.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace sluice::sinks::hdfs {
namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

Result<HdfsUri> parse_hdfs_uri(std::string_view text) {
  HdfsUri uri;
  std::string_view rest;
  if (starts_with_ignoring_case(text, "file://")) {
    rest = text.substr(7);
    if (rest.empty() || rest.front() != '/')
      return make_error(fmt::format("'{}': a file:// path is absolute, e.g. file:///var/log/events", text));
    uri.scheme = HdfsUri::Scheme::file;
    uri.path = std::string(rest);
  } else if (starts_with_ignoring_case(text, "webhdfs://") || starts_with_ignoring_case(text, "http://")) {
    rest = text.substr(text.find("://") + 3);
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (authority.empty())
      return make_error(fmt::format("'{}': name the name node, e.g. webhdfs://namenode:9870/logs", text));
    uri.scheme = HdfsUri::Scheme::webhdfs;
    uri.port = 9870;
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
      std::string_view port = authority.substr(colon + 1);
      unsigned value = 0;
      auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
      if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return make_error(fmt::format("'{}': '{}' is not a port", text, port));
      uri.port = static_cast<uint16_t>(value);
      authority = authority.substr(0, colon);
    }
    uri.host = std::string(authority);
    uri.path = slash == std::string_view::npos ? std::string("/") : std::string(rest.substr(slash));
  } else if (starts_with_ignoring_case(text, "hdfs://")) {
    return make_error(
        fmt::format("'{}': hdfs:// is Hadoop's RPC protocol, which sluice does not speak; use the name node's WebHDFS "
                    "address, e.g. webhdfs://namenode:9870/path",
                    text));
  } else {
    return make_error(
        fmt::format("'{}': give a scheme: webhdfs://namenode:9870/path for HDFS, file:///path for a local disk", text));
  }
  while (uri.path.size() > 1 && uri.path.back() == '/') uri.path.pop_back();
  return uri;
}

}  // namespace sluice::sinks::hdfs
