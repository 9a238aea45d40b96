// Everything an application needs: #include <dotcompute/dotcompute.hpp>.
#pragma once

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend_selector.hpp"
#include "dotcompute/buffer.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/execution.hpp"
#include "dotcompute/kernel_args.hpp"
#include "dotcompute/kernel_definition.hpp"
#include "dotcompute/kernel_registry.hpp"
#include "dotcompute/memory_pool.hpp"
#include "dotcompute/orchestrator.hpp"
#include "dotcompute/plugins.hpp"
#include "dotcompute/range.hpp"
#include "dotcompute/runtime.hpp"
#include "dotcompute/runtime_options.hpp"
#include "dotcompute/runtime_services.hpp"
#include "dotcompute/services.hpp"
