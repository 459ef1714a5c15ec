#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pfd::relay::testing {

// An endless pseudo-random byte stream, the same for the same seed. Byte i of the stream is byte
// i mod P of a block of P = 1 MiB + 13 bytes: a prime-ish length, so a lost, doubled or reordered
// read or write (64 KiB and its multiples) shifts everything after it and is caught, and a
// receiver checks each byte against the sender's stream with a memcmp, which is faster than any
// checksum and stronger.
class Pattern {
 public:
  explicit Pattern(uint64_t seed);

  // The stream from `offset` on, as much as is contiguous in the block (at most `limit`).
  const char* at(uint64_t offset, size_t limit, size_t* length) const;
  bool matches(uint64_t offset, const char* data, size_t length) const;
  std::string bytes(uint64_t offset, size_t length) const;

 private:
  std::vector<char> block_;
};

// Sends `total` bytes of the stream on a blocking socket; false if the socket failed.
bool sendPattern(int fd, const Pattern& pattern, uint64_t total);

struct Received {
  uint64_t bytes = 0;
  bool intact = true;  // every byte received so far was the stream's
  int error = 0;       // the errno that ended it, 0 for EOF
};
// Receives on a blocking socket until EOF or an error, checking every byte.
Received receivePattern(int fd, const Pattern& pattern);

}  // namespace pfd::relay::testing
