#include "daemon/process/child_environment.h"

#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace pfd::process {
namespace {

std::string_view variableName(std::string_view entry) { return entry.substr(0, entry.find('=')); }

bool isServiceManagerVariable(std::string_view name) {
  for (const std::string_view own : {"NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID",
                                     "LISTEN_FDS", "LISTEN_FDNAMES"}) {
    if (name == own) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> childEnvironment(const char* const* parent,
                                          const EnvironmentOverrides& overrides) {
  std::vector<std::string> environment;
  std::unordered_map<std::string, size_t> index_by_name;
  auto set = [&](std::string_view name, std::string entry) {
    auto [it, inserted] = index_by_name.try_emplace(std::string(name), environment.size());
    if (inserted) {
      environment.push_back(std::move(entry));
    } else {
      environment[it->second] = std::move(entry);
    }
  };
  for (const char* const* entry = parent; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!isServiceManagerVariable(variableName(text))) {
      set(variableName(text), std::string(text));
    }
  }
  for (const auto& [name, value] : overrides) {
    set(name, absl::StrCat(name, "=", value));
  }
  return environment;
}

std::optional<std::string_view> environmentValue(const std::vector<std::string>& environment,
                                                 std::string_view name) {
  for (const std::string& entry : environment) {
    if (variableName(entry) == name && entry.size() > name.size()) {
      return std::string_view(entry).substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

}  // namespace pfd::process
