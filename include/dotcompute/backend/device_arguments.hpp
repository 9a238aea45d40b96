// Buffer arguments of a launch on a device with memory of its own (OpenCL,
// CUDA, plugin backends): the one place where buffers meet device replicas.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "dotcompute/accelerator.hpp"

namespace dotcompute {

/// A host span's temporary device copy, to be copied back after the kernel when `write_back`.
struct SpanCopy {
  std::unique_ptr<DeviceReplica> copy;
  void* host = nullptr;
  std::size_t bytes = 0;
  bool write_back = false;
};

/// For every buffer parameter of `arguments` (checked against `kernel`): a
/// Buffer gets its replica on `device` (uploaded when stale, unless
/// write-only) and `execution` is recorded as its reader or writer; a host
/// span gets a temporary replica (uploaded unless write-only). `bind(index,
/// replica)` is called for each, and `keep_span` receives each span copy,
/// which must live until the kernel and its write-back are done. Returns the
/// time spent uploading. Called while submitting, before `execution` can start;
/// throws what the device throws (OutOfMemoryError, DeviceError).
std::chrono::nanoseconds prepare_device_arguments(Accelerator& device, const std::shared_ptr<ExecutionState>& execution,
                                                  std::vector<LaunchArgument>& arguments,
                                                  const KernelDefinition& kernel,
                                                  const std::function<void(std::size_t, DeviceReplica&)>& bind,
                                                  const std::function<void(SpanCopy)>& keep_span);

}  // namespace dotcompute
