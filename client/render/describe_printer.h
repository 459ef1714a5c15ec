#pragma once

#include <string>

#include "absl/time/time.h"
#include "pfd/v1/control.pb.h"

namespace pfd::client {

// `pfctl describe NAME` as `kubectl describe` lays out an object: "Key:  value" lines, nested
// sections indented, and an Events table (type, reason, age, message) at the end. `now` places
// every "ago" and AGE.
std::string describeText(const pfd::v1::DescribeForwardResponse& description, absl::Time now);

// The AGE of an event as kubectl prints it: "5m", or "30s (x3 over 5m)" for a folded repeat.
std::string eventAgeText(const pfd::v1::HistoryEvent& event, absl::Time now);

}  // namespace pfd::client
