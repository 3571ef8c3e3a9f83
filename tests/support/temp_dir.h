// A directory of its own for one test, removed with everything in it when the test ends.
// One test thread.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "base/assert.h"

namespace sluice::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "sluice-test") {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    SLUICE_ASSERT(::mkdtemp(pattern.data()) != nullptr, "cannot create a temporary directory");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sluice::testing
