#include "cpu_device_info.hpp"

#include <sched.h>
#include <sys/sysinfo.h>

#include <cstring>
#include <fstream>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace dotcompute::cpu {

namespace {

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t\n");
  return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

// Brand string and vendor from cpuid (no file I/O: `dotcompute devices` must start fast).
void identify(DeviceInfo& info) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned int registers[4] = {};
  if (__get_cpuid(0, &registers[0], &registers[1], &registers[2], &registers[3]) != 0) {
    char vendor[13] = {};
    std::memcpy(vendor, &registers[1], 4);
    std::memcpy(vendor + 4, &registers[3], 4);
    std::memcpy(vendor + 8, &registers[2], 4);
    const std::string id = vendor;
    info.vendor = id == "AuthenticAMD" ? "AMD" : id == "GenuineIntel" ? "Intel" : id;
  }
  char brand[49] = {};
  bool have_brand = true;
  for (unsigned int leaf = 0; leaf < 3; ++leaf) {
    if (__get_cpuid(0x80000002 + leaf, &registers[0], &registers[1], &registers[2], &registers[3]) == 0) {
      have_brand = false;
      break;
    }
    std::memcpy(brand + leaf * 16, registers, 16);
  }
  if (have_brand) info.name = trim(brand);
#endif
  if (info.name.empty()) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
      const auto colon = line.find(':');
      if (colon != std::string::npos && (line.starts_with("model name") || line.starts_with("Model"))) {
        info.name = trim(line.substr(colon + 1));
        break;
      }
    }
  }
  if (info.name.empty()) info.name = "unknown CPU";
  if (info.vendor.empty()) info.vendor = "unknown";
}

void detect_simd(DeviceInfo& info) {
  info.simd_width_bits = 128;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) info.features.emplace_back("sse4.2");
  if (__builtin_cpu_supports("avx2")) {
    info.features.emplace_back("avx2");
    info.simd_width_bits = 256;
  }
  if (__builtin_cpu_supports("fma")) info.features.emplace_back("fma");
  if (__builtin_cpu_supports("avx512f")) {
    info.features.emplace_back("avx512f");
    info.simd_width_bits = 512;
  }
#endif
  info.features.emplace_back("fp64");
}

}  // namespace

std::size_t available_cpu_count() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<std::size_t>(count);
  }
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<std::size_t>(online) : 1;
}

DeviceInfo detect_cpu_device_info(std::size_t threads) {
  DeviceInfo info;
  info.id = "cpu:0";
  info.backend = "cpu";
  info.type = DeviceType::cpu;
  info.compute_units = static_cast<std::uint32_t>(threads);
  info.driver_version = "dotcompute native CPU backend";
  identify(info);
  detect_simd(info);
  struct sysinfo memory {};
  if (sysinfo(&memory) == 0) info.global_memory_bytes = static_cast<std::uint64_t>(memory.totalram) * memory.mem_unit;
  info.max_work_group_size = 1024;
  return info;
}

}  // namespace dotcompute::cpu
