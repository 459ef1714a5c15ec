#pragma once

#include <string>

#include "absl/status/status.h"

namespace pfd::app {

// Under journald (JOURNAL_STREAM names our stderr) lines carry a "<N>" syslog priority and no
// timestamp, since the journal adds its own; on a terminal they are coloured and timestamped.
absl::Status configureLogging(const std::string& level);

// True when stderr is the journal stream systemd gave us.
bool stderrIsJournal();

}  // namespace pfd::app
