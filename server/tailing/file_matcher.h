// A TAILDIR file group's pattern (`filegroups.<fg> = /var/log/app/.*\.log`): a literal
// directory and a Java regex that must match a file's whole name, as in Flume. Directories and
// anything but regular files (symlinks are followed) are left out; hidden files are not.
//
// Threads: built on the main thread; list() and find_inode() block on the directory (readdir
// and stat, no file contents) and may be called from the shard that tails the group.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "server/interceptors/java_regex.h"

namespace sluice::tailing {

struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileId&) const = default;
};

struct MatchedFile {
  std::string path;
  FileId id;
  uint64_t size = 0;
  int64_t modified_ns = 0;
};

class FilePattern {
 public:
  // `pattern` is an absolute path whose last part is the regex. Errors say what is wrong with
  // it (not absolute, no file part, a regex RE2 cannot run, directory missing).
  static Result<FilePattern> parse(std::string_view pattern);

  const std::string& directory() const { return directory_; }
  const std::string& name_regex() const { return name_regex_; }
  bool matches_name(std::string_view name) const;

  // The matching files now in the directory, oldest modification first (Flume's order). An
  // error when the directory cannot be read.
  Result<std::vector<MatchedFile>> list() const;
  // Any regular file in the directory, matching or not, with this identity: where a rotated
  // file went (app.log -> app.log.1 stays beside it).
  std::optional<MatchedFile> find_inode(const FileId& id) const;

 private:
  FilePattern(std::string directory, std::string name_regex, interceptors::JavaRegex regex)
      : directory_(std::move(directory)), name_regex_(std::move(name_regex)), regex_(std::move(regex)) {}

  std::string directory_;  // without a trailing '/', "/" for the root
  std::string name_regex_;
  interceptors::JavaRegex regex_;
};

}  // namespace sluice::tailing
