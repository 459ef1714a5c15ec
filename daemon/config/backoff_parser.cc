#include "daemon/config/backoff_parser.h"

#include "absl/strings/str_cat.h"
#include "daemon/config/scalar_values.h"
#include "daemon/config/status_macros.h"

namespace pfd::config {

absl::Status readBackoff(const MappingReader& owner, core::BackoffSpec& backoff) {
  if (!owner.has("backoff")) {
    return absl::OkStatus();
  }
  PFD_ASSIGN_OR_RETURN(MappingReader reader, owner.mapping("backoff"));
  core::BackoffSpec merged = backoff;
  PFD_RETURN_IF_ERROR(reader.readPositiveDuration("initial", merged.initial));
  PFD_RETURN_IF_ERROR(reader.readDuration("max", merged.max));
  PFD_RETURN_IF_ERROR(reader.readNumber("multiplier", merged.multiplier));
  PFD_RETURN_IF_ERROR(reader.readNumber("jitter", merged.jitter));
  PFD_RETURN_IF_ERROR(reader.readPositiveDuration("resetAfter", merged.reset_after));

  if (merged.max < merged.initial) {
    // Point at whichever of the two this mapping sets; the other may be inherited.
    absl::string_view key = reader.has("max") ? "max" : "initial";
    return reader.errorAt(
        key, absl::StrCat("max (", formatDuration(merged.max), ") is less than initial (",
                          formatDuration(merged.initial), "); make max at least initial"));
  }
  if (merged.multiplier < 1) {
    return reader.errorAt("multiplier", absl::StrCat(merged.multiplier,
                                                     " would shrink the delay; write a "
                                                     "multiplier of at least 1 (1 = constant)"));
  }
  if (merged.jitter < 0 || merged.jitter >= 1) {
    return reader.errorAt("jitter", absl::StrCat(merged.jitter,
                                                 " is out of range; write a fraction from 0 "
                                                 "(none) up to, but not including, 1"));
  }
  backoff = merged;
  return absl::OkStatus();
}

}  // namespace pfd::config
