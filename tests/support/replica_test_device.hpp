// A device with memory of its own, for tests: kernels run (through their
// native CPU entries) on the device's replicas, in order, on a worker thread,
// and every upload/download goes through the coherence protocol of
// BufferStorage exactly as an OpenCL or CUDA device's would.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <dotcompute/dotcompute.hpp>

namespace dotcompute::test {

class ReplicaTestDevice final : public Accelerator {
 public:
  explicit ReplicaTestDevice(std::string id = "replica-test:0");
  ~ReplicaTestDevice() override;

  [[nodiscard]] const DeviceInfo& info() const noexcept override { return info_; }
  [[nodiscard]] bool can_run(const KernelDefinition& kernel) const noexcept override {
    return kernel.cpu_entry != nullptr;
  }
  [[nodiscard]] std::string cannot_run_reason(const KernelDefinition& kernel) const override {
    return "kernel '" + kernel.name + "' has no native entry to run on the replica test device";
  }
  [[nodiscard]] bool shares_host_memory() const noexcept override { return false; }
  [[nodiscard]] MemoryPool& memory_pool() noexcept override { return *pool_; }
  [[nodiscard]] std::shared_ptr<ExecutionState> launch(LaunchRequest request) override;
  void synchronize() override;

  [[nodiscard]] std::unique_ptr<DeviceReplica> create_replica(std::size_t bytes) override;
  void upload(DeviceReplica& replica, const void* host, std::size_t bytes) override;
  void download(DeviceReplica& replica, void* host, std::size_t bytes) override;

  std::atomic<int> uploads{0};
  std::atomic<int> downloads{0};

 private:
  void run_in_order(std::function<void()> task, bool wait);
  void worker_main();

  DeviceInfo info_;
  std::shared_ptr<MemoryPool> pool_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

/// A runtime whose devices are the standard ones (CPU, OpenCL when available,
/// the backends of the plugins in `plugin_paths`) plus a ReplicaTestDevice "replica-test:0".
Runtime make_runtime_with_replica_device(KernelRegistry* registry = nullptr,
                                         std::vector<std::string> plugin_paths = {});

}  // namespace dotcompute::test
