// Side-by-side measurement: each benchmark iteration times dotcompute and its
// raw baseline back to back, so machine drift hits both alike; the reported
// counters are medians and their ratio.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include <dotcompute/dotcompute.hpp>

#include "sample_catalog.hpp"
#include "timing.hpp"

namespace dotcompute::bench {

/// The sample kernels live in libdotcompute_samples; referencing its catalog
/// keeps the linker from dropping the library (and its kernel registrations).
inline void require_sample_kernels() {
  if (samples::find_sample("vector_add") == nullptr) throw std::runtime_error("sample kernels are not linked");
}

class PairedSamples {
 public:
  void add(double dotcompute_seconds, double raw_seconds) {
    dotcompute_.push_back(dotcompute_seconds);
    raw_.push_back(raw_seconds);
  }

  /// Sets dc_<unit>, raw_<unit> and ratio counters, where the value is
  /// `work / median seconds` (work = bytes, operations...). ratio = dc / raw:
  /// above 1 means dotcompute is faster.
  void report_rate(benchmark::State& state, const std::string& unit, double work) {
    const double dc = work / median(dotcompute_);
    const double raw = work / median(raw_);
    state.counters["dc_" + unit] = dc;
    state.counters["raw_" + unit] = raw;
    state.counters["ratio"] = dc / raw;
  }

  /// Sets dc_ns, raw_ns (median per operation) and ratio = dc / raw (below 1: dotcompute is faster).
  void report_latency(benchmark::State& state, double operations_per_sample) {
    report_medians(state, "", operations_per_sample);
    state.counters["ratio"] = state.counters["dc_ns"] / state.counters["raw_ns"];
  }

  /// Sets dc_<what>_ns and raw_<what>_ns: the median per operation, no ratio.
  void report_medians(benchmark::State& state, const std::string& what, double operations_per_sample) {
    const std::string infix = what.empty() ? "" : what + "_";
    state.counters["dc_" + infix + "ns"] = median(dotcompute_) / operations_per_sample * 1e9;
    state.counters["raw_" + infix + "ns"] = median(raw_) / operations_per_sample * 1e9;
  }

  /// CPU time of the calling thread, in seconds.
  static double thread_cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
  }

 private:
  std::vector<double> dotcompute_;
  std::vector<double> raw_;
};

/// Launch overhead, the two shapes every backend is measured in: `launch()`
/// makes one execution through dotcompute, `raw_launch()` one by hand, and
/// `raw_wait()` waits for everything launched by hand. Pipelined: `batch`
/// launches, then one wait. Synchronous: each launch waited for. Reports the
/// latency per launch (PairedSamples::report_latency). Pipelined also reports
/// dc_submit_cpu_ns / raw_submit_cpu_ns: the submitting thread's CPU time per
/// launch while it launches (the wait left out), the cost on the caller.
template <class Launch, class RawLaunch, class RawWait>
void measure_pipelined_launches(benchmark::State& state, int batch, Launch launch, RawLaunch raw_launch,
                                RawWait raw_wait) {
  PairedSamples samples;
  PairedSamples submit_cpu;
  for (auto _ : state) {
    double dc_cpu = 0;
    const double dc = seconds_taken([&] {
      const double start = PairedSamples::thread_cpu_seconds();
      Execution last;
      for (int i = 0; i < batch; ++i) last = launch();
      dc_cpu = PairedSamples::thread_cpu_seconds() - start;
      last.wait();
    });
    double raw_cpu = 0;
    const double raw = seconds_taken([&] {
      const double start = PairedSamples::thread_cpu_seconds();
      for (int i = 0; i < batch; ++i) raw_launch();
      raw_cpu = PairedSamples::thread_cpu_seconds() - start;
      raw_wait();
    });
    samples.add(dc, raw);
    submit_cpu.add(dc_cpu, raw_cpu);
  }
  samples.report_latency(state, batch);
  submit_cpu.report_medians(state, "submit_cpu", batch);
}

template <class Launch, class RawLaunch, class RawWait>
void measure_sync_launches(benchmark::State& state, int batch, Launch launch, RawLaunch raw_launch, RawWait raw_wait) {
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] {
      for (int i = 0; i < batch; ++i) launch().wait();
    });
    const double raw = seconds_taken([&] {
      for (int i = 0; i < batch; ++i) {
        raw_launch();
        raw_wait();
      }
    });
    samples.add(dc, raw);
  }
  samples.report_latency(state, batch);
}

/// What a then() continuation adds to a launch that is waited for: `launch()`
/// with a continuation that counts, waited for through then()'s handle (on a
/// plugin device it runs on the device's continuation thread: one more thread
/// hand-off), against the same launch waited for and counted by the waiting
/// thread. Both sides go through dotcompute. Reports the latency per launch.
template <class Launch>
void measure_continued_launches(benchmark::State& state, int batch, Launch launch) {
  std::atomic<long> continued{0};
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] {
      for (int i = 0; i < batch; ++i) launch().then([&](const KernelResult&) { ++continued; }).wait();
    });
    const double raw = seconds_taken([&] {
      for (int i = 0; i < batch; ++i) {
        launch().wait();
        ++continued;
      }
    });
    samples.add(dc, raw);
  }
  samples.report_latency(state, batch);
  benchmark::DoNotOptimize(continued.load());
}

}  // namespace dotcompute::bench
