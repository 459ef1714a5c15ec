#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/mark.h"
#include "yaml-cpp/node/node.h"

namespace pfd::config {

// Turns a problem found at a YAML position into the one error shape the loader returns:
// InvalidArgument "FILE:LINE:COLUMN: FIELD.PATH: what is wrong and what is allowed". Lines and
// columns are 1-based, as editors count them (yaml-cpp's Mark is 0-based).
class Diagnostics {
 public:
  explicit Diagnostics(absl::string_view file) : file_(file) {}

  const std::string& file() const { return file_; }

  // `field_path` may be empty for problems of the document as a whole.
  absl::Status error(const YAML::Mark& mark, absl::string_view field_path,
                     absl::string_view message) const;
  absl::Status error(const YAML::Node& node, absl::string_view field_path,
                     absl::string_view message) const;

  // 1-based line of `mark`, for messages that point back at another place ("first at line 3").
  static int lineOf(const YAML::Mark& mark);
  // The node's own position, or `fallback` for an empty (null) node: yaml-cpp places those at
  // the start of the next token, often on the following line.
  static YAML::Mark markOr(const YAML::Node& node, const YAML::Mark& fallback);

 private:
  std::string file_;
};

// "forwards[1]" + "ports" -> "forwards[1].ports"; "" + "defaults" -> "defaults".
std::string fieldPath(absl::string_view parent, absl::string_view key);
// "forwards" + 1 -> "forwards[1]".
std::string indexPath(absl::string_view parent, size_t index);

}  // namespace pfd::config
