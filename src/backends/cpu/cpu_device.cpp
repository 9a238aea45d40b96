// The CPU device: zero-copy (kernels use host replicas directly) and
// natively compiled kernels only.
#include <cstdlib>
#include <string>

#include "cpu_command.hpp"
#include "cpu_device_info.hpp"
#include "cpu_thread_pool.hpp"
#include "dotcompute/backend/cpu_backend.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {

long environment_number(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0) {
    throw ArgumentError(std::string(name) + "='" + text + "' is not a non-negative integer");
  }
  return value;
}

class CpuDevice final : public Accelerator {
 public:
  CpuDevice(std::size_t threads, std::chrono::microseconds spin, std::size_t inline_items)
      : info_(cpu::detect_cpu_device_info(threads)), pool_(threads, spin, inline_items) {}

  ~CpuDevice() override { pool_.synchronize(); }

  [[nodiscard]] const DeviceInfo& info() const noexcept override { return info_; }
  [[nodiscard]] bool can_run(const KernelDefinition& kernel) const noexcept override {
    return kernel.cpu_entry != nullptr;
  }
  [[nodiscard]] std::string cannot_run_reason(const KernelDefinition& kernel) const override {
    return "kernel '" + kernel.name +
           "' has no native CPU implementation: the CPU backend runs kernels compiled at build time "
           "(dotcompute_add_kernels); kernels registered from source at run time need a JIT backend";
  }
  [[nodiscard]] bool shares_host_memory() const noexcept override { return true; }
  [[nodiscard]] MemoryPool& memory_pool() noexcept override { return *host_memory_pool(); }

  [[nodiscard]] std::shared_ptr<ExecutionState> launch(LaunchRequest request) override {
    if (request.kernel == nullptr || request.kernel->cpu_entry == nullptr) {
      throw ArgumentError(request.kernel ? cannot_run_reason(*request.kernel) : "launch without a kernel");
    }
    const std::size_t chunk_items = pool_.chunk_items(request.global.total());
    auto command = std::make_shared<cpu::CpuCommand>(std::move(request), pool_, chunk_items);
    // The request's arguments now live in the command; record the accesses
    // before it can start so host reads/writes wait for it.
    for (const LaunchArgument& argument : command->arguments()) {
      if (!argument.buffer) continue;
      argument.buffer->prepare_host_device_access(argument.access);  // copies back from devices when needed
      argument.buffer->record_access(command, argument.access != Access::read_only, /*on_host=*/true);
    }
    pool_.submit(command);
    return command;
  }

  void synchronize() override { pool_.synchronize(); }

 private:
  DeviceInfo info_;
  cpu::CpuThreadPool pool_;
};

class CpuProvider final : public AcceleratorProvider {
 public:
  explicit CpuProvider(CpuBackendOptions options) : options_(options) {}

  [[nodiscard]] std::string_view backend() const noexcept override { return "cpu"; }

  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> devices() override {
    std::size_t threads = options_.threads;
    if (threads == 0) threads = static_cast<std::size_t>(environment_number("DOTCOMPUTE_CPU_THREADS", 0));
    if (threads == 0) threads = cpu::available_cpu_count();
    const long spin = options_.spin_microseconds >= 0 ? options_.spin_microseconds
                                                      : environment_number("DOTCOMPUTE_CPU_SPIN_US", 100);
    return {std::make_shared<CpuDevice>(threads, std::chrono::microseconds(spin), options_.inline_items)};
  }

 private:
  CpuBackendOptions options_;
};

}  // namespace

std::unique_ptr<AcceleratorProvider> make_cpu_provider(CpuBackendOptions options) {
  return std::make_unique<CpuProvider>(options);
}

}  // namespace dotcompute
