#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pfd::process {

using EnvironmentOverrides = std::vector<std::pair<std::string, std::string>>;

// A child's environment as NAME=VALUE entries: `parent` (a null-terminated array like environ)
// with each override replacing the variable of its name or, if the parent has none, added at the
// end. A later override of the same name wins.
//
// What systemd hands pfd for itself is not passed on (NOTIFY_SOCKET, WATCHDOG_PID/USEC,
// LISTEN_PID/FDS/FDNAMES): a child that speaks sd_notify would otherwise report to pfd's unit as
// if it were pfd, which is why sd_notify(3) has unset_environment; pfd cannot use that, since it
// keeps notifying for its whole life.
std::vector<std::string> childEnvironment(const char* const* parent,
                                          const EnvironmentOverrides& overrides);

// The value of `name` in NAME=VALUE entries, if it is set.
std::optional<std::string_view> environmentValue(const std::vector<std::string>& environment,
                                                 std::string_view name);

}  // namespace pfd::process
