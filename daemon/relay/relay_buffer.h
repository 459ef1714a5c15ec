#pragma once

#include <cstddef>

namespace pfd::relay {

// A block of memory that holds bytes between a read on one side of a relayed connection and the
// write of those same bytes on the other side (there is no copy in between). Move-only; freeing
// one returns a standard-sized block to a small per-thread pool, so a busy connection reuses the
// same few blocks (still warm in the cache) instead of going back to malloc for every read.
class RelayBuffer {
 public:
  // What a read asks for: libuv suggests 64 KiB too, and a larger block measured no faster on
  // loopback (bench/README.md, "The relay hop").
  static constexpr size_t kStandardSize = size_t{64} * 1024;

  RelayBuffer() = default;
  ~RelayBuffer();
  RelayBuffer(RelayBuffer&& other) noexcept;
  RelayBuffer& operator=(RelayBuffer&& other) noexcept;
  RelayBuffer(const RelayBuffer&) = delete;
  RelayBuffer& operator=(const RelayBuffer&) = delete;

  // A standard-sized block, from the pool when it has one.
  static RelayBuffer standard();
  // A block of exactly `size` bytes (for the replayed bytes), never pooled.
  static RelayBuffer ofSize(size_t size);
  // Takes back a block that release() handed out (libuv holds it between alloc and read).
  static RelayBuffer adopt(char* data, size_t capacity);

  char* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return data_ == nullptr; }
  // Gives up ownership without freeing; adopt() takes it back.
  char* release();

  // Blocks the calling thread's pool keeps for reuse, at most kPoolLimit.
  static size_t pooledOnThisThread();
  static constexpr size_t kPoolLimit = 16;

 private:
  RelayBuffer(char* data, size_t capacity) : data_(data), capacity_(capacity) {}
  void free();

  char* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace pfd::relay
