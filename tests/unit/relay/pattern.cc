#include "tests/unit/relay/pattern.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pfd::relay::testing {
namespace {

constexpr size_t kBlockSize = (1 << 20) + 13;

uint64_t splitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Pattern::Pattern(uint64_t seed) : block_(kBlockSize) {
  uint64_t state = seed;
  for (size_t i = 0; i < block_.size(); i += sizeof(uint64_t)) {
    const uint64_t word = splitMix(state);
    std::memcpy(block_.data() + i, &word, std::min(sizeof word, block_.size() - i));
  }
}

const char* Pattern::at(uint64_t offset, size_t limit, size_t* length) const {
  const size_t start = offset % block_.size();
  *length = std::min(limit, block_.size() - start);
  return block_.data() + start;
}

bool Pattern::matches(uint64_t offset, const char* data, size_t length) const {
  while (length > 0) {
    size_t run = 0;
    const char* expected = at(offset, length, &run);
    if (std::memcmp(expected, data, run) != 0) {
      return false;
    }
    offset += run;
    data += run;
    length -= run;
  }
  return true;
}

std::string Pattern::bytes(uint64_t offset, size_t length) const {
  std::string result;
  result.reserve(length);
  while (result.size() < length) {
    size_t run = 0;
    const char* data = at(offset + result.size(), length - result.size(), &run);
    result.append(data, run);
  }
  return result;
}

bool sendPattern(int fd, const Pattern& pattern, uint64_t total) {
  uint64_t sent = 0;
  while (sent < total) {
    size_t run = 0;
    const char* data =
        pattern.at(sent, static_cast<size_t>(std::min<uint64_t>(total - sent, 1 << 20)), &run);
    const ssize_t now = ::send(fd, data, run, MSG_NOSIGNAL);
    if (now < 0 && errno == EINTR) {
      continue;
    }
    if (now <= 0) {
      return false;
    }
    sent += static_cast<uint64_t>(now);
  }
  return true;
}

Received receivePattern(int fd, const Pattern& pattern) {
  Received received;
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    const ssize_t now = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (now < 0 && errno == EINTR) {
      continue;
    }
    if (now <= 0) {
      received.error = now == 0 ? 0 : errno;
      return received;
    }
    const auto length = static_cast<size_t>(now);
    if (received.intact && !pattern.matches(received.bytes, buffer.data(), length)) {
      received.intact = false;
    }
    received.bytes += length;
  }
}

}  // namespace pfd::relay::testing
