#include "server/tailing/file_matcher.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace sluice::tailing {
namespace {

std::string join(const std::string& directory, std::string_view name) {
  return directory == "/" ? fmt::format("/{}", name) : fmt::format("{}/{}", directory, name);
}

// Calls fn(name) for every entry of `directory` but "." and "..".
template <typename Fn>
Status for_each_entry(const std::string& directory, Fn&& fn) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.c_str()), &::closedir);
  if (!dir) return make_error(fmt::format("cannot read directory {}: {}", directory, std::strerror(errno)));
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    fn(name);
  }
  return {};
}

std::optional<MatchedFile> stat_regular(std::string path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return MatchedFile{std::move(path),
                     {st.st_dev, st.st_ino},
                     static_cast<uint64_t>(st.st_size),
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

Result<FilePattern> FilePattern::parse(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/')
    return make_error(fmt::format("'{}' is not an absolute path (<directory>/<file name regex>)", pattern));
  const size_t slash = pattern.rfind('/');
  std::string_view name = pattern.substr(slash + 1);
  if (name.empty()) return make_error(fmt::format("'{}' has no file name regex after its last '/'", pattern));
  std::string directory(slash == 0 ? std::string_view("/") : pattern.substr(0, slash));
  auto regex = interceptors::JavaRegex::compile(name);
  if (!regex.ok()) return make_error(fmt::format("'{}': {}", pattern, regex.error().message));
  struct stat st {};
  if (::stat(directory.c_str(), &st) != 0)
    return make_error(fmt::format("directory {} does not exist ({})", directory, std::strerror(errno)));
  if (!S_ISDIR(st.st_mode)) return make_error(fmt::format("{} is not a directory", directory));
  return FilePattern(std::move(directory), std::string(name), std::move(regex).value());
}

bool FilePattern::matches_name(std::string_view name) const {
  return re2::RE2::FullMatch(re2::StringPiece(name.data(), name.size()), regex_.re2());
}

Result<std::vector<MatchedFile>> FilePattern::list() const {
  std::vector<MatchedFile> files;
  Status read = for_each_entry(directory_, [&](std::string_view name) {
    if (!matches_name(name)) return;
    if (auto f = stat_regular(join(directory_, name))) files.push_back(std::move(*f));
  });
  if (!read.ok()) return make_error(read.message());
  std::stable_sort(files.begin(), files.end(),
                   [](const MatchedFile& a, const MatchedFile& b) { return a.modified_ns < b.modified_ns; });
  return files;
}

std::optional<MatchedFile> FilePattern::find_inode(const FileId& id) const {
  std::optional<MatchedFile> found;
  Status read = for_each_entry(directory_, [&](std::string_view name) {
    if (found) return;
    if (auto f = stat_regular(join(directory_, name)); f && f->id == id) found = std::move(f);
  });
  (void)read;  // an unreadable directory: not found
  return found;
}

}  // namespace sluice::tailing
