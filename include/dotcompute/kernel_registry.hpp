// The process-wide registry of kernels: filled at static-init time by the code
// dotcompute-kernelc generates, and at run time from source text.
#pragma once

#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dotcompute/kernel_definition.hpp"

namespace dotcompute {

/// Name → kernel definition. O(1) lookup. Thread-safe.
class KernelRegistry {
 public:
  KernelRegistry() = default;
  KernelRegistry(const KernelRegistry&) = delete;
  KernelRegistry& operator=(const KernelRegistry&) = delete;

  /// The process-wide registry that generated kernels register into.
  static KernelRegistry& global();

  /// Registers `definition`. Throws RegistrationError when the name is taken
  /// (naming both origins) or the definition is malformed.
  std::shared_ptr<const KernelDefinition> add(KernelDefinition definition);

  /// Parses portable dialect `source` (the contents of a .dck file) and
  /// registers its kernels; returns their names. They carry no native CPU
  /// implementation: JIT backends (OpenCL, CUDA) can run them.
  /// Kernels named in `replacing` are removed in the same step (a new version
  /// of the same source: lookups never miss in between).
  /// Throws CompilationError with every diagnostic, or RegistrationError on a
  /// name clash; on error nothing changes.
  std::vector<std::string> add_source(std::string_view source, std::string_view origin,
                                      std::span<const std::string> replacing = {});

  /// Removes a kernel; false when absent.
  bool remove(std::string_view name);

  /// The kernel, or null when absent. Throws RegistrationError when the name was
  /// registered twice during static initialisation (both origins named).
  [[nodiscard]] std::shared_ptr<const KernelDefinition> find(std::string_view name) const;
  /// Like find(), but an unknown name throws ArgumentError with close matches.
  [[nodiscard]] std::shared_ptr<const KernelDefinition> get(std::string_view name) const;
  /// Every kernel, sorted by name.
  [[nodiscard]] std::vector<std::shared_ptr<const KernelDefinition>> kernels() const;
  /// Clashes seen during static initialisation, one message each.
  [[nodiscard]] std::vector<std::string> conflicts() const;

  /// Used by generated code at static-init time: registers, and records a clash
  /// instead of throwing (exceptions cannot escape static initialisation).
  void add_at_static_init(KernelDefinition definition) noexcept;

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept { return std::hash<std::string_view>{}(name); }
  };
  struct Entry {
    std::shared_ptr<const KernelDefinition> definition;
    std::string conflict;  // non-empty: registered twice at static init
  };

  std::shared_ptr<const KernelDefinition> add_locked(KernelDefinition definition);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry, NameHash, std::equal_to<>> entries_;
};

}  // namespace dotcompute
