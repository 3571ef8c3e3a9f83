// A source's channel selector as its keys describe it (Flume's selector.type = replicating,
// multiplexing or load_balancing and their selector.* keys), by channel names; checked against
// the source's channels when the file is loaded. server/sources/channel_selector.h runs it.
//
// Threads: pure functions (start-up; any thread).
#pragma once

#include <string>
#include <vector>

#include "server/config/schema.h"

namespace sluice::config {

enum class SelectorType : uint8_t { replicating, multiplexing, load_balancing };

struct SelectorMapping {
  std::string value;                  // the header value
  std::vector<std::string> required;  // selector.mapping.<value>
  std::vector<std::string> optional;  // selector.optional.<value>, less what is required
};

struct SelectorSpec {
  SelectorType type = SelectorType::replicating;
  // replicating: selector.optional.
  std::vector<std::string> optional;
  // multiplexing.
  std::string header;
  std::vector<std::string> default_channels;
  std::vector<SelectorMapping> mappings;  // in file order
  // load_balancing: round_robin or random.
  bool random = false;
};

// The selector options every source has (for the common table in catalog.cc).
std::vector<OptionSpec> selector_options();

// The source's selector, from its selector.* keys. Each problem (a channel the source does not
// write to, a key of another selector type, a channel listed twice) goes to `problems`, naming
// the key, when `problems` is given.
SelectorSpec parse_selector(const ComponentConfig& source, std::vector<ComponentProblem>* problems);

}  // namespace sluice::config
