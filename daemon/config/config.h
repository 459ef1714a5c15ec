#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/core/forward_spec.h"
#include "daemon/core/notify_spec.h"

namespace pfd::config {

// A loaded config file: the desired forwards, in file order, with `defaults:` applied.
struct Config {
  std::string path;                         // the file it came from
  std::vector<core::ForwardSpec> forwards;  // defaults applied, in file order
  bool reload_on_change = true;             // top-level `reloadOnChange:` (watch the file)
  // Desktop notifications, by forward name: only the forwards with `notify: true`. Apart from
  // the specs, so that changing them restarts nothing.
  std::map<std::string, core::NotifySpec> notify;

  bool operator==(const Config&) const = default;
};

}  // namespace pfd::config
