#pragma once

#include <optional>
#include <span>
#include <string>

#include "absl/strings/string_view.h"

namespace pfd::config {

// The candidate a misspelt `word` most likely meant, if one is close: same letters but for case,
// '-' or '_' (initial_delay_seconds -> initialDelaySeconds), or a couple of typos (namspace).
std::optional<absl::string_view> closestMatch(absl::string_view word,
                                              std::span<const absl::string_view> candidates);

}  // namespace pfd::config
