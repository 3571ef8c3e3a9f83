#include "sinks/hdfs/open_file_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "sinks/hdfs/directory_sync.h"

namespace sluice::sinks::hdfs {
namespace {

constexpr std::string_view kMagic = "sluice-hdfs-journal 1";

std::string errno_text() { return std::strerror(errno); }

// Reads "<length>:<bytes>" at the front of `rest`.
bool take_counted(std::string_view& rest, std::string& out) {
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return false;
  size_t length = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + colon, length);
  if (ec != std::errc() || end != rest.data() + colon || colon + 1 + length > rest.size()) return false;
  out.assign(rest.substr(colon + 1, length));
  rest.remove_prefix(colon + 1 + length);
  return true;
}

bool take_number(std::string_view& rest, uint64_t& out) {
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
  if (ec != std::errc() || end == rest.data()) return false;
  rest.remove_prefix(static_cast<size_t>(end - rest.data()));
  return true;
}

bool take_literal(std::string_view& rest, std::string_view literal) {
  if (rest.substr(0, literal.size()) != literal) return false;
  rest.remove_prefix(literal.size());
  return true;
}

Status sync_directory(const std::string& dir) {
  if (int err = fsync_directory(dir); err != 0)
    return make_error(fmt::format("cannot sync {}: {}", dir, std::strerror(err)));
  return {};
}

}  // namespace

std::string format_journal(const std::string& file_system, std::span<const JournalEntry> entries) {
  std::string out = fmt::format("{}\nfs {}\n", kMagic, file_system);
  for (const JournalEntry& e : entries)
    out += fmt::format("file {} {}:{} {}:{}\n", e.durable_bytes, e.in_use_path.size(), e.in_use_path,
                       e.final_path.size(), e.final_path);
  out += fmt::format("end {}\n", entries.size());
  return out;
}

Result<std::vector<JournalEntry>> parse_journal(std::string_view text, const std::string& file_system) {
  std::string_view rest = text;
  auto bad = [&](std::string_view what) {
    return make_error(fmt::format("malformed ({} at byte {})", what, text.size() - rest.size()));
  };
  if (!take_literal(rest, kMagic) || !take_literal(rest, "\nfs ")) return bad("not a sluice HDFS journal");
  size_t eol = rest.find('\n');
  if (eol == std::string_view::npos) return bad("no end of line");
  std::string_view fs = rest.substr(0, eol);
  if (fs != file_system)
    return make_error(fmt::format("it lists files of {}, but the sink now writes to {}", fs, file_system));
  rest.remove_prefix(eol + 1);
  std::vector<JournalEntry> entries;
  while (take_literal(rest, "file ")) {
    JournalEntry e;
    if (!take_number(rest, e.durable_bytes) || !take_literal(rest, " ") || !take_counted(rest, e.in_use_path) ||
        !take_literal(rest, " ") || !take_counted(rest, e.final_path) || !take_literal(rest, "\n"))
      return bad("bad file line");
    entries.push_back(std::move(e));
  }
  uint64_t count = 0;
  if (!take_literal(rest, "end ") || !take_number(rest, count) || !take_literal(rest, "\n") || !rest.empty())
    return bad("no end line");
  if (count != entries.size()) return bad("wrong file count");
  return entries;
}

OpenFileJournal::OpenFileJournal(std::string path, std::string file_system, int lock_fd)
    : path_(std::move(path)), file_system_(std::move(file_system)), lock_fd_(lock_fd) {}

OpenFileJournal::~OpenFileJournal() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<OpenFileJournal>> OpenFileJournal::open(const std::string& path,
                                                               const std::string& file_system) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (!dir.empty()) fs::create_directories(dir, ec);
  if (ec) return make_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  const std::string lock_path = path + ".lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return make_error(fmt::format("cannot open {}: {}", lock_path, errno_text()));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return make_error(fmt::format("{} is locked: another sluice runs a sink with this state", path));
  }
  std::unique_ptr<OpenFileJournal> journal(new OpenFileJournal(path, file_system, lock_fd));
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno != ENOENT) return make_error(fmt::format("cannot read {}: {}", path, errno_text()));
    return journal;
  }
  std::string text;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) text.append(buffer, n);
  std::fclose(f);
  auto entries = parse_journal(text, file_system);
  if (!entries.ok()) return make_error(fmt::format("journal {}: {}", path, entries.error().message));
  journal->found_ = std::move(entries.value());
  return journal;
}

Status OpenFileJournal::save(std::span<const JournalEntry> entries) {
  scratch_ = format_journal(file_system_, entries);
  const std::string next = path_ + ".next";
  int fd = ::open(next.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(fmt::format("cannot write {}: {}", next, errno_text()));
  std::string_view rest = scratch_;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = errno_text();
      ::close(fd);
      return make_error(fmt::format("cannot write {}: {}", next, why));
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  int rc = ::fdatasync(fd);
  std::string why = errno_text();
  ::close(fd);
  if (rc != 0) return make_error(fmt::format("cannot sync {}: {}", next, why));
  if (std::rename(next.c_str(), path_.c_str()) != 0)
    return make_error(fmt::format("cannot rename {} to {}: {}", next, path_, errno_text()));
  std::string dir = std::filesystem::path(path_).parent_path().string();
  return sync_directory(dir.empty() ? "." : dir);
}

}  // namespace sluice::sinks::hdfs
