#include "daemon/app/port_owner.h"

#include <dirent.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pfd::app {
namespace {

constexpr std::string_view kListenState = "0A";

// The inode of a listening socket on `port` in a /proc/net/tcp-style table.
std::optional<std::string> listeningInode(const char* table, uint16_t port) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (fields.size() < 10 || fields[3] != kListenState) {
      continue;
    }
    const std::string& local = fields[1];
    size_t colon = local.rfind(':');
    uint32_t local_port = 0;
    if (colon == std::string::npos ||
        !absl::SimpleHexAtoi(absl::string_view(local).substr(colon + 1), &local_port)) {
      continue;
    }
    if (local_port == port) {
      return fields[9];
    }
  }
  return std::nullopt;
}

std::string commandName(const std::string& pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/comm"));
  std::string name;
  std::getline(in, name);
  return name;
}

std::optional<std::string> pidOwningSocket(const std::string& inode) {
  const std::string wanted = absl::StrCat("socket:[", inode, "]");
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return std::nullopt;
  }
  std::optional<std::string> owner;
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) {
      continue;
    }
    const std::string fd_dir = absl::StrCat("/proc/", entry->d_name, "/fd");
    DIR* fds = opendir(fd_dir.c_str());
    if (fds == nullptr) {
      continue;
    }
    while (dirent* fd = readdir(fds)) {
      std::array<char, 64> target{};
      const std::string link = absl::StrCat(fd_dir, "/", fd->d_name);
      ssize_t length = readlink(link.c_str(), target.data(), target.size() - 1);
      if (length > 0 && std::string_view(target.data(), static_cast<size_t>(length)) == wanted) {
        owner = entry->d_name;
        break;
      }
    }
    closedir(fds);
    if (owner.has_value()) {
      break;
    }
  }
  closedir(proc);
  return owner;
}

}  // namespace

std::string describeLocalPortOwner(uint16_t port) {
  std::optional<std::string> inode = listeningInode("/proc/net/tcp", port);
  if (!inode.has_value()) {
    inode = listeningInode("/proc/net/tcp6", port);
  }
  if (!inode.has_value()) {
    return "";
  }
  std::optional<std::string> pid = pidOwningSocket(*inode);
  if (!pid.has_value()) {
    return "another process";
  }
  return absl::StrCat("pid ", *pid, " (", commandName(*pid), ")");
}

}  // namespace pfd::app
