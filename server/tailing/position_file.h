// The TAILDIR position file: where each tailed file was read up to, in Flume's JSON format
// (`[{"inode":2496929,"pos":22,"file":"/var/log/app.log"}]`), so that a position file a Flume
// agent wrote is taken over as it is. sluice adds one key per entry, "fingerprint" (see
// fingerprint.h), which Flume's strict reader would refuse: a file written by sluice is read
// back by sluice, not by Flume (docs/FILE_SOURCES.md says how to hand one back).
//
// Pure functions: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "server/tailing/fingerprint.h"

namespace sluice::tailing {

struct FilePosition {
  uint64_t inode = 0;
  // Bytes of the file whose events are stored (durably, for a file channel).
  uint64_t pos = 0;
  std::string file;                        // absolute path, as the file group's pattern spells it
  std::optional<Fingerprint> fingerprint;  // absent in a Flume agent's file
};

// Reads a position file's text. Empty text (Flume writes a 0-byte file when it tails nothing)
// is no positions. Keys other than Flume's and "fingerprint" are ignored; a missing or mistyped
// inode, pos or file is an error naming the entry (counted from 1).
Result<std::vector<FilePosition>> parse_position_file(std::string_view text);

// One line, no spaces, keys in Flume's order (inode, pos, file) and then the fingerprint.
std::string format_position_file(std::span<const FilePosition> positions);

}  // namespace sluice::tailing
