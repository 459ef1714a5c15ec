#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/config/diagnostics.h"
#include "daemon/config/key_schema.h"
#include "daemon/core/forward_spec.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {

// A YAML mapping checked against its MappingShape: every key is a known, unique scalar. The
// read*() methods leave `out` untouched when the key is absent, so a caller starts from the
// defaults and lets the file override them; their errors point at the value and name its path.
//
// Reading a key that the shape does not declare is an internal error: that is what keeps
// key_schema.cc (and through it the JSON Schema test) the complete list of accepted keys.
class MappingReader {
 public:
  // `node` must be a mapping; `path` is its field path ("forwards[2]"), `diagnostics` must
  // outlive the reader.
  static absl::StatusOr<MappingReader> open(const YAML::Node& node, const MappingShape& shape,
                                            std::string path, const Diagnostics& diagnostics);

  bool has(absl::string_view key) const;
  const std::string& path() const { return path_; }
  std::string pathOf(absl::string_view key) const { return fieldPath(path_, key); }
  const YAML::Node& node() const { return node_; }

  // The value of a present key (an undefined node when absent).
  YAML::Node value(absl::string_view key) const;
  // Where a message about `key` should point: its value, or the key itself when the value is
  // empty (yaml-cpp places an empty value on the next line).
  YAML::Mark markOf(absl::string_view key) const;
  // 1-based line of `key`, for messages that refer back to it.
  int lineOf(absl::string_view key) const;

  absl::Status errorAt(absl::string_view key, absl::string_view message) const;
  // A problem of the mapping as a whole: points at the mapping and names its path.
  absl::Status errorHere(absl::string_view message) const;
  // A required key that is absent: points at the mapping itself.
  absl::Status missing(absl::string_view key, absl::string_view hint) const;

  // The nested mapping under `key`, checked against the shape key_schema.cc declares for it.
  absl::StatusOr<MappingReader> mapping(absl::string_view key) const;
  // The list of mappings under `key`, each checked against the declared shape.
  absl::StatusOr<std::vector<MappingReader>> mappingList(absl::string_view key) const;
  // The same list, each entry opened on its own: one entry that is not a valid mapping does not
  // hide the next (`pfd --check` reports them all). Fails only when `key` is not a list.
  absl::StatusOr<std::vector<absl::StatusOr<MappingReader>>> mappingListEach(
      absl::string_view key) const;

  absl::Status readString(absl::string_view key, std::string& out) const;
  absl::Status readNonEmptyString(absl::string_view key, std::string& out) const;
  absl::Status readBool(absl::string_view key, bool& out) const;
  absl::Status readInt(absl::string_view key, int min, int& out) const;
  absl::Status readNumber(absl::string_view key, double& out) const;
  absl::Status readDuration(absl::string_view key, core::Milliseconds& out) const;
  absl::Status readPositiveDuration(absl::string_view key, core::Milliseconds& out) const;
  // A byte size ("65536", "64Ki", "1Mi") of at most `max` bytes.
  absl::Status readByteSize(absl::string_view key, uint64_t max, size_t& out) const;
  // One of `choices`, spelt exactly; `out` is its index. `what` names such a value in messages
  // ("a start mode"); a near miss gets a did-you-mean.
  absl::Status readChoice(absl::string_view key, std::span<const absl::string_view> choices,
                          absl::string_view what, size_t& out) const;
  // A non-empty list of strings (an argv) whose first item, the program, is not empty.
  absl::Status readCommand(absl::string_view key, std::vector<std::string>& out) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  MappingReader(YAML::Node node, const MappingShape& shape, std::string path,
                const Diagnostics& diagnostics)
      : node_(std::move(node)),
        shape_(&shape),
        path_(std::move(path)),
        diagnostics_(&diagnostics) {}

  absl::Status checkKeys();
  const Entry* find(absl::string_view key) const;
  // Internal error when the parser reads a key that key_schema.cc does not declare.
  absl::StatusOr<const KeySpec*> declared(absl::string_view key) const;
  absl::Status wrap(absl::string_view key, const absl::Status& status) const;

  YAML::Node node_;
  const MappingShape* shape_;
  std::string path_;
  const Diagnostics* diagnostics_;
  std::vector<Entry> entries_;
};

}  // namespace pfd::config
