#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/config/config_loader.h"
#include "gmock/gmock.h"
#include "tests/common/status_matchers.h"

namespace pfd::config::testing {

// The file name every test document is reported under.
inline constexpr std::string_view kFile = "forwards.yaml";

inline absl::StatusOr<Config> parse(std::string_view yaml) { return parseConfig(yaml, kFile); }

// An InvalidArgument whose message starts with "forwards.yaml:LINE:COLUMN: " followed by
// `rest` (the field path and message), matched as a substring.
inline auto invalidAt(int line, int column, const std::string& rest) {
  return ::pfd::testing::StatusIs(
      absl::StatusCode::kInvalidArgument,
      ::testing::AllOf(::testing::StartsWith(std::string(kFile) + ":" + std::to_string(line) + ":" +
                                             std::to_string(column) + ": "),
                       ::testing::HasSubstr(rest)));
}

// Any InvalidArgument whose message contains every one of `parts`.
template <typename... Parts>
auto invalidWith(const Parts&... parts) {
  return ::pfd::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                  ::testing::AllOf(::testing::HasSubstr(parts)...));
}

}  // namespace pfd::config::testing
