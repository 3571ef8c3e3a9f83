// The HDFS sink's record of the files it has in use and how many bytes of each are durable, kept
// in a small local file so that the next start can finish what a crash (kill -9, power cut)
// left open: each in-use file is cut back to its durable length (dropping a torn tail, whose
// events the channel delivers again) and renamed to its final name. Flume leaves such ".tmp"
// files behind forever; sluice closes them.
//
// The file is replaced as a whole on every save (written beside, fdatasync'd, renamed over,
// directory synced), so it is always one complete version. It is locked (flock) while the sink
// runs: two sluice processes cannot share it. Format, text:
//   sluice-hdfs-journal 1
//   fs <the file system, e.g. webhdfs://nn:9870>
//   file <durable bytes> <length>:<in-use path> <length>:<final path>
//   ...
//   end <number of file lines>
//
// Threads: the sink's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace sluice::sinks::hdfs {

struct JournalEntry {
  std::string in_use_path;
  std::string final_path;
  uint64_t durable_bytes = 0;

  bool operator==(const JournalEntry&) const = default;
};

class OpenFileJournal {
 public:
  // Opens (creating its directory) and locks the journal at `path`, and reads what it holds.
  // `file_system` names the sink's file system; a journal written for another one is an error
  // (its files are not where this configuration writes).
  static Result<std::unique_ptr<OpenFileJournal>> open(const std::string& path, const std::string& file_system);
  ~OpenFileJournal();
  OpenFileJournal(const OpenFileJournal&) = delete;
  OpenFileJournal& operator=(const OpenFileJournal&) = delete;

  // What the journal held when it was opened: the files a previous run left in use.
  const std::vector<JournalEntry>& found() const { return found_; }
  // Replaces the journal's contents with `entries`, durably.
  Status save(std::span<const JournalEntry> entries);
  const std::string& path() const { return path_; }

 private:
  OpenFileJournal(std::string path, std::string file_system, int lock_fd);

  std::string path_;
  std::string file_system_;
  int lock_fd_ = -1;
  std::vector<JournalEntry> found_;
  std::string scratch_;
};

// The journal's text for `entries` (exposed for tests), and its parser.
std::string format_journal(const std::string& file_system, std::span<const JournalEntry> entries);
Result<std::vector<JournalEntry>> parse_journal(std::string_view text, const std::string& file_system);

}  // namespace sluice::sinks::hdfs
