// The HDFS sink's file systems without the sink: a client that only uploads. It writes one file
// of --bytes through sluice's own FileSystem code: CREATE with the first chunk, then APPEND per
// --chunk bytes (the HDFS sink's group commit is 8 MiB by default). No events, no channel, no
// formatting, so the HDFS sink is measured against it in the same run.
//  - --namenode: WebHDFS (sinks/hdfs/webhdfs_file_system.h), each call through the name node's
//    redirect to the data node: what the WebHDFS server and the loopback allow.
//  - --local PATH: file:// (sinks/hdfs/local_file_system.h, O_DIRECT + fdatasync per append):
//    what the sink's writer gets from the disk, next to dd in the same run.
//
//   webhdfs-ceiling --namenode HOST:PORT | --local PATH [--path /bench/ceiling] [--bytes N]
//                   [--chunk N] [--json]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "sinks/hdfs/local_file_system.h"
#include "sinks/hdfs/webhdfs_file_system.h"

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "webhdfs-ceiling: %s\n", message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string namenode, local, path = "/bench/ceiling";
  size_t bytes = size_t{1} << 30;
  size_t chunk = size_t{8} << 20;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) die(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--namenode") namenode = next();
    else if (a == "--local") local = next();
    else if (a == "--path") path = next();
    else if (a == "--bytes") bytes = std::stoul(next());
    else if (a == "--chunk") chunk = std::stoul(next());
    else if (a == "--json") json = true;
    else die("unknown argument " + std::string(a));
  }
  std::unique_ptr<sluice::sinks::hdfs::FileSystem> fs;
  if (!local.empty()) {
    fs = std::make_unique<sluice::sinks::hdfs::LocalFileSystem>();
    path = local;
  } else {
    const size_t colon = namenode.rfind(':');
    if (colon == std::string::npos || chunk == 0)
      die("usage: webhdfs-ceiling --namenode HOST:PORT | --local PATH [--bytes N] [--chunk N]");
    sluice::sinks::hdfs::WebHdfsOptions options;
    options.host = namenode.substr(0, colon);
    options.port = static_cast<uint16_t>(std::stoul(namenode.substr(colon + 1)));
    options.call_timeout_ms = 60'000;
    fs = std::make_unique<sluice::sinks::hdfs::WebHdfsFileSystem>(options);
    const size_t slash = path.rfind('/');
    if (slash != 0 && slash != std::string::npos)
      if (auto made = fs->make_directories(path.substr(0, slash)); !made.ok()) die(made.error().message);
  }
  if (chunk == 0) die("--chunk must be above 0");
  // Text-like content (lines of 200 bytes), as the sink would send.
  std::string data(chunk, 'x');
  for (size_t i = 199; i < data.size(); i += 200) data[i] = '\n';

  const auto started = std::chrono::steady_clock::now();
  size_t sent = 0;
  while (sent < bytes) {
    const std::string_view piece(data.data(), std::min(chunk, bytes - sent));
    auto result = sent == 0 ? fs->create(path, piece) : fs->append(path, piece);
    if (!result.ok()) die(result.error().message);
    sent += piece.size();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double mb_per_s = static_cast<double>(sent) / seconds / 1e6;
  if (json) std::printf("{\"bytes\": %zu, \"seconds\": %.6f, \"mb_per_s\": %.3f}\n", sent, seconds, mb_per_s);
  else std::printf("%zu bytes in %.3f s: %.1f MB/s\n", sent, seconds, mb_per_s);
  return 0;
}
