#include "sinks/hdfs/directory_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::sinks::hdfs {

std::string parent_directory(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

int fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

}  // namespace sluice::sinks::hdfs
