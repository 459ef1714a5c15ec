#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace pfd::client::fixtures {

// A fresh directory under /tmp, short enough for Unix socket paths (107 bytes), removed with
// everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/pfctl-XXXXXX";
    if (mkdtemp(name) != nullptr) {
      path_ = name;
    }
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace pfd::client::fixtures
