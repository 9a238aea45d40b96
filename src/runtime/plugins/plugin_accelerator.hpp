// A device of a plugin backend: the Accelerator interface over a dc_backend_t,
// able to switch to a new version of its plugin while the runtime runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "continuation_thread.hpp"
#include "dotcompute/accelerator.hpp"
#include "plugin_module.hpp"

namespace dotcompute::runtime {

class PluginReplica;
class PluginCommand;
struct PluginProgram;

/// Thread-safe. Create with make_plugin_device (its last reference may drop on a plugin's thread).
class PluginAccelerator final : public Accelerator {
 public:
  /// Device `device` of backend `backend` of `module`, with id "<backend>:<device>".
  /// Throws DeviceUnavailableError when the plugin cannot describe it.
  PluginAccelerator(std::shared_ptr<PluginModule> module, std::uint32_t backend, std::uint32_t device);
  ~PluginAccelerator() override;

  [[nodiscard]] const DeviceInfo& info() const noexcept override { return *info_.load(std::memory_order_acquire); }
  [[nodiscard]] bool can_run(const KernelDefinition& kernel) const noexcept override;
  [[nodiscard]] std::string cannot_run_reason(const KernelDefinition& kernel) const override;
  [[nodiscard]] bool shares_host_memory() const noexcept override { return shares_host_; }
  [[nodiscard]] MemoryPool& memory_pool() noexcept override { return *pool_; }
  [[nodiscard]] bool accepting_work() const noexcept override { return !swapping_.load(std::memory_order_acquire); }
  [[nodiscard]] std::shared_ptr<ExecutionState> launch(LaunchRequest request) override;
  void synchronize() override;
  [[nodiscard]] std::unique_ptr<DeviceReplica> create_replica(std::size_t bytes) override;
  void upload(DeviceReplica& replica, const void* host, std::size_t bytes) override;
  void download(DeviceReplica& replica, void* host, std::size_t bytes) override;

  /// Hot reload: parks new launches (submitted, in order, once the swap is
  /// over), drains what is in flight, moves every buffer's data into memory of
  /// `module`, drops the compiled kernels and serves from `module` from now on.
  /// Never waits for a launch made from a completion of this device (a then()
  /// continuation). Throws DeviceError, changing nothing, when the new version
  /// cannot serve this device.
  void replace(std::shared_ptr<PluginModule> module, std::uint32_t backend);
  /// The device no longer exists in the plugin's new version: its work fails with `reason`.
  void retire(std::string reason);

  // --- for PluginCommand ---------------------------------------------------
  /// A launch handed to the plugin is over: its complete() call has returned
  /// and no wait uses the device through it any more.
  void handed_back() noexcept;
  /// A thread begins or ends waiting for a launch in the plugin
  /// (dc_backend_t::waiting). Call only while holding a launch the plugin has
  /// not handed back: that keeps the version served from changing.
  void waiting(bool begins) noexcept;
  /// Where the continuations of its launches run (see ContinuationThread).
  [[nodiscard]] ContinuationThread& continuations() noexcept { return continuations_; }

  // --- for PluginReplica and the device's memory pool ----------------------
  void* allocate_memory(std::size_t bytes) noexcept;
  void release_memory(void* memory) noexcept;
  void forget(PluginReplica& replica) noexcept;

 private:
  class ServingLock;
  // While it lives, new launches wait in parked_ and none is under way, so
  // serving_ taken exclusively may change the version served (launch() uses
  // it without serving_); then the parked launches go on, on that version.
  class Parked {
   public:
    explicit Parked(PluginAccelerator& device);
    ~Parked();
    Parked(const Parked&) = delete;
    Parked& operator=(const Parked&) = delete;

   private:
    PluginAccelerator& device_;
  };
  [[nodiscard]] DeviceInfo describe(const PluginModule& module, const dc_backend_t& backend) const;
  [[nodiscard]] const dc_backend_t& backend() const noexcept { return module_->table().backends[backend_index_]; }
  // The prepared program of `kernel`, preparing it on first use. Call while serving.
  PluginProgram& program_for(const KernelDefinition& kernel) const;
  // With programs_mutex_ held: prepares `kernel` into `slot` (which may hold another kernel's program).
  void prepare_locked(std::unique_ptr<PluginProgram>& slot, const KernelDefinition& kernel) const;
  void release_programs() noexcept;
  // Throws why `program` (of `kernel`) cannot be launched, unless it can.
  void check_prepared(const PluginProgram& program, const KernelDefinition& kernel) const;
  // Prepares the arguments of `command` and hands it to the plugin. Throws when
  // the device cannot run its kernel; later failures finish the command. Call
  // counted in launching_; `parked`: it waited in parked_ (see submit).
  void launch_now(const std::shared_ptr<PluginCommand>& command, bool parked);
  // Hands `command` to the plugin with `arguments` (one per parameter) and,
  // for a plugin that copies writable host spans back, `write_backs`; marks
  // it started. Call as launch_now; throws what launch() reported.
  void submit(const std::shared_ptr<PluginCommand>& command, void* program,
              std::span<const dc_launch_argument_t> arguments, std::span<const dc_write_back_t> write_backs,
              bool parked);
  // launch() is done launching: the end of a replace()'s wait, if it was the last.
  void stop_launching() noexcept;
  // Returns once every launch handed to the plugin has completed and its
  // complete() call has returned (it may run continuations). Never call it from one of them.
  void wait_for_callbacks() const noexcept;
  // Launches the commands parked during a reload, in order, then stops parking.
  void resubmit_parked() noexcept;
  void migrate_replicas(const std::shared_ptr<PluginModule>& module, std::uint32_t backend);
  [[noreturn]] void fail(const char* operation, dc_status_t status, dc_message_t& message) const;
  void check_usable() const;

  const std::uint32_t device_;
  bool shares_host_ = false;
  // Shared: any use of module_ but launch()'s (pinned by launching_); exclusive:
  // replace() and retire(), with launches parked.
  mutable std::shared_mutex serving_;
  std::shared_ptr<PluginModule> module_;
  std::uint32_t backend_index_;
  std::string retired_;  // non-empty: gone after a reload
  std::atomic<bool> swapping_{false};
  // Launches handed to the plugin and not handed back yet (the device
  // outlives them: see wait_for_callbacks). On a cache line of its own, as
  // the plugin's threads count launches out while the submitting thread
  // uses launching_ and parking_.
  alignas(64) mutable std::atomic<int> in_plugin_{0};
  alignas(64) std::mutex parking_mutex_;  // parked_, and parking_ changes
  std::atomic<bool> parking_{false};      // a reload is under way: launches go to parked_
  std::atomic<int> launching_{0};         // launch() calls past the parking check, not returned yet
  std::deque<std::shared_ptr<PluginCommand>> parked_;
  std::atomic<const DeviceInfo*> info_{nullptr};
  std::mutex infos_mutex_;
  std::vector<std::unique_ptr<DeviceInfo>> infos_;  // every version's, so that info() references stay valid
  mutable std::mutex programs_mutex_;
  mutable std::unordered_map<const KernelDefinition*, std::unique_ptr<PluginProgram>> programs_;
  // Programs whose definition's address now holds another kernel: kept until
  // release_programs(), as a launch may still be reading one through last_program_.
  mutable std::vector<std::unique_ptr<PluginProgram>> replaced_programs_;
  // The program program_for() found last (one of programs_), or null. Read without programs_mutex_.
  mutable std::atomic<PluginProgram*> last_program_{nullptr};
  std::mutex replicas_mutex_;
  std::unordered_set<PluginReplica*> replicas_;
  std::mutex memory_mutex_;  // allocate_memory / release_memory against the version switch
  std::shared_ptr<MemoryPool> pool_;
  ContinuationThread continuations_;  // stopped by the destructor once the plugin's callbacks have returned
};

/// Owns a new PluginAccelerator (see make_shared_device).
[[nodiscard]] std::shared_ptr<PluginAccelerator> make_plugin_device(std::shared_ptr<PluginModule> module,
                                                                    std::uint32_t backend, std::uint32_t device);

}  // namespace dotcompute::runtime
