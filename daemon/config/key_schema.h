#pragma once

#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pfd::config {

struct MappingShape;

// One key a mapping accepts. `mapping` is set when the value is itself a mapping (or, with
// `list_of_mappings`, a list of mappings) whose keys are checked against that shape.
struct KeySpec {
  absl::string_view name;
  const MappingShape* mapping = nullptr;
  bool list_of_mappings = false;
};

// The keys one YAML mapping of the config format accepts. The parser reads keys only through
// these shapes (MappingReader refuses a key that is not declared here), so this tree is the one
// list of what the format accepts, and acceptedKeyPaths() can export it for the JSON Schema test.
struct MappingShape {
  absl::string_view description;  // for messages: "a forward", "a backoff mapping"
  std::span<const KeySpec> keys;

  const KeySpec* find(absl::string_view key) const;
};

// The top level of a config file.
const MappingShape& topLevelShape();

// Every key path the parser accepts, sorted: "defaults.backoff.initial",
// "forwards[].readiness.httpGet.httpHeaders[].name", ...
std::vector<std::string> acceptedKeyPaths();

}  // namespace pfd::config
