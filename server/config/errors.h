// Collects configuration errors so that a user sees all of them in one run, not one per restart.
// Rendered one per line, sorted by line, as "flume.conf: line 12: message". Owned by the thread
// loading the configuration; not shared.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::config {

class ErrorList {
 public:
  // Beyond this many, render() says how many more there were instead of listing them.
  static constexpr size_t errors_max = 50;

  // line 0: the error concerns no particular line (e.g. "no agent 'a1' in the file").
  void add(int line, std::string message);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }

  // One error per line, no trailing newline. `file_name` prefixes every line when not empty.
  std::string render(std::string_view file_name) const;
  Error to_error(std::string_view file_name) const { return make_error(render(file_name)); }

 private:
  struct Entry {
    int line;
    std::string message;
  };
  std::vector<Entry> errors_;
};

}  // namespace sluice::config
