#include "daemon/config/check_report.h"

namespace pfd::config {

int reportConfigCheck(const ConfigCheck& check, const std::string& path, std::ostream& out,
                      std::ostream& err) {
  if (check.errors.empty()) {
    const size_t count = check.config.forwards.size();
    out << path << ": " << count << (count == 1 ? " forward" : " forwards") << ", OK\n";
    return 0;
  }
  for (const absl::Status& error : check.errors) {
    err << error.message() << '\n';
  }
  const size_t count = check.errors.size();
  err << path << ": " << count << (count == 1 ? " error" : " errors") << ", not loaded\n";
  return 1;
}

}  // namespace pfd::config
