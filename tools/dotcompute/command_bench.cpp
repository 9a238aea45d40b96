// `dotcompute bench`: what dotcompute costs on each device, measured side by
// side with a raw baseline in the same run, in alternating rounds so that
// machine drift hits both alike; medians, and their ratio.
//
// Raw baselines: on the CPU backend, a hand-written team of spinning threads
// (a fork/join per launch, the same loop for vector_add); on a plugin device
// (OpenCL, CUDA, any plugin), the same plugin's C table driven without the
// runtime (bench/direct_plugin.hpp), with the kernel it would be given.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include <dotcompute/program_cache.hpp>

#include "cli.hpp"
#include "direct_plugin.hpp"
#include "json_writer.hpp"
#include "plugins/plugin_kernel.hpp"
#include "raw_vector_add.hpp"
#include "timing.hpp"

namespace dotcompute::cli {

namespace {

constexpr int kSyncLaunches = 100;        // launch + wait, per round
constexpr int kPipelinedLaunches = 1000;  // launched, then one wait, per round
constexpr std::size_t kDefaultElements = std::size_t{1} << 24;

// "16M", "64K" or "1000": an element count as people write it.
std::string count_text(std::size_t n) {
  if (n % (std::size_t{1} << 20) == 0) return std::to_string(n >> 20) + "M";
  if (n % (std::size_t{1} << 10) == 0) return std::to_string(n >> 10) + "K";
  return std::to_string(n);
}

// One measure on one device: seconds per operation, both sides, every round.
struct Figure {
  std::string name;
  double bytes = 0;  // per operation: reported as a rate when set
  std::vector<double> dotcompute;
  std::vector<double> raw;

  /// One round: `dotcompute_side` and `raw_side` each do `operations`, the raw one first if `raw_first`.
  template <class Dotcompute, class Raw>
  void measure(bool raw_first, int operations, Dotcompute&& dotcompute_side, Raw&& raw_side) {
    if (raw_first) raw.push_back(bench::seconds_taken(raw_side) / operations);
    dotcompute.push_back(bench::seconds_taken(dotcompute_side) / operations);
    if (!raw_first) raw.push_back(bench::seconds_taken(raw_side) / operations);
  }
  [[nodiscard]] double dotcompute_seconds() const { return bench::median(dotcompute); }
  [[nodiscard]] double raw_seconds() const { return bench::median(raw); }
  /// dotcompute's time over the raw one's: below 1, dotcompute is faster.
  [[nodiscard]] double time_ratio() const { return dotcompute_seconds() / raw_seconds(); }
  [[nodiscard]] std::string format(double per_operation) const {
    if (bytes == 0) return format_duration(per_operation);
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GB/s", bytes / per_operation / 1e9);
    return text;
  }
};

// The raw side of one device: empty launches and vector_add of a, b (all
// ones and twos) into c, by hand.
class RawSide {
 public:
  virtual ~RawSide() = default;
  /// What the raw side is, for the report.
  [[nodiscard]] virtual std::string baseline() const = 0;
  virtual void launch_empty() = 0;
  /// Returns once everything launched so far has finished.
  virtual void wait() = 0;
  /// One vector_add, waited for.
  virtual void vector_add() = 0;
  /// Whether the last vector_add's c holds 3 everywhere.
  [[nodiscard]] virtual bool vector_add_correct() = 0;
};

// vector_add of ones and twos: c holds 3 everywhere.
bool all_threes(std::span<const float> c) {
  return std::all_of(c.begin(), c.end(), [](float value) { return value == 3.0f; });
}

class CpuRaw final : public RawSide {
 public:
  CpuRaw(unsigned threads, std::size_t n) : team_(threads), a_(n, 1.0f), b_(n, 2.0f), c_(n) {}
  [[nodiscard]] std::string baseline() const override {
    return "a hand-written spinning thread team: a fork/join per launch, the same loop";
  }
  void launch_empty() override { team_.run(nothing_); }
  void wait() override {}
  void vector_add() override { bench::raw_vector_add(team_, a_.size(), a_.data(), b_.data(), c_.data()); }
  [[nodiscard]] bool vector_add_correct() override { return all_threes(c_); }

 private:
  bench::RawSpinTeam team_;
  const std::function<void(unsigned, unsigned)> nothing_ = [](unsigned, unsigned) {};
  std::vector<float> a_, b_, c_;
};

class PluginRaw final : public RawSide {
 public:
  PluginRaw(const std::string& file, const std::string& cache, const DeviceInfo& device, std::uint32_t index,
            std::size_t n)
      : file_(file),
        empty_kernel_(*KernelRegistry::global().get("empty")),
        add_kernel_(*KernelRegistry::global().get("vector_add")),
        plugin_(file, cache, device.backend, index),
        empty_(plugin_.prepare(empty_kernel_.descriptor())),
        add_(plugin_.prepare(add_kernel_.descriptor())),
        a_(n, 1.0f),
        b_(n, 2.0f),
        c_(n) {
    const std::uint64_t bytes = n * sizeof(float);
    void* memory[3] = {a_.data(), b_.data(), c_.data()};
    if (!plugin_.shares_host_memory()) {  // resident, as dotcompute's buffers are after the first run
      for (void*& m : memory) m = plugin_.allocate(bytes);
      plugin_.upload(memory[0], a_.data(), bytes);
      plugin_.upload(memory[1], b_.data(), bytes);
      c_memory_ = memory[2];
    }
    const int count = static_cast<int>(n);
    arguments_[0].kind = DC_PARAMETER_SCALAR;
    std::memcpy(arguments_[0].scalar, &count, sizeof count);
    for (int i = 0; i < 3; ++i) arguments_[i + 1] = {DC_PARAMETER_BUFFER, 0, {}, memory[i], n};
    geometry_.global[0] = n;
    geometry_.global[1] = geometry_.global[2] = 1;  // local 0: the device picks, as for dotcompute
  }
  [[nodiscard]] std::string baseline() const override {
    return "the plugin's C table without the runtime (" + file_ + ")";
  }
  void launch_empty() override { plugin_.launch(empty_); }
  void wait() override { plugin_.wait_all(); }
  void vector_add() override {
    plugin_.launch(add_, geometry_, arguments_);
    plugin_.wait_all();
  }
  [[nodiscard]] bool vector_add_correct() override {
    if (c_memory_ != nullptr) plugin_.download(c_memory_, c_.data(), c_.size() * sizeof(float));
    return all_threes(c_);
  }

 private:
  std::string file_;
  runtime::PluginKernel empty_kernel_;
  runtime::PluginKernel add_kernel_;
  bench::DirectPlugin plugin_;
  void* empty_;
  void* add_;
  std::vector<float> a_, b_, c_;
  void* c_memory_ = nullptr;  // c on the device (own-memory devices)
  dc_launch_argument_t arguments_[4]{};
  dc_work_geometry_t geometry_{};
};

// The plugin file that contributes `backend`, or "" when none does (a plugin
// linked into the process has no file to load again).
std::string plugin_file(Runtime& runtime, const std::string& backend) {
  for (const auto& record : runtime.services().get_required<PluginManager>()->records()) {
    if (!record.loaded || record.path.empty() || record.path.front() == '<') continue;
    const auto& contributions = record.contributions;
    if (std::find(contributions.begin(), contributions.end(), "backend " + backend) != contributions.end()) {
      return record.path;
    }
  }
  return "";
}

std::unique_ptr<RawSide> raw_side(Runtime& runtime, const DeviceInfo& device, std::size_t n) {
  if (device.backend == "cpu") return std::make_unique<CpuRaw>(device.compute_units, n);
  const std::string file = plugin_file(runtime, device.backend);
  if (file.empty()) throw DeviceError(device.id + ": no plugin file to load for a raw baseline");
  const RuntimeOptions& options = runtime.options();
  const std::string cache =
      options.cache_directory.empty() ? ProgramCache::default_directory().string() : options.cache_directory;
  const auto index = static_cast<std::uint32_t>(std::stoul(device.id.substr(device.id.find(':') + 1)));
  return std::make_unique<PluginRaw>(file, cache, device, index, n);
}

// What one device measured: its raw side, then each measure.
struct DeviceReport {
  std::string device;
  std::string baseline;
  std::vector<Figure> figures;
};

// Every measure of one device, in `rounds` alternating rounds; checks both
// sides' vector_add results. Throws what the device or its plugin threw.
DeviceReport bench_device(Runtime& runtime, const DeviceInfo& device, std::size_t n, std::size_t rounds) {
  ComputeOrchestrator& orchestrator = runtime.orchestrator();
  const ExecutionOptions on{.device = device.id, .local_size = {}};
  // On the CPU, empty launches over many items, split across its threads
  // (one item would run inline on the caller); elsewhere one work-item.
  const bool cpu = device.backend == "cpu";
  const std::size_t empty_items = cpu ? std::size_t{1} << 16 : 1;
  const Range empty_range(empty_items);
  const std::string items = empty_items == 1 ? "1 item" : count_text(empty_items) + " items";
  const int count = static_cast<int>(n);
  Buffer<float> a(n), b(n), c(n);
  a.fill(1.0f);
  b.fill(2.0f);
  const auto add = [&] {
    return orchestrator.execute(on, "vector_add", Range(n), count, std::as_const(a), std::as_const(b), c);
  };
  const std::unique_ptr<RawSide> raw = raw_side(runtime, device, n);
  // Warm: kernels built, buffers resident, pools and threads started.
  orchestrator.execute(on, "empty", empty_range).wait();
  add().wait();
  raw->launch_empty();
  raw->wait();
  raw->vector_add();

  Figure sync{"launch + wait, " + items, 0, {}, {}};
  Figure pipelined{"pipelined launches, " + items, 0, {}, {}};
  Figure vector_add{"vector_add, " + count_text(n) + " floats", 3.0 * static_cast<double>(n) * sizeof(float), {}, {}};
  for (std::size_t round = 0; round < rounds; ++round) {
    // Which side goes first alternates: neither always follows the other's
    // threads still spinning, or its caches.
    const bool raw_first = round % 2 == 1;
    sync.measure(
        raw_first, kSyncLaunches,
        [&] {
          for (int i = 0; i < kSyncLaunches; ++i) orchestrator.execute(on, "empty", empty_range).wait();
        },
        [&] {
          for (int i = 0; i < kSyncLaunches; ++i) {
            raw->launch_empty();
            raw->wait();
          }
        });
    pipelined.measure(
        raw_first, kPipelinedLaunches,
        [&] {
          Execution last;
          for (int i = 0; i < kPipelinedLaunches; ++i) last = orchestrator.execute(on, "empty", empty_range);
          last.wait();
        },
        [&] {
          for (int i = 0; i < kPipelinedLaunches; ++i) raw->launch_empty();
          raw->wait();
        });
    vector_add.measure(
        raw_first, 1, [&] { add().wait(); }, [&] { raw->vector_add(); });
  }
  const auto results = c.host_read();
  if (!all_threes(results)) {
    throw ExecutionError("dotcompute's vector_add gave a wrong result");
  }
  if (!raw->vector_add_correct()) throw ExecutionError("the raw vector_add gave a wrong result");
  return {device.id, raw->baseline(), {std::move(sync), std::move(pipelined), std::move(vector_add)}};
}

void write_json(const std::vector<DeviceReport>& reports, const std::vector<std::string>& failures,
                std::size_t rounds) {
  JsonWriter json;
  json.begin_object();
  json.key("rounds");
  json.value(static_cast<std::uint64_t>(rounds));
  json.key("devices");
  json.begin_array();
  for (const DeviceReport& report : reports) {
    json.begin_object();
    json.key("device");
    json.value(report.device);
    json.key("baseline");
    json.value(report.baseline);
    json.key("measures");
    json.begin_array();
    for (const Figure& figure : report.figures) {
      json.begin_object();
      json.key("measure");
      json.value(figure.name);
      json.key("dotcompute_seconds");
      json.value(figure.dotcompute_seconds());
      json.key("raw_seconds");
      json.value(figure.raw_seconds());
      json.key("time_ratio");
      json.value(figure.time_ratio());
      if (figure.bytes > 0) {
        json.key("dotcompute_gigabytes_per_second");
        json.value(figure.bytes / figure.dotcompute_seconds() / 1e9);
        json.key("raw_gigabytes_per_second");
        json.value(figure.bytes / figure.raw_seconds() / 1e9);
      }
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.key("failures");
  json.begin_array();
  for (const std::string& failure : failures) json.value(failure);
  json.end_array();
  json.end_object();
  std::cout << json.str();
}

void print_table(const std::vector<DeviceReport>& reports, const std::vector<std::string>& failures,
                 std::size_t rounds) {
  std::printf(
      "dotcompute bench: each measure against a raw baseline in the same run, medians of %zu alternating rounds\n"
      "ratio: dotcompute's time over the raw one's (below 1: dotcompute is faster)\n",
      rounds);
  for (const DeviceReport& report : reports) {
    std::printf("\n%s  raw: %s\n", report.device.c_str(), report.baseline.c_str());
    for (const Figure& figure : report.figures) {
      std::printf("  %-34s %12s %12s  %5.2fx\n", figure.name.c_str(),
                  figure.format(figure.dotcompute_seconds()).c_str(), figure.format(figure.raw_seconds()).c_str(),
                  figure.time_ratio());
    }
  }
  for (const std::string& failure : failures) std::printf("\nFAILED %s\n", failure.c_str());
}

}  // namespace

int command_bench(const Arguments& arguments) {
  if (!arguments.positional.empty()) throw UsageError("bench: unexpected argument '" + arguments.positional[0] + "'");
  const std::size_t n = arguments.size.value_or(kDefaultElements);
  if (n == 0 || n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw UsageError("bench: --size must be between 1 and " + std::to_string(std::numeric_limits<int>::max()) +
                     " (vector_add's element count is an int)");
  }
  Runtime runtime = Runtime::create();
  std::vector<DeviceInfo> devices;
  std::string known;
  for (const auto& device : runtime.devices()) {
    const DeviceInfo& info = device->info();
    known += (known.empty() ? "" : ", ") + info.id;
    if (arguments.device.empty() || arguments.device == info.id || arguments.device == info.backend) {
      devices.push_back(info);
    }
  }
  if (devices.empty()) throw UsageError("bench: no device '" + arguments.device + "' (devices: " + known + ")");

  std::vector<DeviceReport> reports;
  std::vector<std::string> failures;
  for (const DeviceInfo& device : devices) {
    try {
      reports.push_back(bench_device(runtime, device, n, arguments.repeat));
    } catch (const std::exception& error) {
      failures.push_back(device.id + ": " + error.what());
    }
  }
  if (arguments.json) {
    write_json(reports, failures, arguments.repeat);
  } else {
    print_table(reports, failures, arguments.repeat);
  }
  return failures.empty() ? 0 : 1;
}

}  // namespace dotcompute::cli
