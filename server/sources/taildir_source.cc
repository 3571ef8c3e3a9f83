#include "server/sources/taildir_source.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/assert.h"
#include "server/tailing/line_splitter.h"

namespace sluice::sources {
namespace {

constexpr size_t kDigitsMax = 20;  // a 64-bit offset in decimal
constexpr size_t kInotifyBufferBytes = 64 << 10;
constexpr uint32_t kWatchMask = IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
                                IN_MOVE_SELF | IN_ATTRIB | IN_CLOSE_WRITE;
// A followed file truncated (copytruncate) stays recognisable this long for its copy.
constexpr int64_t kTruncatedMemoryMs = 10'000;

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

// The fingerprint of the kFingerprintBytes (fewer near the start) before `pos` in `fd`.
tailing::Fingerprint tail_before(int fd, uint64_t pos) {
  char bytes[tailing::kFingerprintBytes];
  const size_t n = static_cast<size_t>(std::min<uint64_t>(pos, tailing::kFingerprintBytes));
  if (n == 0) return {};
  const ssize_t got = ::pread(fd, bytes, n, static_cast<off_t>(pos - n));
  if (got != static_cast<ssize_t>(n)) return {};
  return tailing::fingerprint_of(std::string_view(bytes, n));
}

std::optional<tailing::FileId> identity_of(int fd, uint64_t* size = nullptr) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  if (size != nullptr) *size = static_cast<uint64_t>(st.st_size);
  return tailing::FileId{st.st_dev, st.st_ino};
}

}  // namespace

void TaildirProbe::collect(base::MetricsWriter& out, const base::Labels& labels) const {
  out.gauge("sluice_source_taildir_followed_files", "Files a TAILDIR source follows now.", labels,
            static_cast<double>(files_tracked.value()));
  out.gauge("sluice_source_taildir_open_files", "Followed files with an open descriptor (idle ones are closed).",
            labels, static_cast<double>(files_open.value()));
  out.counter("sluice_source_taildir_rotated_files_total",
              "Followed files that left their matching name (renamed or deleted); each is read to its end.", labels,
              static_cast<double>(rotations.value()));
  out.counter("sluice_source_taildir_truncated_files_total",
              "Followed files found shorter than what was read (copytruncate); read again from the start.", labels,
              static_cast<double>(truncations.value()));
  out.counter("sluice_source_taildir_recognised_copies_total",
              "New files recognised as copies of followed ones (same first bytes and same bytes before the "
              "read position), continued where the original was instead of sent again.",
              labels, static_cast<double>(copies_recognised.value()));
  out.counter("sluice_source_taildir_cut_lines_total",
              "Pieces of lines longer than maxLineLength, each sent as an event.", labels,
              static_cast<double>(lines_cut.value()));
  out.counter("sluice_source_taildir_position_writes_total", "Position files written.", labels,
              static_cast<double>(position_writes.value()));
  out.counter("sluice_source_taildir_position_errors_total", "Position files that could not be written.", labels,
              static_cast<double>(position_write_errors.value()));
  out.counter("sluice_source_taildir_read_errors_total", "Failed reads of followed files.", labels,
              static_cast<double>(read_errors.value()));
}

Result<std::unique_ptr<TaildirSource>> TaildirSource::create(const TaildirOptions& options, EventWriter writer,
                                                             SourceProbe& probe, TaildirProbe& taildir_probe) {
  SLUICE_ASSERT(options.read_buffer_bytes > options.max_line_bytes + 2 + tailing::kFingerprintBytes,
                "the read buffer must hold a whole line and the bytes before it");
  const std::string& path = options.position_file;
  std::error_code ec;
  std::filesystem::create_directories(directory_of(path), ec);
  if (ec) return make_error(fmt::format("cannot create the directory of position file {}: {}", path, ec.message()));
  std::vector<tailing::FilePosition> positions;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = tailing::parse_position_file(text.str());
    if (!parsed.ok())
      return make_error(fmt::format("position file {}: {} (fix it, or delete it to read every file from the start)",
                                    path, parsed.error().message));
    positions = std::move(parsed).value();
  } else if (::access(path.c_str(), F_OK) == 0) {
    return make_error(fmt::format("cannot read position file {}: {}", path, std::strerror(errno)));
  }
  return std::unique_ptr<TaildirSource>(
      new TaildirSource(options, std::move(writer), probe, taildir_probe, std::move(positions)));
}

TaildirSource::TaildirSource(const TaildirOptions& options, EventWriter writer, SourceProbe& probe,
                             TaildirProbe& taildir_probe, std::vector<tailing::FilePosition> positions)
    : options_(options),
      writer_(std::move(writer)),
      probe_(probe),
      taildir_probe_(taildir_probe),
      loaded_positions_(std::move(positions)),
      inotify_buffer_(new char[kInotifyBufferBytes]),
      read_buffer_(new char[options.read_buffer_bytes]) {
  SLUICE_ASSERT(options.batch_size > 0, "TAILDIR batch size must be positive");
  size_t most_headers = 0;
  for (const auto& g : options.groups) most_headers = std::max(most_headers, g.headers.size());
  headers_per_event_ = most_headers + (options.byte_offset_header ? 1 : 0) + (options.file_header ? 1 : 0);
  events_.reserve(options.batch_size);
  headers_.reserve(size_t{options.batch_size} * headers_per_event_);
  offset_digits_.resize(size_t{options.batch_size} * kDigitsMax);
  for (const auto& g : options.groups) directories_.push_back(g.pattern.directory());
}

TaildirSource::~TaildirSource() {
  for (auto& [id, f] : files_)
    if (f->fd >= 0) ::close(f->fd);
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

// --- Start, stop ---------------------------------------------------------------------------

Status TaildirSource::start(ShardContext& context) {
  context_ = &context;
  now_ms_ = context.now_ms;
  if (Status s = watch_directories(); !s) return s;
  arm_inotify();
  scan(true);
  next_scan_ms_ = now_ms_ + options_.rescan_interval_ms;
  next_position_write_ms_ = now_ms_ + options_.write_pos_interval_ms;
  start_next_read();
  return {};
}

Status TaildirSource::watch_directories() {
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC);  // blocking: io_uring waits for it to be readable
  if (inotify_fd_ < 0)
    return make_error(fmt::format("source {}: inotify_init1: {}", options_.name, std::strerror(errno)));
  for (size_t i = 0; i < directories_.size(); ++i) {
    const int wd = ::inotify_add_watch(inotify_fd_, directories_[i].c_str(), kWatchMask);
    if (wd < 0)
      return make_error(fmt::format("source {}: cannot watch directory {}: {}", options_.name, directories_[i],
                                    std::strerror(errno)));
    watches_.emplace(wd, i);  // the same directory twice gives the same wd: the first group keeps it
  }
  return {};
}

void TaildirSource::arm_inotify() {
  io_uring_sqe* sqe = context_->reactor->sqe();
  io_uring_prep_read(sqe, inotify_fd_, inotify_buffer_.get(), kInotifyBufferBytes, 0);
  sqe->user_data = reactor::tag(this, kInotify);
  inotify_armed_ = true;
}

void TaildirSource::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (inotify_armed_) {
    io_uring_sqe* sqe = context_->reactor->sqe();
    io_uring_prep_cancel64(sqe, reactor::tag(this, kInotify), 0);
    sqe->user_data = reactor::kIgnoredCompletion;
  }
}

bool TaildirSource::stopped() const { return stopping_ && !inotify_armed_ && reading_ == nullptr; }

std::string TaildirSource::stop_diagnostics() const {
  return fmt::format("source {}: inotify read {}, file read {}", options_.name, inotify_armed_ ? "in flight" : "done",
                     reading_ != nullptr ? reading_->path : "none");
}

void TaildirSource::finish() {
  advance_commits();
  write_positions();
}

void TaildirSource::on_completion(uint8_t op, const io_uring_cqe& cqe) {
  if (op == kInotify) on_inotify(cqe.res);
  else if (op == kRead) on_read(cqe.res);
}

// --- The shard loop ------------------------------------------------------------------------

void TaildirSource::after_batch() {
  advance_commits();
  if (!stopping_ && (rescan_ || now_ms_ >= next_scan_ms_)) {
    const bool periodic = now_ms_ >= next_scan_ms_;
    rescan_ = false;
    scan(false);
    if (periodic) {
      check_idle_and_rotated();
      next_scan_ms_ = now_ms_ + options_.rescan_interval_ms;
    }
  }
  if (now_ms_ >= next_position_write_ms_) {
    write_positions();
    next_position_write_ms_ = now_ms_ + options_.write_pos_interval_ms;
  }
  // A refused batch is offered again on the next turn (the shard comes back within a ms).
  waiting_for_space_ = false;
  if (buffered_ != nullptr && !stopping_) ingest_buffer();
  start_next_read();
}

void TaildirSource::on_inotify(int result) {
  inotify_armed_ = false;
  if (result < 0) {
    if (result != -ECANCELED && !stopping_)
      base::log_error("source {}: reading inotify events failed: {}; rescanning every {} ms only", options_.name,
                      std::strerror(-result), options_.rescan_interval_ms);
    return;
  }
  bool rotated_may_grow = false;
  for (size_t at = 0; at + sizeof(inotify_event) <= static_cast<size_t>(result);) {
    const auto* e = reinterpret_cast<const inotify_event*>(inotify_buffer_.get() + at);
    at += sizeof(inotify_event) + e->len;
    if ((e->mask & IN_Q_OVERFLOW) != 0) {
      rescan_ = true;
      continue;
    }
    auto watch = watches_.find(e->wd);
    if (watch == watches_.end()) continue;
    const std::string_view name(e->len > 0 ? e->name : "", e->len > 0 ? std::strlen(e->name) : 0);
    if ((e->mask & IN_MODIFY) != 0 && !name.empty()) {
      const std::string path = directories_[watch->second] == "/"
                                   ? fmt::format("/{}", name)
                                   : fmt::format("{}/{}", directories_[watch->second], name);
      if (auto it = by_path_.find(path); it != by_path_.end()) mark_changed(*it->second);
      else if (options_.groups[watch->second].pattern.matches_name(name)) rescan_ = true;
      else rotated_may_grow = true;  // a rotated file has a name we do not follow
      continue;
    }
    if ((e->mask & (IN_CLOSE_WRITE | IN_ATTRIB)) != 0 && !name.empty()) continue;
    rescan_ = true;  // a name appeared, went or moved
  }
  if (rotated_may_grow)
    for (auto& [id, f] : files_)
      if (f->rotated) mark_changed(*f);
  if (!stopping_) arm_inotify();
}

// --- Discovering files ---------------------------------------------------------------------

void TaildirSource::scan(bool starting) {
  for (auto& [id, f] : files_) f->seen = false;
  for (size_t g = 0; g < options_.groups.size(); ++g) {
    auto listed = options_.groups[g].pattern.list();
    if (!listed.ok()) {
      if (rate_limited_log_.allow(now_ms_)) base::log_error("source {}: {}", options_.name, listed.error().message);
      for (auto& [id, f] : files_)
        if (f->group == g) f->seen = true;  // unknown, not gone
      continue;
    }
    for (const tailing::MatchedFile& m : listed.value()) {
      auto it = files_.find(m.id);
      if (it == files_.end()) {
        track_new(m, g, starting);
        continue;
      }
      TailFile& f = *it->second;
      if (f.seen) continue;  // matched by an earlier group too
      f.seen = true;
      if (f.path != m.path) {
        if (auto old = by_path_.find(f.path); old != by_path_.end() && old->second == &f) by_path_.erase(old);
        f.path = m.path;
        positions_dirty_ = true;
      }
      by_path_[f.path] = &f;
      f.rotated = false;
      if (m.size != f.size_seen) mark_changed(f);
    }
  }
  if (starting) {
    resume_rotated_from_positions();
    loaded_positions_.clear();
    loaded_positions_.shrink_to_fit();
  }
  for (auto& [id, f] : files_) {
    if (f->seen || f->rotated) continue;
    // Renamed to a name no group matches, or deleted: what is left in it is still read.
    f->rotated = true;
    taildir_probe_.rotations.add();
    if (auto it = by_path_.find(f->path); it != by_path_.end() && it->second == f.get()) by_path_.erase(it);
    mark_changed(*f);
  }
  // Copies and truncated files forgotten after a while.
  std::erase_if(truncated_, [&](const Truncated& t) { return now_ms_ - t.at_ms > kTruncatedMemoryMs; });
}

void TaildirSource::track_new(const tailing::MatchedFile& found, size_t group, bool starting) {
  const int fd = ::open(found.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (rate_limited_log_.allow(now_ms_))
      base::log_warn("source {}: cannot open {}: {}; trying again at the next scan", options_.name, found.path,
                     std::strerror(errno));
    return;
  }
  uint64_t size = 0;
  auto id = identity_of(fd, &size);
  if (!id || !(*id == found.id)) {  // replaced between the listing and the open
    ::close(fd);
    rescan_ = true;
    return;
  }
  auto f = std::make_unique<TailFile>();
  f->id = found.id;
  f->path = found.path;
  f->group = group;
  f->fd = fd;
  f->last_growth_ms = now_ms_;
  if (auto head = tailing::read_fingerprint(fd); head.ok()) f->head = head.value();
  uint64_t pos = 0;
  const Resumed* resumed = nullptr;
  Resumed copy;
  if (starting) {
    auto p = std::find_if(loaded_positions_.begin(), loaded_positions_.end(), [&](const tailing::FilePosition& fp) {
      return fp.inode == static_cast<uint64_t>(found.id.inode);
    });
    if (p != loaded_positions_.end()) {
      auto same = p->fingerprint ? tailing::starts_like(fd, *p->fingerprint) : Result<bool>(true);
      if (!same.ok() || !same.value()) {
        base::log_info(
            "source {}: {} has the inode of {} in the position file but other contents; reading it from "
            "the start",
            options_.name, found.path, p->file);
      } else if (p->pos > size) {
        base::log_info(
            "source {}: {} is shorter ({} bytes) than its position ({}): truncated while sluice was "
            "down; reading it from the start",
            options_.name, found.path, size, p->pos);
      } else {
        pos = p->pos;
      }
      loaded_positions_.erase(p);
    } else if (options_.skip_to_end) {
      pos = size;
    }
  } else {
    switch (check_copy(found, fd, size, copy)) {
      case CopyCheck::not_a_copy: break;
      case CopyCheck::maybe_later: ::close(fd); return;
      case CopyCheck::copy: resumed = &copy; break;
    }
  }
  if (resumed != nullptr) {
    f->read_pos = resumed->read_pos;
    f->committed_pos = resumed->committed_pos;
    f->pending = resumed->pending;
    f->pending_count = resumed->pending_count;
    f->tail = resumed->tail;
    taildir_probe_.copies_recognised.add();
    base::log_info("source {}: {} is a copy of {}; continuing at byte {}", options_.name, found.path, resumed->from,
                   resumed->read_pos);
  } else {
    f->read_pos = f->committed_pos = pos;
    f->tail = tail_before(fd, pos);
  }
  f->size_seen = f->read_pos;
  f->seen = true;
  copy_waits_.erase(found.path);
  follow(std::move(f));
}

void TaildirSource::follow(std::unique_ptr<TailFile> file) {
  TailFile& f = *file;
  files_.emplace(f.id, std::move(file));
  if (!f.rotated) by_path_[f.path] = &f;  // a rotated file's name is no group's
  taildir_probe_.files_tracked.add(1);
  taildir_probe_.files_open.add(1);
  positions_dirty_ = true;
  mark_changed(f);
}

TaildirSource::CopyCheck TaildirSource::check_copy(const tailing::MatchedFile& found, int fd, uint64_t size,
                                                   Resumed& out) {
  // A copy is recognised only beside a file that was truncated (copytruncate copies, then
  // truncates): content alone cannot tell a copy from a new file that starts the same way (two
  // services writing the same banner), and sending again is better than skipping lines.
  const std::string directory = directory_of(found.path);
  // The original may be truncated already without a read having seen it yet.
  for (auto& [id, t] : files_) {
    uint64_t now_size = 0;
    if (t->fd >= 0 && t->read_pos > 0 && directory_of(t->path) == directory && identity_of(t->fd, &now_size) &&
        now_size < t->read_pos && reading_ != t.get() && buffered_ != t.get()) {
      truncated(*t);
      mark_changed(*t);
    }
  }
  for (auto t = truncated_.begin(); t != truncated_.end(); ++t) {
    const Resumed& r = t->before;
    if (directory_of(r.from) != directory || r.read_pos == 0 || r.head.empty() || size < r.read_pos) continue;
    auto head = tailing::read_fingerprint(fd, r.head.bytes);
    if (!head.ok() || !(head.value() == r.head) || !(tail_before(fd, r.read_pos) == r.tail)) continue;
    out = r;
    truncated_.erase(t);  // one copy per truncation
    copy_waits_.erase(found.path);
    return CopyCheck::copy;
  }
  // It may be a copy whose original is not truncated yet, or that is still being written
  // (logrotate creates it empty, then fills it): it waits while it starts like a followed file
  // beside it that was read, at most copy_wait_ms, then is read from its start.
  bool maybe = false;
  for (const auto& [id, t] : files_) {
    if (maybe) break;
    if (t->fd < 0 || t->read_pos == 0 || t->head.empty() || directory_of(t->path) != directory) continue;
    if (size == 0) {
      maybe = true;
      break;
    }
    const uint32_t have = static_cast<uint32_t>(std::min<uint64_t>(size, t->head.bytes));
    auto prefix = tailing::read_fingerprint(fd, have);
    auto original = tailing::read_fingerprint(t->fd, have);
    maybe = prefix.ok() && original.ok() && prefix.value() == original.value();
  }
  if (!maybe) {
    copy_waits_.erase(found.path);
    return CopyCheck::not_a_copy;
  }
  auto [it, inserted] = copy_waits_.try_emplace(found.path, now_ms_);
  if (now_ms_ - it->second < options_.copy_wait_ms) {
    rescan_ = true;
    return CopyCheck::maybe_later;
  }
  copy_waits_.erase(it);
  return CopyCheck::not_a_copy;
}

void TaildirSource::resume_rotated_from_positions() {
  // Files in the position file no group matches now: rotated while sluice was down. Those still
  // in their group's directory under another name are read to their end.
  for (const tailing::FilePosition& p : loaded_positions_) {
    const std::string directory = directory_of(p.file);
    for (size_t g = 0; g < options_.groups.size(); ++g) {
      if (options_.groups[g].pattern.directory() != directory) continue;
      struct stat st {};
      if (::stat(directory.c_str(), &st) != 0) break;
      const tailing::FileId id{st.st_dev, static_cast<ino_t>(p.inode)};
      if (files_.count(id) != 0) break;
      auto found = options_.groups[g].pattern.find_inode(id);
      if (!found) break;
      const int fd = ::open(found->path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      auto same = p.fingerprint ? tailing::starts_like(fd, *p.fingerprint) : Result<bool>(true);
      if (!same.ok() || !same.value() || p.pos > found->size) {
        ::close(fd);
        break;
      }
      auto f = std::make_unique<TailFile>();
      f->id = id;
      f->path = found->path;
      f->group = g;
      f->fd = fd;
      f->read_pos = f->committed_pos = f->size_seen = p.pos;
      if (auto head = tailing::read_fingerprint(fd); head.ok()) f->head = head.value();
      f->tail = tail_before(fd, p.pos);
      f->rotated = true;
      f->seen = true;
      f->last_growth_ms = now_ms_;
      base::log_info("source {}: {} (was {}) was rotated while sluice was down; reading it to its end", options_.name,
                     found->path, p.file);
      taildir_probe_.rotations.add();
      follow(std::move(f));
      break;
    }
  }
}

bool TaildirSource::open_file(TailFile& f) {
  // An idle file was closed; it may have been renamed since (then a scan found its new name,
  // or it is beside the old one under a name no group matches).
  int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    auto id = identity_of(fd);
    if (!id || !(*id == f.id)) {
      ::close(fd);
      fd = -1;
    }
  }
  if (fd < 0) {
    if (auto moved = options_.groups[f.group].pattern.find_inode(f.id)) {
      fd = ::open(moved->path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) f.path = moved->path;
    }
  }
  if (fd >= 0 && !f.head.empty()) {
    // An inode is reused only once no descriptor holds it: check it is still the same file.
    auto same = tailing::starts_like(fd, f.head);
    if (!same.ok() || !same.value()) {
      ::close(fd);
      fd = -1;
    }
  }
  if (fd < 0) return false;
  f.fd = fd;
  taildir_probe_.files_open.add(1);
  return true;
}

void TaildirSource::close_file(TailFile& f) {
  if (f.fd < 0) return;
  ::close(f.fd);
  f.fd = -1;
  taildir_probe_.files_open.add(-1);
}

void TaildirSource::release(TailFile& f) {
  SLUICE_ASSERT(!f.queued && reading_ != &f && buffered_ != &f, "a file is released while it is read");
  close_file(f);
  if (auto it = by_path_.find(f.path); it != by_path_.end() && it->second == &f) by_path_.erase(it);
  taildir_probe_.files_tracked.add(-1);
  positions_dirty_ = true;
  files_.erase(f.id);  // f is gone
}

void TaildirSource::mark_changed(TailFile& f) {
  if (reading_ == &f) {
    changed_during_read_ = true;
    return;
  }
  if (f.queued) return;
  f.queued = true;
  ready_.push_back(&f);
}

void TaildirSource::check_idle_and_rotated() {
  std::vector<TailFile*> done;
  for (auto& [id, fp] : files_) {
    TailFile& f = *fp;
    if (f.queued || reading_ == &f || buffered_ == &f) continue;
    if (f.rotated) {
      uint64_t size = f.size_seen;
      if (f.fd >= 0) identity_of(f.fd, &size);
      if (size != f.size_seen) {
        mark_changed(f);
      } else if (now_ms_ - f.last_growth_ms >= options_.rotated_linger_ms) {
        if (f.read_pos < size && !f.final_read) {
          f.final_read = true;  // its last line has no LF and never will: send it as it is
          mark_changed(f);
        } else if (f.read_pos >= size && f.pending_count == 0) {
          done.push_back(&f);
        }
      }
    } else if (f.fd >= 0 && f.pending_count == 0 && now_ms_ - f.last_growth_ms >= options_.idle_timeout_ms) {
      close_file(f);  // Flume's idleTimeout: reopened when it changes
    }
  }
  for (TailFile* f : done) release(*f);
}

// --- Reading -------------------------------------------------------------------------------

void TaildirSource::start_next_read() {
  if (stopping_ || reading_ != nullptr || buffered_ != nullptr) return;
  while (!ready_.empty()) {
    TailFile* f = ready_.front();
    ready_.pop_front();
    f->queued = false;
    if (f->fd < 0 && !open_file(*f)) {
      if (rate_limited_log_.allow(now_ms_))
        base::log_warn("source {}: {} is gone; {} bytes of it were read", options_.name, f->path, f->read_pos);
      if (f->pending_count == 0) release(*f);
      else f->rotated = true;
      continue;
    }
    reading_lead_ = static_cast<size_t>(std::min<uint64_t>(f->read_pos, tailing::kFingerprintBytes));
    reading_at_ = f->read_pos - reading_lead_;
    io_uring_sqe* sqe = context_->reactor->sqe();
    io_uring_prep_read(sqe, f->fd, read_buffer_.get(), static_cast<unsigned>(options_.read_buffer_bytes), reading_at_);
    sqe->user_data = reactor::tag(this, kRead);
    reading_ = f;
    changed_during_read_ = false;
    batches_of_current_ = 0;
    return;
  }
}

void TaildirSource::on_read(int result) {
  TailFile& f = *reading_;
  reading_ = nullptr;
  const bool changed_during_read = changed_during_read_;
  changed_during_read_ = false;
  if (result < 0) {
    taildir_probe_.read_errors.add();
    if (rate_limited_log_.allow(now_ms_))
      base::log_error("source {}: reading {} at byte {} failed: {}; trying again when it changes", options_.name,
                      f.path, reading_at_ + reading_lead_, std::strerror(-result));
    close_file(f);
    return;
  }
  const size_t n = static_cast<size_t>(result);
  const uint64_t end = reading_at_ + n;
  if (n <= reading_lead_) {
    uint64_t size = 0;
    if (identity_of(f.fd, &size) && size < f.read_pos) {
      truncated(f);
      mark_changed(f);
      return;
    }
    f.size_seen = std::max(f.size_seen, end);
    if (changed_during_read) mark_changed(f);
    return;
  }
  if (end > f.size_seen) {
    f.size_seen = end;
    f.last_growth_ms = now_ms_;
  }
  if (reading_at_ == 0 && f.head.partial()) f.head = tailing::fingerprint_of(std::string_view(read_buffer_.get(), n));
  buffered_ = &f;
  buffered_bytes_ = n;
  buffered_from_ = reading_lead_;
  buffered_changed_ = changed_during_read;
  ingest_buffer();
}

void TaildirSource::ingest_buffer() {
  TailFile& f = *buffered_;
  const std::string_view buffer(read_buffer_.get(), buffered_bytes_);
  const uint64_t end = reading_at_ + buffered_bytes_;
  const bool at_eof = buffered_bytes_ < options_.read_buffer_bytes;
  const bool at_end = f.final_read && at_eof;
  bool refused = false, more = false;
  const size_t stored = ingest(f, buffer.substr(buffered_from_), f.read_pos, at_end, refused, more);
  if (stored > 0) {
    f.read_pos += stored;
    buffered_from_ += stored;
    const size_t tail_bytes = static_cast<size_t>(std::min<uint64_t>(f.read_pos, tailing::kFingerprintBytes));
    f.tail =
        tailing::fingerprint_of(buffer.substr(static_cast<size_t>(f.read_pos - tail_bytes - reading_at_), tail_bytes));
    add_pending(f);
    positions_dirty_ = true;
  }
  if (at_end && f.read_pos >= end) f.final_read = false;
  if (refused) {
    // The rest stays in the buffer and is offered again after the next batch: no re-read.
    waiting_for_space_ = true;
    return;
  }
  buffered_ = nullptr;
  if (more || !at_eof || buffered_changed_) mark_changed(f);
}

size_t TaildirSource::ingest(TailFile& f, std::string_view data, uint64_t data_pos, bool at_end, bool& refused,
                             bool& more) {
  const TaildirOptions::Group& group = options_.groups[f.group];
  size_t stored = 0;  // bytes whose events are written
  size_t parsed = 0;  // bytes whose events are in the batch being built
  events_.clear();
  headers_.clear();
  while (true) {
    const tailing::Line line = tailing::next_line(data.substr(parsed), options_.max_line_bytes, at_end);
    if (line.consumed == 0) break;
    if (line.cut) taildir_probe_.lines_cut.add();
    const size_t first_header = headers_.size();
    if (options_.byte_offset_header) {
      char* slot = offset_digits_.data() + events_.size() * kDigitsMax;
      auto [digits_end, ec] = std::to_chars(slot, slot + kDigitsMax, data_pos + parsed);
      SLUICE_ASSERT(ec == std::errc(), "a 64-bit offset fits 20 digits");
      headers_.push_back({"byteoffset", std::string_view(slot, static_cast<size_t>(digits_end - slot))});
    }
    for (const auto& [key, value] : group.headers) headers_.push_back({key, value});
    if (options_.file_header) headers_.push_back({options_.file_header_key, f.path});
    SLUICE_ASSERT(headers_.size() <= headers_.capacity(), "TAILDIR headers reserved for a whole batch");
    ringbuf::PreparedEvent& e = events_.emplace_back();
    e.timestamp_ms = now_ms_;
    e.headers = std::span<const ringbuf::Header>(headers_.data() + first_header, headers_.size() - first_header);
    e.body = line.text;
    parsed += line.consumed;
    if (events_.size() < options_.batch_size) continue;
    if (!flush_batch(refused)) return stored;
    stored = parsed;
    if (++batches_of_current_ >= options_.max_batch_count) {
      more = true;  // the other files' turn (Flume's maxBatchCount)
      return stored;
    }
  }
  if (!events_.empty()) {
    if (!flush_batch(refused)) return stored;
    stored = parsed;
    ++batches_of_current_;
  }
  return stored;
}

bool TaildirSource::flush_batch(bool& refused) {
  const EventWriter::Written written = writer_.write(events_, now_ms_);
  if (written.refusal == ringbuf::AppendRefusal::too_large) {
    // start-up checked that a line of maxLineLength and its headers fit every channel.
    if (rate_limited_log_.allow(now_ms_))
      base::log_error("source {}: a channel refused {} events as too large; they are dropped", options_.name,
                      events_.size());
    for (const auto& e : events_) probe_.event_rejected(e.body.size());
  } else if (written.refusal != ringbuf::AppendRefusal::none) {
    refused = true;
    probe_.paused_for_space();
    events_.clear();
    headers_.clear();
    return false;
  } else {
    // The writer says how many the interceptors dropped, not which: counts exact, bytes nearly.
    const size_t kept = events_.size() - written.filtered;
    for (size_t i = 0; i < events_.size(); ++i) {
      if (i < kept) probe_.event_accepted(events_[i].body.size());
      else probe_.event_filtered(events_[i].body.size());
    }
    probe_.routed(written.unrouted, written.optional_dropped);
  }
  events_.clear();
  headers_.clear();
  return true;
}

void TaildirSource::truncated(TailFile& f) {
  base::log_info("source {}: {} was truncated (copytruncate?) below byte {}; reading it again from the start",
                 options_.name, f.path, f.read_pos);
  taildir_probe_.truncations.add();
  // Remembered a while, so that its copy is recognised even when it is found after this.
  truncated_.push_back(
      {now_ms_, Resumed{f.path, f.read_pos, f.committed_pos, f.head, f.tail, f.pending, f.pending_count}});
  f.read_pos = f.committed_pos = f.size_seen = 0;
  f.pending_count = 0;
  f.head = {};
  f.tail = {};
  positions_dirty_ = true;
}

// --- Commits and the position file ----------------------------------------------------------

void TaildirSource::add_pending(TailFile& f) {
  std::span<ringbuf::Log* const> logs = writer_.acknowledged_logs();
  const size_t slot = f.pending_count < f.pending.size() ? f.pending_count++ : f.pending.size() - 1;
  PendingCommit& p = f.pending[slot];
  p.pos = f.read_pos;
  for (size_t i = 0; i < logs.size(); ++i) p.targets[i] = logs[i]->next_sequence();
}

void TaildirSource::advance_commits() {
  std::span<ringbuf::Log* const> logs = writer_.acknowledged_logs();
  for (auto& [id, fp] : files_) {
    TailFile& f = *fp;
    size_t done = 0;
    while (done < f.pending_count) {
      const PendingCommit& p = f.pending[done];
      bool durable = true;
      for (size_t i = 0; i < logs.size() && durable; ++i) durable = logs[i]->safe_sequence() >= p.targets[i];
      if (!durable) break;
      f.committed_pos = p.pos;
      ++done;
    }
    if (done == 0) continue;
    std::move(f.pending.begin() + static_cast<std::ptrdiff_t>(done),
              f.pending.begin() + static_cast<std::ptrdiff_t>(f.pending_count), f.pending.begin());
    f.pending_count -= done;
    positions_dirty_ = true;
  }
}

void TaildirSource::write_positions() {
  if (!positions_dirty_) return;
  positions_dirty_ = false;
  std::vector<tailing::FilePosition> positions;
  positions.reserve(files_.size());
  for (const auto& [id, f] : files_) {
    tailing::FilePosition& p = positions.emplace_back();
    p.inode = static_cast<uint64_t>(f->id.inode);
    p.pos = f->committed_pos;
    p.file = f->path;
    if (!f->head.empty()) p.fingerprint = f->head;
  }
  std::sort(positions.begin(), positions.end(),
            [](const tailing::FilePosition& a, const tailing::FilePosition& b) { return a.file < b.file; });
  std::string text = tailing::format_position_file(positions);
  if (text == last_positions_written_) return;
  // A new file renamed over the old one: a crash leaves the old or the new, never half of one.
  const std::string& path = options_.position_file;
  const std::string temporary = path + ".tmp";
  auto fail = [&](const char* what) {
    taildir_probe_.position_write_errors.add();
    positions_dirty_ = true;  // tried again at the next interval
    if (rate_limited_log_.allow(now_ms_))
      base::log_error("source {}: cannot write position file {}: {}: {}", options_.name, path, what,
                      std::strerror(errno));
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("open");
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t w = ::write(fd, text.data() + written, text.size() - written);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      return fail("write");
    }
    written += static_cast<size_t>(w);
  }
  if (::fdatasync(fd) != 0) {
    ::close(fd);
    return fail("fdatasync");
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return fail("rename");
  taildir_probe_.position_writes.add();
  last_positions_written_ = std::move(text);
}

}  // namespace sluice::sources
