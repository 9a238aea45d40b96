// Memory for objects that one thread creates and another releases: a
// backend's commands, made by the launching thread and let go by a completion
// thread. Through the general allocator every such pair contends for glibc's
// arena lock (a free from another thread goes back to the owning arena); here
// the freeing thread pushes the block onto a lock-free stack and the next
// allocation pops it. Use: std::allocate_shared<T>(Recycled<T>{}, ...).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>

namespace dotcompute {

/// Blocks of `Size` bytes aligned to `Align`, cached process-wide (at most
/// kMaxCached of them). Thread-safe.
template <std::size_t Size, std::size_t Align>
class BlockCache {
 public:
  static constexpr std::size_t kMaxCached = 4096;

  /// The cache of this block shape; never destroyed (blocks may be released
  /// during static destruction), and its blocks stay reachable from it.
  static BlockCache& instance() {
    static BlockCache* const cache = new BlockCache;
    return *cache;
  }

  void* allocate() {
    {
      // One taker at a time: a block cannot leave the list and come back
      // while a pop reads it (the ABA case of a lock-free stack); pushes go on.
      std::lock_guard lock(taking_);
      Node* block = returned_.load(std::memory_order_acquire);
      while (block != nullptr && !returned_.compare_exchange_weak(block, block->next, std::memory_order_acquire,
                                                                  std::memory_order_acquire)) {
      }
      if (block != nullptr) {
        cached_.fetch_sub(1, std::memory_order_relaxed);
        return block;  // the most recently released: likely still in cache
      }
    }
    return ::operator new (kBlockSize, std::align_val_t{kBlockAlign});
  }

  /// Blocks released and not taken again yet.
  [[nodiscard]] std::size_t cached() const noexcept { return cached_.load(std::memory_order_relaxed); }

  void deallocate(void* memory) noexcept {
    if (cached_.fetch_add(1, std::memory_order_relaxed) >= kMaxCached) {
      cached_.fetch_sub(1, std::memory_order_relaxed);
      ::operator delete (memory, std::align_val_t{kBlockAlign});
      return;
    }
    Node* block = ::new (memory) Node{returned_.load(std::memory_order_relaxed)};
    while (!returned_.compare_exchange_weak(block->next, block, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t kBlockSize = Size < sizeof(Node) ? sizeof(Node) : Size;
  static constexpr std::size_t kBlockAlign = Align < alignof(Node) ? alignof(Node) : Align;

  BlockCache() = default;

  std::atomic<Node*> returned_{nullptr};  // a stack: pushed by any thread, popped under taking_
  std::mutex taking_;
  std::atomic<std::size_t> cached_{0};
};

/// A stateless allocator drawing single objects from BlockCache. Arrays, and
/// every allocation in AddressSanitizer builds, come from the general
/// allocator (so that AddressSanitizer still sees each object's lifetime).
template <class T>
struct Recycled {
  using value_type = T;

  Recycled() noexcept = default;
  template <class U>
  Recycled(const Recycled<U>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding

  [[nodiscard]] T* allocate(std::size_t count) {
    if (kBypass || count != 1) return std::allocator<T>().allocate(count);
    return static_cast<T*>(BlockCache<sizeof(T), alignof(T)>::instance().allocate());
  }
  void deallocate(T* pointer, std::size_t count) noexcept {
    if (kBypass || count != 1) {
      std::allocator<T>().deallocate(pointer, count);
      return;
    }
    BlockCache<sizeof(T), alignof(T)>::instance().deallocate(pointer);
  }
  template <class U>
  bool operator==(const Recycled<U>&) const noexcept {
    return true;
  }

 private:
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool kBypass = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  static constexpr bool kBypass = true;
#else
  static constexpr bool kBypass = false;
#endif
#else
  static constexpr bool kBypass = false;
#endif
};

}  // namespace dotcompute
