// `dotcompute devices` and `dotcompute kernels`.
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "json_writer.hpp"

namespace dotcompute::cli {

int command_devices(const Arguments& arguments) {
  if (!arguments.positional.empty()) throw UsageError("devices: unexpected argument '" + arguments.positional[0] + "'");
  Runtime runtime = Runtime::create();
  const auto devices = runtime.devices();
  if (arguments.json) {
    JsonWriter json;
    json.begin_object();
    json.key("devices");
    json.begin_array();
    for (const auto& device : devices) {
      const DeviceInfo& info = device->info();
      json.begin_object();
      json.key("id");
      json.value(info.id);
      json.key("backend");
      json.value(info.backend);
      json.key("name");
      json.value(info.name);
      json.key("vendor");
      json.value(info.vendor);
      json.key("type");
      json.value(to_string(info.type));
      json.key("compute_units");
      json.value(static_cast<std::uint64_t>(info.compute_units));
      json.key("simd_width_bits");
      json.value(static_cast<std::uint64_t>(info.simd_width_bits));
      json.key("memory_bytes");
      json.value(info.global_memory_bytes);
      json.key("features");
      json.begin_array();
      for (const auto& feature : info.features) json.value(feature);
      json.end_array();
      json.end_object();
    }
    json.end_array();
    json.key("skipped");
    json.begin_array();
    for (const auto& skipped : runtime.skipped_backends()) {
      json.begin_object();
      json.key("backend");
      json.value(skipped.backend);
      json.key("reason");
      json.value(skipped.reason);
      json.end_object();
    }
    json.end_array();
    json.end_object();
    std::cout << json.str();
    return 0;
  }
  std::printf("%-8s %-5s %-48s %6s %5s %10s\n", "ID", "TYPE", "NAME", "UNITS", "SIMD", "MEMORY");
  for (const auto& device : devices) {
    const DeviceInfo& info = device->info();
    std::printf("%-8s %-5s %-48s %6u %5u %10s\n", info.id.c_str(), std::string(to_string(info.type)).c_str(),
                info.name.c_str(), info.compute_units, info.simd_width_bits,
                format_bytes(static_cast<double>(info.global_memory_bytes)).c_str());
    if (arguments.verbose) {
      std::string features;
      for (const auto& feature : info.features) features += (features.empty() ? "" : " ") + feature;
      std::printf("         vendor: %s; driver: %s; features: %s\n", info.vendor.c_str(), info.driver_version.c_str(),
                  features.c_str());
    }
  }
  if (arguments.verbose) {
    for (const auto& skipped : runtime.skipped_backends()) {
      std::printf("skipped backend %s: %s\n", skipped.backend.c_str(), skipped.reason.c_str());
    }
  }
  return 0;
}

int command_kernels(const Arguments& arguments) {
  if (!arguments.positional.empty()) throw UsageError("kernels: unexpected argument '" + arguments.positional[0] + "'");
  const auto kernels = KernelRegistry::global().kernels();
  if (arguments.json) {
    JsonWriter json;
    json.begin_object();
    json.key("kernels");
    json.begin_array();
    for (const auto& kernel : kernels) {
      json.begin_object();
      json.key("name");
      json.value(kernel->name);
      json.key("signature");
      json.value(kernel->signature());
      json.key("dimensions");
      json.value(kernel->dimensions);
      json.key("origin");
      json.value(kernel->origin);
      json.key("implementations");
      json.begin_array();
      for (const auto& implementation : kernel->implementations()) json.value(implementation);
      json.end_array();
      json.key("parameters");
      json.begin_array();
      for (const auto& parameter : kernel->parameters) {
        json.begin_object();
        json.key("name");
        json.value(parameter.name);
        json.key("kind");
        json.value(parameter.kind == ParameterKind::buffer ? "buffer" : "scalar");
        json.key("type");
        json.value(dialect_name(parameter.type));
        json.key("access");
        json.value(to_string(parameter.access));
        if (!parameter.required_elements.empty()) {
          json.key("size");
          json.value(parameter.required_elements.text());
        }
        json.end_object();
      }
      json.end_array();
      json.end_object();
    }
    json.end_array();
    json.end_object();
    std::cout << json.str();
    return 0;
  }
  for (const auto& kernel : kernels) {
    std::string implementations;
    for (const auto& implementation : kernel->implementations()) {
      implementations += (implementations.empty() ? "" : ", ") + implementation;
    }
    std::printf("%s\n    %d-D, implementations: %s, from %s\n", kernel->signature().c_str(), kernel->dimensions,
                implementations.c_str(), kernel->origin.c_str());
  }
  for (const auto& conflict : KernelRegistry::global().conflicts()) std::printf("conflict: %s\n", conflict.c_str());
  return 0;
}

}  // namespace dotcompute::cli
