#pragma once

#include <cstddef>
#include <string>

namespace pfd::relay {

// The client bytes of a connection kept until the upstream answers, so that they can be sent
// again to another upstream if this one fails first. Bounded: past `limit` bytes everything is
// dropped and the connection is no longer replayable. With a limit of 0 nothing is kept, so the
// first client byte read makes the connection unreplayable.
//
// The bytes are copied here (the relay writes its own buffer on at once); the copy happens only
// before the upstream's first byte and is bounded by the limit.
class ReplayBuffer {
 public:
  // Set by each relayTo(); the bytes kept for an earlier upstream stay.
  void setLimit(size_t limit) { limit_ = limit; }

  // Keeps `length` more client bytes, or drops them all once they would exceed the limit.
  void keep(const char* data, size_t length);
  // The upstream answered: nothing needs to be replayed any more.
  void release();

  // Every client byte read so far is still here.
  bool replayable() const { return !lost_; }
  const std::string& bytes() const { return bytes_; }

 private:
  size_t limit_ = 0;
  std::string bytes_;
  bool lost_ = false;
};

}  // namespace pfd::relay
