// Memory for objects that one thread creates and another releases: a
// backend's commands, made by the launching thread and let go by a completion
// thread. Through the general allocator every such pair contends for glibc's
// arena lock (a free from another thread goes back to the owning arena); here
// the freeing thread pushes the block onto a lock-free stack and the next
// allocation pops it. With Reuse::thread_first a thread also keeps the last
// blocks it released for its own next allocations, without atomics: a launch
// completed on the thread that made it (a plugin that completes inline,
// held-back completions reported by the next launch) reuses its memory at no
// synchronisation cost. Use: std::allocate_shared<T>(Recycled<T>{}, ...).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>

namespace dotcompute {

/// Where a released block waits to be reused.
enum class Reuse {
  shared,        ///< on a stack every thread takes from
  thread_first,  ///< first kept by the releasing thread for itself (see BlockCache)
};

/// Blocks of `Size` bytes aligned to `Align`: up to kMaxCached shared by every
/// thread and, with Reuse::thread_first, up to kMaxPerThread more kept by each
/// thread for its own allocations, given to the shared ones when it exits.
/// Thread_first registers a thread_local destructor, which keeps the library
/// that instantiates it mapped until the thread exits: for code that is never
/// unloaded (the runtime), not for plugins. Thread-safe.
template <std::size_t Size, std::size_t Align, Reuse Mode = Reuse::shared>
class BlockCache {
 public:
  static constexpr std::size_t kMaxCached = 4096;
  static constexpr std::size_t kMaxPerThread = 64;

  /// The cache of this block shape; never destroyed (blocks may be released
  /// during static destruction), and its blocks stay reachable from it.
  static BlockCache& instance() {
    static BlockCache* const cache = new BlockCache;
    return *cache;
  }

  void* allocate() {
    if constexpr (Mode == Reuse::thread_first) {
      ThreadBlocks& own = thread_blocks();
      if (own.top != nullptr) {  // the block this thread released last
        Node* block = own.top;
        own.top = block->next;
        --own.count;
        return block;
      }
    }
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

  /// Blocks released, shared by every thread, and not taken again yet.
  [[nodiscard]] std::size_t cached() const noexcept { return cached_.load(std::memory_order_relaxed); }

  void deallocate(void* memory) noexcept {
    if constexpr (Mode == Reuse::thread_first) {
      ThreadBlocks& own = thread_blocks();
      if (own.count < kMaxPerThread && own.state != ThreadState::exiting) {
        if (own.state == ThreadState::unused) give_back_at_exit(own);
        own.top = ::new (memory) Node{own.top};
        ++own.count;
        return;
      }
    }
    share(memory);
  }

 private:
  struct Node {
    Node* next;
  };
  enum class ThreadState : unsigned char { unused, keeping, exiting };
  // Trivially destructible, so that it stays usable while the thread's other
  // thread_local objects are destroyed (they may release blocks).
  struct ThreadBlocks {
    Node* top;
    std::size_t count;
    ThreadState state;
  };
  static ThreadBlocks& thread_blocks() noexcept {
    static thread_local ThreadBlocks blocks{nullptr, 0, ThreadState::unused};
    return blocks;
  }
  // At thread exit: the thread's blocks become shared; later releases go there directly.
  struct GiveBack {
    ~GiveBack() {
      ThreadBlocks& own = thread_blocks();
      own.state = ThreadState::exiting;
      while (own.top != nullptr) {
        Node* block = own.top;
        own.top = block->next;
        instance().share(block);
      }
      own.count = 0;
    }
  };
  static void give_back_at_exit(ThreadBlocks& own) noexcept {
    static thread_local GiveBack give_back;
    (void)give_back;
    own.state = ThreadState::keeping;
  }

  void share(void* memory) noexcept {
    if (cached_.fetch_add(1, std::memory_order_relaxed) >= kMaxCached) {
      cached_.fetch_sub(1, std::memory_order_relaxed);
      ::operator delete (memory, std::align_val_t{kBlockAlign});
      return;
    }
    Node* block = ::new (memory) Node{returned_.load(std::memory_order_relaxed)};
    while (!returned_.compare_exchange_weak(block->next, block, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }

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
template <class T, Reuse Mode = Reuse::shared>
struct Recycled {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = Recycled<U, Mode>;
  };

  Recycled() noexcept = default;
  template <class U>
  Recycled(const Recycled<U, Mode>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding

  [[nodiscard]] T* allocate(std::size_t count) {
    if (kBypass || count != 1) return std::allocator<T>().allocate(count);
    return static_cast<T*>(BlockCache<sizeof(T), alignof(T), Mode>::instance().allocate());
  }
  void deallocate(T* pointer, std::size_t count) noexcept {
    if (kBypass || count != 1) {
      std::allocator<T>().deallocate(pointer, count);
      return;
    }
    BlockCache<sizeof(T), alignof(T), Mode>::instance().deallocate(pointer);
  }
  template <class U>
  bool operator==(const Recycled<U, Mode>&) const noexcept {
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
