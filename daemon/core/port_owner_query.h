#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace pfd::core {

// A question in flight about who listens on a local port. Destroying it cancels the answer.
class PortOwnerQuery {
 public:
  virtual ~PortOwnerQuery() = default;
};
using PortOwnerQueryPtr = std::unique_ptr<PortOwnerQuery>;

// Asks who listens on TCP `port` where a listener on `address` would collide with it (the same
// address, or a wildcard on either side). The answer ("pid 4242 (python3)", "another process",
// or "" when nothing listens there) comes to `done` on the loop; finding it walks /proc, so the
// production implementation does that off the loop. `done` may run before this returns.
using FindPortOwner = std::function<PortOwnerQueryPtr(const std::string& address, uint16_t port,
                                                      std::function<void(std::string owner)> done)>;

}  // namespace pfd::core
