// libFuzzer target: what TAILDIR reads from disk that someone else may have written
// (server/tailing/): the position file (a Flume agent's, or a damaged one) and tailed file
// bytes cut into lines. Input: the first byte picks a line limit (1 to 256), the rest is read
// as a position file and cut into lines, both while more may come and at a rotated file's end.
// Checks that parsing never crashes, that what was parsed writes back to the same entries,
// and that line cutting consumes every byte exactly once. Single-threaded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/tailing/line_splitter.h"
#include "server/tailing/position_file.h"

using namespace sluice::tailing;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void cut_lines(std::string_view data, size_t max_line_bytes, bool at_end) {
  size_t consumed = 0;
  while (consumed < data.size()) {
    Line line = next_line(data.substr(consumed), max_line_bytes, at_end);
    if (line.consumed == 0) break;
    check(line.text.size() <= max_line_bytes && line.consumed >= line.text.size());
    check(line.text.data() == data.data() + consumed);
    consumed += line.consumed;
  }
  check(consumed <= data.size());
  if (at_end) check(consumed == data.size());
  // What stays is a line begun, shorter than a full window.
  if (!at_end) check(data.size() - consumed < max_line_bytes + 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max_line_bytes = 1 + data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto positions = parse_position_file(text);
  if (positions.ok()) {
    auto again = parse_position_file(format_position_file(positions.value()));
    check(again.ok() && again.value().size() == positions.value().size());
    for (size_t i = 0; i < again.value().size(); ++i) {
      check(again.value()[i].inode == positions.value()[i].inode);
      check(again.value()[i].pos == positions.value()[i].pos);
      check(again.value()[i].file == positions.value()[i].file);
      check(again.value()[i].fingerprint == positions.value()[i].fingerprint);
    }
  }
  cut_lines(text, max_line_bytes, false);
  cut_lines(text, max_line_bytes, true);
  return 0;
}
