#pragma once

#include <ostream>
#include <string>

#include "daemon/config/config_loader.h"

namespace pfd::config {

// What `pfd --check` and `pfctl check` print, as `nginx -t` and `promtool check config` do: on
// success one line on `out` ("FILE: 3 forwards, OK"), else every error on `err`, one per line in
// file order ("FILE:LINE:COLUMN: path: problem; remedy", the form editors jump to), then a count.
// Returns the exit code: 0 when the config loads, 1 otherwise.
int reportConfigCheck(const ConfigCheck& check, const std::string& path, std::ostream& out,
                      std::ostream& err);

}  // namespace pfd::config
