// hdfs.path as Flume users write it, split into the file system to use and the directory
// template: webhdfs://namenode:9870/logs/%Y (http:// is the same thing: the name node's HTTP
// address), file:///var/log/%{host}. hdfs://host:8020 (Hadoop's RPC) is refused with the
// WebHDFS spelling to use instead, and a path without a scheme with an example.
//
// Threads: a pure function, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::sinks::hdfs {

struct HdfsUri {
  enum class Scheme : uint8_t { webhdfs, file };
  Scheme scheme = Scheme::file;
  std::string host;   // webhdfs only
  uint16_t port = 0;  // webhdfs only; 9870 when not given (Hadoop 3's name node HTTP port)
  std::string path;   // absolute, the escapes untouched
};

Result<HdfsUri> parse_hdfs_uri(std::string_view text);

}  // namespace sluice::sinks::hdfs
