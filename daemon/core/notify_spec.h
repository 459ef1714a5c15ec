#pragma once

#include <chrono>

namespace pfd::core {

// `notify:` and `notifyAfter:` of one forward: whether a desktop notification says that it has
// been down for `after` (and that it is back). Kept out of ForwardSpec on purpose: ForwardSpec
// equality decides whether a reload restarts the child, and a notification setting must never
// restart anything.
struct NotifySpec {
  bool enabled = false;
  std::chrono::milliseconds after{30000};

  bool operator==(const NotifySpec&) const = default;
};

}  // namespace pfd::core
