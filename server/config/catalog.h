// The catalog: every component type the loader accepts, as the option tables that describe
// them. The tables themselves live with each type's builder (server/app/components/, which
// makes the catalog with app::component_catalog()); the config layer only reads them, so it
// depends on no component.
//
// Threads: a Catalog is made once at start-up (its constructor checks every table and asserts
// on a programmer error) and never changes: any thread may read it.
#pragma once

#include <string_view>
#include <vector>

#include "server/config/schema.h"

namespace sluice::config {

class Catalog {
 public:
  // `specs` must outlive the catalog; they are listed in documentation order.
  explicit Catalog(std::vector<const ComponentSpec*> specs);

  const std::vector<const ComponentSpec*>& specs() const { return specs_; }
  // The spec of `kind` whose type name or alias equals `type_name` ignoring case, or nullptr.
  const ComponentSpec* find(ComponentKind kind, std::string_view type_name) const;

 private:
  std::vector<const ComponentSpec*> specs_;
};

}  // namespace sluice::config
