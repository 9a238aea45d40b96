// The calling convention between the runtime's CPU backend and the native
// kernel entry points that dotcompute-kernelc generates.
//
// Arguments travel CUDA-style: `values[i]` points at the value of parameter i
// (for a buffer parameter, at the element pointer). The CPU backend splits the
// launch's linear index space into chunks and calls the entry once per chunk,
// possibly from several threads at once.
#pragma once

#include <cstddef>

namespace dotcompute::cpu {

/// Global and work-group extents of a launch, per dimension (unused dimensions are 1).
struct WorkGeometry {
  std::size_t global[3];
  std::size_t local[3];
};

/// Everything an entry point needs besides its chunk. Owned by the launching command.
struct LaunchArgs {
  const void* const* values;
  WorkGeometry geometry;
};

/// A half-open interval [begin, end) of linear work-item indices
/// (index = x + global[0] * (y + global[1] * z)).
struct WorkChunk {
  std::size_t begin;
  std::size_t end;
};

/// A generated native kernel: runs every work item of `chunk`. Must not throw.
using KernelEntry = void (*)(const LaunchArgs& args, const WorkChunk& chunk) noexcept;

}  // namespace dotcompute::cpu
