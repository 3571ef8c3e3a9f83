#include "sinks/file_roll/file_roll_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "base/logger.h"
#include "base/time.h"

namespace sluice::sinks::file_roll {
namespace {

// Serialized events are written once this much is buffered (and at the end of every batch).
constexpr size_t kWriteChunkBytes = 1 << 20;

}  // namespace

FileRollSink::FileRollSink(FileRollOptions options) : options_(std::move(options)) {
  buffer_.reserve(kWriteChunkBytes + (64 << 10));
}

FileRollSink::~FileRollSink() { close_file(); }

Status FileRollSink::open() {
  std::error_code ec;
  std::filesystem::create_directories(options_.directory, ec);
  if (ec) return make_error(fmt::format("cannot create directory {}: {}", options_.directory, ec.message()));
  if (access(options_.directory.c_str(), W_OK | X_OK) != 0)
    return make_error(fmt::format("directory {} is not writable: {}", options_.directory, std::strerror(errno)));
  series_ms_ = base::realtime_ms();
  return {};
}

std::string FileRollSink::file_path(uint64_t index) const {
  std::string name = fmt::format("{}{}-{}", options_.prefix, series_ms_, index);
  if (!options_.extension.empty()) name += "." + options_.extension;
  return (std::filesystem::path(options_.directory) / name).string();
}

Status FileRollSink::open_next_file() {
  ++file_index_;
  std::string path = file_path(file_index_);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    --file_index_;
    return make_error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  fd_ = fd;
  file_bytes_ = static_cast<uint64_t>(lseek(fd, 0, SEEK_END));
  current_path_ = std::move(path);
  probe_.file_opened();
  if (options_.roll_interval_ms > 0) next_roll_ms_ = base::realtime_ms() + options_.roll_interval_ms;
  return {};
}

Status FileRollSink::write_buffer() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      probe_.write_failed();
      buffer_.clear();
      return make_error(fmt::format("write to {} failed: {}", current_path_, std::strerror(err)));
    }
    done += static_cast<size_t>(n);
    probe_.bytes_written(static_cast<uint64_t>(n));
  }
  buffer_.clear();
  return {};
}

Delivery FileRollSink::deliver(std::span<const ringbuf::EventView> events) {
  if (fd_ < 0) {
    Status opened = open_next_file();
    if (!opened) return Delivery::retry(opened.message());
  }
  buffer_.clear();
  for (const auto& event : events) {
    if (append_line(buffer_, event, options_.format, options_.invalid_utf8)) probe_.invalid_utf8_event();
    if (buffer_.size() >= kWriteChunkBytes) {
      Status written = write_buffer();
      if (!written) return failed(written);
    }
  }
  Status written = write_buffer();
  if (!written) return failed(written);
  file_bytes_ = static_cast<uint64_t>(lseek(fd_, 0, SEEK_CUR));
  return Delivery::ok();
}

Delivery FileRollSink::failed(const Status& status) {
  // Cut what this batch managed to write, so that the retry starts on a line boundary.
  if (ftruncate(fd_, static_cast<off_t>(file_bytes_)) != 0) {
    std::string why = fmt::format("{}; cutting {} back to {} bytes failed too: {}; reopening", status.message(),
                                  current_path_, file_bytes_, std::strerror(errno));
    close_file();  // the next attempt starts a new file rather than append to a torn one
    return Delivery::retry(why);
  }
  return Delivery::retry(status.message());
}

void FileRollSink::tick(int64_t now_ms) {
  if (fd_ >= 0 && options_.roll_interval_ms > 0 && now_ms >= next_roll_ms_) close_file();
}

void FileRollSink::close_file() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  current_path_.clear();
}

void FileRollSink::close() { close_file(); }

void FileRollSink::collect(base::MetricsWriter& out, const base::Labels& labels) const { probe_.collect(out, labels); }

}  // namespace sluice::sinks::file_roll
