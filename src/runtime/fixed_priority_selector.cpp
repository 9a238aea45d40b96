#include "dotcompute/backend_selector.hpp"

namespace dotcompute {

int FixedPrioritySelector::rank(const DeviceInfo& device) noexcept {
  if (device.type == DeviceType::gpu) {
    if (device.backend == "cuda") return 0;
    if (device.backend == "opencl") return 1;
    return 2;
  }
  if (device.backend == "cpu") return 3;
  if (device.backend == "opencl" && device.type == DeviceType::cpu) return 4;
  return 5;
}

Selection FixedPrioritySelector::select(const SelectionRequest& request) {
  Accelerator* best = nullptr;
  int best_rank = 0;
  for (const auto& candidate : request.candidates) {
    const int candidate_rank = rank(candidate->info());
    if (best == nullptr || candidate_rank < best_rank) {
      best = candidate.get();
      best_rank = candidate_rank;
    }
  }
  if (best == nullptr) return {};
  if (request.candidates.size() == 1)
    return {best, SharedText::literal("fixed priority: the only device that can run it")};
  return {best, SharedText::literal("fixed priority: CUDA GPU > OpenCL GPU > other GPU > CPU backend > OpenCL CPU")};
}

}  // namespace dotcompute
