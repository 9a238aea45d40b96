// `dotcompute run` and `dotcompute demo`: sample workloads through the orchestrator.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "json_writer.hpp"
#include "sample_catalog.hpp"

namespace dotcompute::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Measurement {
  KernelResult result;
  double median_seconds = 0;
  double min_seconds = 0;
  double checksum = 0;
  double gigabytes_per_second = 0;
  double gigaflops = 0;
  samples::CheckResult check;
};

// Runs `run` `repeat` times after one warm-up, resetting its inputs each time
// (outside the timed region); then checks the last run's output.
Measurement measure(samples::SampleRun& run, ComputeOrchestrator& orchestrator, const ExecutionOptions& options,
                    std::size_t repeat) {
  run.reset();
  run.launch(orchestrator, options).wait();
  std::vector<double> seconds;
  Measurement measurement;
  for (std::size_t r = 0; r < repeat; ++r) {
    run.reset();
    const auto start = Clock::now();
    const Execution execution = run.launch(orchestrator, options);
    measurement.result = execution.get();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  measurement.median_seconds = seconds[seconds.size() / 2];
  measurement.min_seconds = seconds.front();
  measurement.checksum = run.checksum();
  measurement.check = run.check();
  if (measurement.median_seconds > 0) {
    measurement.gigabytes_per_second = run.bytes() / measurement.median_seconds / 1e9;
    measurement.gigaflops = run.flops() / measurement.median_seconds / 1e9;
  }
  return measurement;
}

std::string throughput(const samples::SampleRun& run, const Measurement& m) {
  char text[48];
  if (run.bytes() > 0) {
    std::snprintf(text, sizeof text, "%.1f GB/s", m.gigabytes_per_second);
  } else if (m.gigaflops > 0) {
    std::snprintf(text, sizeof text, "%.1f GFLOP/s", m.gigaflops);
  } else {
    return "-";
  }
  return text;
}

const samples::Sample& sample_named(const std::string& name) {
  if (const samples::Sample* sample = samples::find_sample(name)) return *sample;
  std::string known;
  for (const auto& sample : samples::all_samples()) known += (known.empty() ? "" : ", ") + std::string(sample.name);
  throw UsageError("run: unknown kernel '" + name + "' (sample kernels: " + known + ")");
}

}  // namespace

int command_run(const Arguments& arguments) {
  if (arguments.positional.size() != 1) {
    throw UsageError(arguments.positional.empty() ? "run: which kernel? (see `dotcompute kernels`)"
                                                  : "run: unexpected argument '" + arguments.positional[1] + "'");
  }
  const samples::Sample& sample = sample_named(arguments.positional[0]);
  Runtime runtime = Runtime::create();
  const ExecutionOptions options{.device = arguments.device, .local_size = {}};
  const std::size_t size = arguments.size.value_or(sample.default_size);
  auto run = sample.prepare(size);
  const Measurement m = measure(*run, runtime.orchestrator(), options, arguments.repeat);
  if (arguments.json) {
    JsonWriter json;
    json.begin_object();
    json.key("kernel");
    json.value(sample.name);
    json.key("size");
    json.value(static_cast<std::uint64_t>(size));
    json.key("range");
    json.value(run->range().to_string());
    json.key("device");
    json.value(m.result.device);
    json.key("selection_reason");
    json.value(m.result.selection_reason);
    json.key("repeat");
    json.value(static_cast<std::uint64_t>(arguments.repeat));
    json.key("median_seconds");
    json.value(m.median_seconds);
    json.key("min_seconds");
    json.value(m.min_seconds);
    json.key("gigabytes_per_second");
    json.value(m.gigabytes_per_second);
    json.key("gigaflops");
    json.value(m.gigaflops);
    json.key("checksum");
    json.value(m.checksum);
    json.key("check");
    json.begin_object();
    json.key("ok");
    json.value(m.check.ok);
    json.key("detail");
    json.value(m.check.detail);
    json.end_object();
    json.end_object();
    std::cout << json.str();
  } else {
    std::printf("kernel      %s over %s\n", std::string(sample.name).c_str(), run->range().to_string().c_str());
    std::printf("device      %s (%s)\n", m.result.device.c_str(), m.result.selection_reason.c_str());
    std::printf("median      %s over %zu runs (min %s)\n", format_duration(m.median_seconds).c_str(), arguments.repeat,
                format_duration(m.min_seconds).c_str());
    std::printf("throughput  %s\n", throughput(*run, m).c_str());
    std::printf("checksum    %.9g\n", m.checksum);
    std::printf("check       %s (%s)\n", m.check.ok ? "ok" : "MISMATCH", m.check.detail.c_str());
  }
  return m.check.ok ? 0 : 1;
}

int command_demo(const Arguments& arguments) {
  if (!arguments.positional.empty()) throw UsageError("demo: unexpected argument '" + arguments.positional[0] + "'");
  Runtime runtime = Runtime::create();
  const auto devices = runtime.devices();
  JsonWriter json;
  if (arguments.json) {
    json.begin_object();
    json.key("results");
    json.begin_array();
  } else {
    std::printf("dotcompute demo: every sample kernel on every device, checked against a plain C++ reference\n\n");
    for (const auto& device : devices) {
      std::printf("device %s: %s, %u threads, %u-bit SIMD\n", device->info().id.c_str(), device->info().name.c_str(),
                  device->info().compute_units, device->info().simd_width_bits);
    }
    for (const auto& skipped : runtime.skipped_backends()) {
      std::printf("skipped %s: %s\n", skipped.backend.c_str(), skipped.reason.c_str());
    }
    std::printf("\n%-13s %-7s %-15s %11s %14s  %s\n", "KERNEL", "DEVICE", "RANGE", "MEDIAN", "THROUGHPUT", "CHECK");
  }
  int failures = 0;
  int total = 0;
  for (const auto& device : devices) {
    const ExecutionOptions options{.device = device->info().id, .local_size = {}};
    for (const auto& sample : samples::all_samples()) {
      if (sample.name == "empty") continue;
      auto run = sample.prepare(sample.demo_size);
      const Measurement m = measure(*run, runtime.orchestrator(), options, 3);
      ++total;
      failures += m.check.ok ? 0 : 1;
      if (arguments.json) {
        json.begin_object();
        json.key("kernel");
        json.value(sample.name);
        json.key("device");
        json.value(m.result.device);
        json.key("range");
        json.value(run->range().to_string());
        json.key("median_seconds");
        json.value(m.median_seconds);
        json.key("ok");
        json.value(m.check.ok);
        json.key("detail");
        json.value(m.check.detail);
        json.end_object();
      } else {
        std::printf("%-13s %-7s %-15s %11s %14s  %s (%s)\n", std::string(sample.name).c_str(), m.result.device.c_str(),
                    run->range().to_string().c_str(), format_duration(m.median_seconds).c_str(),
                    throughput(*run, m).c_str(), m.check.ok ? "ok" : "MISMATCH", m.check.detail.c_str());
      }
    }
  }
  if (arguments.json) {
    json.end_array();
    json.key("failures");
    json.value(failures);
    json.end_object();
    std::cout << json.str();
  } else if (failures == 0) {
    std::printf("\nall %d results match the reference\n", total);
  } else {
    std::printf("\n%d of %d results do NOT match the reference\n", failures, total);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace dotcompute::cli
