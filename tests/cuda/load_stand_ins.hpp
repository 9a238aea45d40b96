// Loads the suite's stand-in CUDA driver and NVRTC (stand_in_driver.cpp,
// stand_in_nvrtc.cpp) into a test process. Call it before any runtime starts
// the CUDA plugin: the plugin's dlopen("libcuda.so.1") then finds the loaded
// stand-in by its soname, and it loads NVRTC from DOTCOMPUTE_NVRTC_LIBRARY,
// set here. For targets made with dotcompute_stand_in_cuda_test (CMake).
#pragma once

#include <dlfcn.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "stand_in_driver.hpp"

namespace dotcompute {

/// The stand-in driver's counters. Throws std::runtime_error when it cannot be loaded.
inline StandInCounters& load_cuda_stand_ins() {
  static StandInCounters* const counters = [] {
    setenv("DOTCOMPUTE_NVRTC_LIBRARY", DOTCOMPUTE_STAND_IN_NVRTC, 1);
    void* driver = dlopen(DOTCOMPUTE_STAND_IN_CUDA_DRIVER, RTLD_NOW | RTLD_GLOBAL);
    if (driver == nullptr) throw std::runtime_error(std::string("cannot load the stand-in driver: ") + dlerror());
    auto* get = reinterpret_cast<StandInCounters* (*)()>(dlsym(driver, "stand_in_cuda_counters"));
    if (get == nullptr) throw std::runtime_error("the stand-in driver has no stand_in_cuda_counters");
    return get();
  }();
  return *counters;
}

}  // namespace dotcompute
