#include "daemon/config/socket_path.h"

#include <unistd.h>

#include <cstdlib>

namespace pfd::config {
namespace {

std::string envOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? std::string(value) : fallback;
}

}  // namespace

std::string pfdRuntimeDirectory() {
  std::string runtime_dir = envOr("XDG_RUNTIME_DIR", "");
  if (!runtime_dir.empty()) {
    return runtime_dir + "/pfd";
  }
  return "/tmp/pfd-" + std::to_string(getuid());
}

std::string defaultSocketPath() {
  std::string explicit_path = envOr("PFD_SOCKET", "");
  if (!explicit_path.empty()) {
    return explicit_path;
  }
  return pfdRuntimeDirectory() + "/pfd.sock";
}

}  // namespace pfd::config
