#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace pfd::app::testing {

// A fresh 0700 directory under /tmp (short enough for a Unix socket path), removed with
// everything in it when the test ends.
class PrivateTempDir {
 public:
  PrivateTempDir() {
    char name[] = "/tmp/pfd-app-XXXXXX";
    if (mkdtemp(name) != nullptr) {
      path_ = name;
    }
  }
  ~PrivateTempDir() {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  PrivateTempDir(const PrivateTempDir&) = delete;
  PrivateTempDir& operator=(const PrivateTempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace pfd::app::testing
