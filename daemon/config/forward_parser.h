#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/config/address_list.h"
#include "daemon/config/forward_defaults.h"
#include "daemon/config/mapping_reader.h"
#include "daemon/core/forward_spec.h"
#include "daemon/core/notify_spec.h"
#include "yaml-cpp/mark.h"

namespace pfd::config {

// One forward with the defaults applied, plus where its parts were written so that checks
// across forwards (duplicate names and ports) can point at them.
struct ParsedForward {
  core::ForwardSpec spec;
  core::NotifySpec notify;
  std::string path;  // "forwards[2]"
  YAML::Mark name_mark;
  std::vector<YAML::Mark> port_marks;  // one per spec.ports entry
  std::string ports_path;              // "forwards[2].ports"
  AddressList addresses;
};

// Reads one entry of `forwards:` (a kubectl forward with `target`, or a command forward with
// `command`) and checks everything that concerns it alone.
absl::StatusOr<ParsedForward> parseForward(const MappingReader& forward,
                                           const ForwardDefaults& defaults,
                                           const Diagnostics& diagnostics);

}  // namespace pfd::config
