// The configuration reference (docs/CONFIG.md), rendered from the option tables so that the
// documentation says exactly what the loader accepts. Pure function: any thread.
#pragma once

#include <string>

#include "server/config/catalog.h"

namespace sluice::config {

// Markdown: a short introduction to the file format and value types, then every component
// type's table in `catalog` (type names, key, type, default, description), grouped by kind.
std::string config_reference_markdown(const Catalog& catalog);

}  // namespace sluice::config
