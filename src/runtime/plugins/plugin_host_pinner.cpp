#include "plugin_host_pinner.hpp"

#include <atomic>

#include "../log.hpp"
#include "dotcompute/memory_pool.hpp"

namespace dotcompute::runtime {

namespace {

class PluginHostPinner final : public HostMemoryPinner {
 public:
  PluginHostPinner(std::shared_ptr<PluginModule> module, std::uint32_t backend)
      : module_(std::move(module)), backend_(module_->table().backends[backend]) {}

  bool pin(void* block, std::size_t bytes) noexcept override {
    dc_message_t message{};
    if (backend_.pin_host(module_->state(), block, bytes, &message) == DC_STATUS_OK) return true;
    log(LogLevel::debug, std::string("plugin backend ") + backend_.name + " cannot pin a host block of " +
                             std::to_string(bytes) + " bytes: " + message_text(message, "no message"));
    return false;
  }
  void unpin(void* block) noexcept override { backend_.unpin_host(module_->state(), block); }

 private:
  std::shared_ptr<PluginModule> module_;
  const dc_backend_t& backend_;  // in module_'s table
};

}  // namespace

void install_plugin_host_pinner(const std::shared_ptr<PluginModule>& module, std::uint32_t backend) {
  const dc_backend_t& table = module->table().backends[backend];
  if (table.pin_host == nullptr || table.unpin_host == nullptr) return;
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  set_host_memory_pinner(std::make_shared<PluginHostPinner>(module, backend));
  log(LogLevel::debug, std::string("host blocks are pinned by plugin backend ") + table.name);
}

}  // namespace dotcompute::runtime
