// Recovery of a file channel's directory at start-up (FileSegmentStore::open): the longest valid
// prefix of the segment files is the log; a damaged record cuts it, the rest of that segment is
// quarantined, and the log continues in the next segment when that one is intact. The steps
// below run in the order recover() lists them. Main thread, before the log is used.
#include "ringbuf/file_segment_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "ringbuf/record.h"
#include "ringbuf/segment_file.h"

namespace sluice::ringbuf {

// What the scan of the segment files has found so far.
struct RecoveryScan {
  struct Kept {
    uint64_t index;
    uint64_t first_sequence;
    uint64_t end_offset;
  };
  struct Cut {
    uint64_t index;
    uint64_t offset;
  };
  std::vector<Kept> kept;
  bool ended = false;              // the log ended (or was cut) in a segment already kept
  bool cut = false;                // something valid-looking may lie beyond the end
  uint64_t expected_sequence = 0;  // of the next record
  std::optional<Cut> bad_record;   // in the last kept segment
};

namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

std::optional<uint64_t> parse_spare_name(std::string_view name) {
  constexpr std::string_view prefix = "spare-", suffix = ".wal";
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

// What scanning one segment found.
struct SegmentScan {
  uint64_t end_offset = 0;  // offset just past the last valid record (or of the end marker)
  uint64_t records = 0;
  uint64_t next_sequence = 0;
  bool ends_with_marker = false;
  bool corrupt = false;    // stopped at a record that is neither valid, empty nor stale
  std::string corruption;  // what was wrong there
};

SegmentScan scan_segment(const std::byte* base, uint64_t segment_bytes, uint64_t first_sequence) {
  SegmentScan scan;
  uint64_t offset = kSegmentHeaderBytes;
  uint64_t expected = first_sequence;
  for (;;) {
    RecordCheck check = check_record(base + offset, segment_bytes - offset);
    if (check == RecordCheck::empty) break;
    if (check != RecordCheck::ok) {
      scan.corrupt = true;
      scan.corruption = std::string(record_check_name(check));
      break;
    }
    EventView view(base + offset);
    if (view.type() == RecordType::segment_end) {
      // A marker ahead in sequence was written by an earlier recovery that quarantined the rest
      // of this segment: the next segment starts there.
      expected = std::max(expected, view.sequence());
      scan.ends_with_marker = true;
      break;
    }
    if (view.sequence() != expected) {
      // A valid record from an earlier life of a recycled file: the log ended before it.
      if (view.sequence() > expected) {
        scan.corrupt = true;
        scan.corruption = fmt::format("sequence {} where {} was expected", view.sequence(), expected);
      }
      break;
    }
    ++expected;
    ++scan.records;
    offset += align_record(view.record_bytes());
  }
  scan.end_offset = offset;
  scan.next_sequence = expected;
  return scan;
}

// The sequence of the record at `offset` of a segment, if a record (or the end marker, then the
// sequence after the segment's last record) starts exactly there.
std::optional<uint64_t> sequence_at(const std::byte* base, uint64_t segment_bytes, uint64_t first_sequence,
                                    uint64_t offset) {
  uint64_t at = kSegmentHeaderBytes;
  uint64_t sequence = first_sequence;
  while (at < offset) {
    if (check_record(base + at, segment_bytes - at) != RecordCheck::ok) return std::nullopt;
    EventView view(base + at);
    if (view.type() == RecordType::segment_end) return std::nullopt;
    sequence = view.sequence() + 1;
    at += align_record(view.record_bytes());
  }
  if (at != offset) return std::nullopt;
  return sequence;
}

}  // namespace

Status FileSegmentStore::recover(const std::vector<std::string>& readers, LogStart& start, RecoveryReport& report) {
  const std::string& what = options_.description;
  std::string checkpoint_dir =
      options_.checkpoint_directory.empty() ? options_.directory : options_.checkpoint_directory;
  auto checkpoint = read_checkpoint_file((fs::path(checkpoint_dir) / "checkpoint").string());
  if (!checkpoint.ok()) return make_error(fmt::format("{}: {}", what, checkpoint.error().message));
  report.found_checkpoint = checkpoint.value().has_value();
  checkpoint_generation_ = report.found_checkpoint ? checkpoint.value()->generation + 1 : 0;

  std::vector<uint64_t> indices;
  std::vector<std::pair<uint64_t, std::string>> spare_names;
  if (Status listed = list_directory(indices, spare_names); !listed)
    return make_error(fmt::format("{}: {}", what, listed.message()));
  adopt_spares(spare_names);

  RecoveryScan scan;
  for (uint64_t index : indices) {
    if (Status s = recover_segment(index, scan, report); !s)
      return make_error(fmt::format("{}: {}", what, s.message()));
  }

  auto write_position = resume_writing(scan, checkpoint.value(), report);
  if (!write_position.ok()) return make_error(fmt::format("{}: {}", what, write_position.error().message));
  start.write_position = write_position.value();
  start.next_sequence = scan.expected_sequence;
  place_readers(readers, checkpoint.value(), scan, start, report);
  reclaim_passed_segments(start, report);
  return {};
}

Status FileSegmentStore::list_directory(std::vector<uint64_t>& indices,
                                        std::vector<std::pair<uint64_t, std::string>>& spares) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.directory, ec)) {
    std::string name = entry.path().filename().string();
    if (auto index = parse_segment_file_name(name)) indices.push_back(*index);
    else if (auto n = parse_spare_name(name)) spares.emplace_back(*n, entry.path().string());
    else if (name.ends_with(".tmp")) fs::remove(entry.path(), ec);
  }
  if (ec) return make_error(fmt::format("cannot list {}: {}", options_.directory, ec.message()));
  std::sort(indices.begin(), indices.end());
  return {};
}

// Spares: reuse up to spare_max, delete the rest.
void FileSegmentStore::adopt_spares(const std::vector<std::pair<uint64_t, std::string>>& spares) {
  for (const auto& [n, path] : spares) {
    next_spare_name_ = std::max(next_spare_name_, n + 1);
    auto m = spares_.size() < options_.spare_max ? map_file(path) : Result<Mapped>(Error{"surplus"});
    if (m.ok()) {
      spares_.push_back(m.value());
    } else {
      ::unlink(path.c_str());
    }
  }
}

// One segment file, in index order: kept as part of the log, or discarded (and why).
Status FileSegmentStore::recover_segment(uint64_t index, RecoveryScan& scan, RecoveryReport& report) {
  const uint64_t S = options_.segment_bytes;
  const std::string path = path_of(index);
  if (scan.bad_record && index == scan.bad_record->index + 1 && scan.bad_record->offset + kRecordHeaderBytes <= S)
    continue_after_bad_record(index, scan, report);
  scan.bad_record.reset();
  if (scan.ended) {
    discard_past_end(path, scan.cut, report);
    return {};
  }
  auto m = map_file(path);
  if (!m.ok()) {
    if (m.error().message.find("segmentSize") != std::string::npos)
      if (Status same = check_segment_size_unchanged(path); !same) return same;
    discard(path, m.error().message, true, report);
    scan.ended = scan.cut = true;
    return {};
  }
  Mapped mapped = m.value();
  SegmentHeader header;
  SegmentHeaderCheck hc = decode_segment_header(mapped.base, header);
  if (hc == SegmentHeaderCheck::other_version) {
    unmap(mapped);
    return make_error(
        fmt::format("{} was written in segment format version {}, this sluice reads version {}: drain "
                    "it with the sluice that wrote it, or move the directory away",
                    path, header.version, kSegmentFormatVersion));
  }
  std::string problem;
  if (hc != SegmentHeaderCheck::ok) problem = "the segment header is damaged";
  else if (header.index != index) problem = fmt::format("the header says segment {}", header.index);
  else if (header.segment_bytes != S) problem = "the header's segment size differs from the file's";
  else if (!scan.kept.empty() && index != scan.kept.back().index + 1) problem = "segments before it are missing";
  else if (!scan.kept.empty() && header.first_sequence != scan.expected_sequence)
    problem =
        fmt::format("it starts at sequence {} where {} was expected", header.first_sequence, scan.expected_sequence);
  if (!problem.empty()) {
    unmap(mapped);
    discard(path, problem, true, report);
    scan.ended = scan.cut = true;
    return {};
  }
  if (scan.kept.empty()) scan.expected_sequence = header.first_sequence;
  keep_segment(index, mapped, header.first_sequence, scan, report);
  return {};
}

// Scans a segment whose header is right and adds it to the log, up to its first bad record.
void FileSegmentStore::keep_segment(uint64_t index, const Mapped& mapped, uint64_t first_sequence, RecoveryScan& scan,
                                    RecoveryReport& report) {
  const uint64_t S = options_.segment_bytes;
  SegmentScan found = scan_segment(mapped.base, S, scan.expected_sequence);
  report.records += found.records;
  scan.expected_sequence = found.next_sequence;
  if (found.corrupt) {
    report.truncated_bytes += S - found.end_offset;
    ++report.corrupt_records;
    auto saved = quarantine(mapped, index, found.end_offset);
    if (saved.ok()) {
      report.quarantined_bytes += S - found.end_offset;
      report.quarantine_files.push_back(saved.value());
    }
    report.problems.push_back(
        fmt::format("{}: bad record at offset {} ({}); the log is cut there, the rest of the segment {}", mapped.path,
                    found.end_offset, found.corruption,
                    saved.ok() ? fmt::format("is saved in {}", saved.value())
                               : fmt::format("is lost ({})", saved.error().message)));
    scan.bad_record = RecoveryScan::Cut{index, found.end_offset};
    scan.cut = true;
  }
  segments_[index] = mapped;
  scan.kept.push_back({index, first_sequence, found.end_offset});
  if (!found.ends_with_marker) scan.ended = true;
}

// The segment after one cut by a bad record is intact: mark the end of the damaged one over its
// bad record and let the log go on in this one (the sequences between are lost, and counted).
void FileSegmentStore::continue_after_bad_record(uint64_t index, RecoveryScan& scan, RecoveryReport& report) {
  auto first = resumable(index, scan.expected_sequence);
  if (!first) return;
  const Mapped& damaged = segments_[scan.bad_record->index];
  encode_segment_end({damaged.base + scan.bad_record->offset, kRecordHeaderBytes}, *first);
  if (fdatasync(damaged.fd) != 0)
    report.problems.push_back(fmt::format("{}: cannot sync the end marker: {}", damaged.path, errno_text(errno)));
  report.lost_events += *first - scan.expected_sequence;
  scan.expected_sequence = *first;
  scan.ended = scan.cut = false;
}

// Files past the end: a segment created just before a crash (normal), or data after a cut (a
// problem, reported).
void FileSegmentStore::discard_past_end(const std::string& path, bool cut, RecoveryReport& report) {
  const uint64_t S = options_.segment_bytes;
  const uint64_t H = kSegmentHeaderBytes;
  auto m = map_file(path);
  bool has_records = false;
  if (m.ok()) {
    SegmentHeader h;
    if (decode_segment_header(m.value().base, h) == SegmentHeaderCheck::ok) {
      has_records = check_record(m.value().base + H, S - H) == RecordCheck::ok &&
                    EventView(m.value().base + H).sequence() == h.first_sequence;
    }
    unmap(m.value());
  }
  discard(path, fmt::format("follows the end of the log{}", has_records ? " and holds records" : ""),
          cut || has_records, report);
}

void FileSegmentStore::discard(const std::string& path, const std::string& why, bool is_problem,
                               RecoveryReport& report) {
  if (is_problem) report.problems.push_back(fmt::format("{}: {}; the file is discarded", path, why));
  ++report.discarded_segments;
  ::unlink(path.c_str());
}

// A file that does not map at the channel's segment size: a changed segmentSize (a start-up
// error, with what to do) rather than a torn file, if its header says so.
Status FileSegmentStore::check_segment_size_unchanged(const std::string& path) {
  const uint64_t S = options_.segment_bytes;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::byte header[kSegmentHeaderBytes] = {};
  SegmentHeader h;
  bool readable = fd >= 0 && pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
  if (fd >= 0) ::close(fd);
  if (readable && decode_segment_header(header, h) == SegmentHeaderCheck::ok && h.segment_bytes != S)
    return make_error(
        fmt::format("{} holds {}-byte segments but the channel's segmentSize is {}: set segmentSize "
                    "back to {} (or let this channel drain first)",
                    path, h.segment_bytes, S, h.segment_bytes));
  return {};
}

// Where appends continue; the segment there exists once this returns.
Result<uint64_t> FileSegmentStore::resume_writing(RecoveryScan& scan, const std::optional<Checkpoint>& checkpoint,
                                                  const RecoveryReport& report) {
  const uint64_t S = options_.segment_bytes;
  const uint64_t H = kSegmentHeaderBytes;
  uint64_t write_position;
  if (scan.kept.empty()) {
    uint64_t after = 0;
    if (report.found_checkpoint)
      for (const auto& e : checkpoint->entries) {
        after = std::max(after, e.position / S + 1);
        scan.expected_sequence = std::max(scan.expected_sequence, e.sequence);
      }
    write_position = after * S + H;
  } else if (!scan.ended) {
    // The last kept segment ends with a marker but its successor is gone: continue in it, over
    // the marker.
    RecoveryScan::Kept& last = scan.kept.back();
    std::memset(segments_[last.index].base + last.end_offset, 0, kRecordHeaderBytes);
    write_position = last.index * S + last.end_offset;
  } else {
    write_position = scan.kept.back().index * S + scan.kept.back().end_offset;
  }
  // The segment appends continue in must exist now: a disk that cannot take even that is a
  // start-up error, not a silent stall.
  if (!segments_.contains(write_position / S)) {
    auto created = open_segment(write_position / S, scan.expected_sequence);
    if (!created.ok()) return created.error();
    // A fresh or recycled file: its first slot must read as empty.
    std::memset(created.value() + H, 0, 8);
  }
  return write_position;
}

// Where each reader resumes: its checkpoint position when a record starts there, else the start
// of that segment (some events twice rather than any skipped), else the oldest kept record.
void FileSegmentStore::place_readers(const std::vector<std::string>& readers,
                                     const std::optional<Checkpoint>& checkpoint, const RecoveryScan& scan,
                                     LogStart& start, RecoveryReport& report) {
  const uint64_t S = options_.segment_bytes;
  const uint64_t H = kSegmentHeaderBytes;
  const uint64_t write_position = start.write_position;
  const uint64_t oldest = scan.kept.empty() ? write_position : scan.kept.front().index * S + H;
  const uint64_t oldest_sequence = scan.kept.empty() ? scan.expected_sequence : scan.kept.front().first_sequence;
  start.reader_positions.clear();
  start.reader_sequences.clear();
  for (const std::string& reader : readers) {
    const CheckpointEntry* entry = report.found_checkpoint ? checkpoint->find(reader) : nullptr;
    uint64_t position = oldest;
    uint64_t sequence = oldest_sequence;
    if (entry && entry->position >= write_position) {
      position = write_position;
      sequence = scan.expected_sequence;
    } else if (entry && entry->position > oldest) {
      uint64_t k = entry->position / S;
      auto it =
          std::find_if(scan.kept.begin(), scan.kept.end(), [&](const RecoveryScan::Kept& s) { return s.index == k; });
      std::optional<uint64_t> at;
      if (it != scan.kept.end()) at = sequence_at(segments_[k].base, S, it->first_sequence, entry->position % S);
      if (at) {
        position = entry->position;
        sequence = *at;
      } else if (it != scan.kept.end()) {
        position = k * S + H;
        sequence = it->first_sequence;
        report.problems.push_back(
            fmt::format("checkpoint position {} of sink {} is not a record boundary; it "
                        "resumes at the start of its segment",
                        entry->position, reader));
      }
    }
    start.reader_positions.push_back(position);
    start.reader_sequences.push_back(sequence);
  }
}

// Segments every reader has passed (the checkpoint was written after the last reclaim) go now.
void FileSegmentStore::reclaim_passed_segments(const LogStart& start, RecoveryReport& report) {
  const uint64_t S = options_.segment_bytes;
  uint64_t min_position = start.write_position;
  uint64_t min_sequence = start.next_sequence;
  for (size_t i = 0; i < start.reader_positions.size(); ++i) {
    min_position = std::min(min_position, start.reader_positions[i]);
    min_sequence = std::min(min_sequence, start.reader_sequences[i]);
  }
  const uint64_t current = start.write_position / S;
  for (auto it = segments_.begin(); it != segments_.end();) {
    if (it->first < min_position / S && it->first < current) {
      retire(it->second);
      it = segments_.erase(it);
    } else {
      ++it;
    }
  }
  report.segments = segments_.size();
  report.undelivered_records =
      start.next_sequence > min_sequence && report.records ? start.next_sequence - min_sequence : 0;
  segment_files_.store(segments_.size(), std::memory_order_relaxed);
  spare_files_.store(spares_.size(), std::memory_order_relaxed);
}

// Best effort by design: a disk that cannot take the copy must not keep the later segments
// from being recovered; the caller says so in its problem line.
Result<std::string> FileSegmentStore::quarantine(const Mapped& segment, uint64_t index, uint64_t offset) {
  const fs::path dir = fs::path(options_.directory) / "quarantine";
  if (::mkdir(dir.c_str(), 0755) == 0) {
    if (fsync(directory_fd_) != 0)
      return make_error(fmt::format("cannot sync {}: {}", options_.directory, errno_text(errno)));
  } else if (errno != EEXIST) {
    return make_error(fmt::format("cannot create {}: {}", dir.string(), errno_text(errno)));
  }
  const std::string base = (dir / fmt::format("{}.{}.corrupt", segment_file_name(index), offset)).string();
  std::string path = base;
  int fd = -1;
  for (int n = 1; n <= 100 && fd < 0; ++n) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return make_error(fmt::format("cannot create {}: {}", path, errno_text(errno)));
    if (fd < 0) path = fmt::format("{}.{}", base, n);
  }
  if (fd < 0) return make_error(fmt::format("{} and 100 more of that name exist", base));
  const std::byte* at = segment.base + offset;
  size_t left = options_.segment_bytes - offset;
  int err = 0;
  while (left > 0 && err == 0) {
    ssize_t n = ::write(fd, at, left);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) at += n, left -= static_cast<size_t>(n);
  }
  if (err == 0 && fdatasync(fd) != 0) err = errno;
  ::close(fd);
  int dir_fd = err == 0 ? ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (err == 0 && (dir_fd < 0 || fsync(dir_fd) != 0)) err = errno;
  if (dir_fd >= 0) ::close(dir_fd);
  if (err != 0) return make_error(fmt::format("cannot write {}: {}", path, errno_text(err)));
  return path;
}

std::optional<uint64_t> FileSegmentStore::resumable(uint64_t index, uint64_t expected_sequence) {
  auto m = map_file(path_of(index));
  if (!m.ok()) return std::nullopt;
  SegmentHeader h;
  bool ok = decode_segment_header(m.value().base, h) == SegmentHeaderCheck::ok && h.index == index &&
            h.segment_bytes == options_.segment_bytes && h.first_sequence >= expected_sequence;
  unmap(m.value());
  return ok ? std::optional<uint64_t>(h.first_sequence) : std::nullopt;
}

}  // namespace sluice::ringbuf
