#include "daemon/config/notify_parser.h"

#include "daemon/config/status_macros.h"

namespace pfd::config {

absl::Status readNotify(const MappingReader& reader, core::NotifySpec& spec) {
  PFD_RETURN_IF_ERROR(reader.readBool("notify", spec.enabled));
  return reader.readPositiveDuration("notifyAfter", spec.after);
}

}  // namespace pfd::config
