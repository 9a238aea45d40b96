// Page-locking of the runtime's host blocks by a plugin backend
// (dc_backend_t::pin_host), so that its transfers run by DMA.
#pragma once

#include <cstdint>
#include <memory>

#include "plugin_module.hpp"

namespace dotcompute::runtime {

/// Installs backend `backend` of `module` as the process's host memory
/// pinner (see set_host_memory_pinner), unless a plugin backend was installed
/// before or the backend cannot pin. The module then stays loaded as long as
/// the process runs (pinned blocks are unpinned through it). Thread-safe.
void install_plugin_host_pinner(const std::shared_ptr<PluginModule>& module, std::uint32_t backend);

}  // namespace dotcompute::runtime
