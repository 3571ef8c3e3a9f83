#include "server/config/errors.h"

#include <algorithm>

#include <fmt/format.h>

namespace sluice::config {

void ErrorList::add(int line, std::string message) { errors_.push_back(Entry{line, std::move(message)}); }

std::string ErrorList::render(std::string_view file_name) const {
  // Sorted by line so that the output reads like the file; errors with no line come first.
  std::vector<const Entry*> sorted;
  sorted.reserve(errors_.size());
  for (const Entry& e : errors_) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->line < b->line; });

  std::string out;
  std::string prefix = file_name.empty() ? std::string() : fmt::format("{}: ", file_name);
  size_t shown = std::min(sorted.size(), errors_max);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += '\n';
    out += prefix;
    if (sorted[i]->line > 0) out += fmt::format("line {}: ", sorted[i]->line);
    out += sorted[i]->message;
  }
  if (sorted.size() > shown) {
    out += fmt::format("\n{}... and {} more errors", prefix, sorted.size() - shown);
  }
  return out;
}

}  // namespace sluice::config
