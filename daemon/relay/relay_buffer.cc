#include "daemon/relay/relay_buffer.h"

#include <utility>
#include <vector>

namespace pfd::relay {
namespace {

// Blocks freed on this thread. Every relay of a loop runs on the loop's thread, so this needs no
// lock, and a block freed after its connection (or the whole relay) is gone still has a home.
class Pool {
 public:
  ~Pool() {
    for (char* block : free_) {
      delete[] block;
    }
  }

  char* take() {
    if (free_.empty()) {
      // Not value-initialised: every byte is written by a read before anything reads it.
      return new char[RelayBuffer::kStandardSize];
    }
    char* block = free_.back();
    free_.pop_back();
    return block;
  }

  void give(char* block) {
    if (free_.size() >= RelayBuffer::kPoolLimit) {
      delete[] block;
      return;
    }
    free_.push_back(block);
  }

  size_t size() const { return free_.size(); }

 private:
  std::vector<char*> free_;
};

Pool& pool() {
  thread_local Pool instance;
  return instance;
}

}  // namespace

RelayBuffer::~RelayBuffer() { free(); }

RelayBuffer::RelayBuffer(RelayBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}

RelayBuffer& RelayBuffer::operator=(RelayBuffer&& other) noexcept {
  if (this != &other) {
    free();
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

RelayBuffer RelayBuffer::standard() { return RelayBuffer(pool().take(), kStandardSize); }

RelayBuffer RelayBuffer::ofSize(size_t size) { return RelayBuffer(new char[size], size); }

RelayBuffer RelayBuffer::adopt(char* data, size_t capacity) { return RelayBuffer(data, capacity); }

char* RelayBuffer::release() {
  capacity_ = 0;
  return std::exchange(data_, nullptr);
}

size_t RelayBuffer::pooledOnThisThread() { return pool().size(); }

void RelayBuffer::free() {
  if (data_ == nullptr) {
    return;
  }
  if (capacity_ == kStandardSize) {
    pool().give(data_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  capacity_ = 0;
}

}  // namespace pfd::relay
