// Devices (Accelerator) and the providers that enumerate them: the interface
// every backend implements.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "dotcompute/buffer_storage.hpp"
#include "dotcompute/execution.hpp"
#include "dotcompute/kernel_definition.hpp"
#include "dotcompute/memory_pool.hpp"
#include "dotcompute/range.hpp"

namespace dotcompute {

enum class DeviceType : std::uint8_t { cpu, gpu, accelerator, other };

[[nodiscard]] std::string_view to_string(DeviceType type) noexcept;

/// Identity and capabilities of a device.
struct DeviceInfo {
  std::string id;       ///< "cpu:0", "opencl:1", "cuda:0": backend + index, unique in a runtime
  std::string backend;  ///< "cpu", "opencl", "cuda", or a plugin's name
  std::string name;     ///< model name
  std::string vendor;
  DeviceType type = DeviceType::other;
  std::uint32_t compute_units = 0;        ///< hardware threads (CPU) / compute units (GPU)
  std::uint32_t simd_width_bits = 0;      ///< widest vector unit the kernels are compiled for
  std::uint64_t global_memory_bytes = 0;  ///< physical memory of the device
  std::size_t max_work_group_size = 0;
  std::string driver_version;
  std::vector<std::string> features;  ///< e.g. "avx512f", "fp64"
};

/// One buffer's memory on one device that does not share host memory (an
/// OpenCL cl_mem, a CUDA allocation). Created by that device, owned by the
/// buffer's storage; it must keep whatever it needs to free itself alive
/// (buffers may outlive the runtime).
class DeviceReplica {
 public:
  virtual ~DeviceReplica() = default;
};

/// One argument of a launch, already checked against the kernel's signature
/// and converted to the parameter's type.
struct LaunchArgument {
  ParameterKind kind = ParameterKind::scalar;
  Access access = Access::read_only;
  /// Scalars: the value in the parameter's type, in the low bytes.
  alignas(8) unsigned char scalar[8] = {};
  /// Buffers: the host replica's (or host span's) first element.
  void* host_pointer = nullptr;
  std::size_t elements = 0;
  /// Buffers passed as Buffer<T>: its storage (null for host spans).
  std::shared_ptr<BufferStorage> buffer;
};

/// A validated request to run a kernel on a device.
struct LaunchRequest {
  std::shared_ptr<const KernelDefinition> kernel;
  Range global;
  Range local;
  std::vector<LaunchArgument> arguments;  ///< one per parameter, in order
  KernelResult result;                    ///< pre-filled: kernel, device, selection reason, range
  std::stop_token stop;
};

/// A device. Implementations are thread-safe: several threads may launch at once.
/// Work launched on one device runs in submission order (an in-order queue).
/// Always owned by shared_ptr: buffers with a replica on a device keep it
/// alive, so that data held only there can still be read after the runtime ends.
class Accelerator : public std::enable_shared_from_this<Accelerator> {
 public:
  virtual ~Accelerator() = default;

  [[nodiscard]] virtual const DeviceInfo& info() const noexcept = 0;
  /// Whether this device has (or can build) an implementation of `kernel`.
  [[nodiscard]] virtual bool can_run(const KernelDefinition& kernel) const noexcept = 0;
  /// Why can_run() is false, for error messages.
  [[nodiscard]] virtual std::string cannot_run_reason(const KernelDefinition& kernel) const = 0;
  /// Whether the device works on host memory directly (no replicas, no transfers).
  [[nodiscard]] virtual bool shares_host_memory() const noexcept = 0;
  /// The device's memory pool (the host pool for host-sharing devices).
  [[nodiscard]] virtual MemoryPool& memory_pool() noexcept = 0;
  /// False while the device is being replaced (a plugin's hot reload): the
  /// orchestrator then routes new work elsewhere; launches that name the
  /// device wait until it serves again.
  [[nodiscard]] virtual bool accepting_work() const noexcept { return true; }

  /// Enqueues the launch and returns its state; failures while running are
  /// stored in the state. Throws only for requests the device cannot accept.
  [[nodiscard]] virtual std::shared_ptr<ExecutionState> launch(LaunchRequest request) = 0;
  /// Blocks until everything launched so far has finished.
  virtual void synchronize() = 0;

  // --- replicas: only devices that do not share host memory implement these;
  // the defaults throw DeviceError. Called by BufferStorage under its lock.
  /// Device memory for a replica of `bytes` bytes. Throws OutOfMemoryError.
  [[nodiscard]] virtual std::unique_ptr<DeviceReplica> create_replica(std::size_t bytes);
  /// Copies `bytes` from `host` into `replica`, ordered after work already
  /// launched on this device; returns once `host` may change again.
  virtual void upload(DeviceReplica& replica, const void* host, std::size_t bytes);
  /// Copies `replica` into `host` after the work launched on this device so far; blocks until done.
  virtual void download(DeviceReplica& replica, void* host, std::size_t bytes);
};

/// Enumerates the devices of one backend.
class AcceleratorProvider {
 public:
  virtual ~AcceleratorProvider() = default;
  [[nodiscard]] virtual std::string_view backend() const noexcept = 0;
  /// The devices; throws DeviceError (with the reason) when the backend cannot start.
  [[nodiscard]] virtual std::vector<std::shared_ptr<Accelerator>> devices() = 0;
  /// Parts skipped while enumerating (e.g. a platform that failed), one reason each.
  [[nodiscard]] virtual std::vector<std::string> skipped() const { return {}; }
};

}  // namespace dotcompute
