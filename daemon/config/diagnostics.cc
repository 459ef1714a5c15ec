#include "daemon/config/diagnostics.h"

#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {

absl::Status Diagnostics::error(const YAML::Mark& mark, absl::string_view field_path,
                                absl::string_view message) const {
  // A null mark (an empty document) has no position of its own: the start of the file is the
  // most useful place to send the reader.
  int line = mark.is_null() ? 1 : mark.line + 1;
  int column = mark.is_null() ? 1 : mark.column + 1;
  std::string where = absl::StrCat(file_, ":", line, ":", column, ": ");
  if (field_path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, message));
  }
  return absl::InvalidArgumentError(absl::StrCat(where, field_path, ": ", message));
}

absl::Status Diagnostics::error(const YAML::Node& node, absl::string_view field_path,
                                absl::string_view message) const {
  return error(node.Mark(), field_path, message);
}

int Diagnostics::lineOf(const YAML::Mark& mark) { return mark.is_null() ? 1 : mark.line + 1; }

YAML::Mark Diagnostics::markOr(const YAML::Node& node, const YAML::Mark& fallback) {
  return node.IsNull() || node.Mark().is_null() ? fallback : node.Mark();
}

std::string fieldPath(absl::string_view parent, absl::string_view key) {
  return parent.empty() ? std::string(key) : absl::StrCat(parent, ".", key);
}

std::string indexPath(absl::string_view parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

}  // namespace pfd::config
