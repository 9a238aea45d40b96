// A plugin that contributes everything but a backend: a selector, a telemetry
// sink, a memory manager and a kernel source (tests).
#include <atomic>

#include <dotcompute/plugin.hpp>

namespace {

std::atomic<long> executions{0};
std::atomic<long> reviews{0};

constexpr dc_kernel_source_t kSources[] = {
    {"services/fill.dck",
     "// fills a buffer\n"
     "DC_KERNEL void plugin_fill(int n, float value, DC_GLOBAL DC_WRITE_ONLY float* out DC_SIZE(n)) {\n"
     "  int i = dc_global_id(0);\n"
     "  if (i < n) out[i] = value;\n"
     "}\n"}};

struct ServicesPlugin {
  static constexpr const char* name = "services";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "selector, telemetry sink, memory manager, kernels (tests)";
  static constexpr const char* selector_name = "last_candidate";
  static constexpr const char* telemetry_sink_name = "counter";
  static constexpr const char* memory_manager_name = "trim_everything";
  static constexpr std::uint32_t memory_interval_ms = 10;

  explicit ServicesPlugin(const dc_host_t&) {}

  dotcompute::plugin::Choice select(const dc_selection_request_t& request) {
    return {request.candidate_count - 1, std::string("the last of ") + std::to_string(request.candidate_count) +
                                             " candidates for " + request.kernel};
  }
  void execution_finished(const dc_execution_record_t& record) noexcept {
    if (record.status == DC_EXECUTION_SUCCEEDED) executions.fetch_add(1);
  }
  void review(std::span<const dc_pool_report_t> pools, std::span<std::uint8_t> trim) {
    reviews.fetch_add(1);
    for (std::size_t i = 0; i < pools.size(); ++i) trim[i] = pools[i].bytes_cached > 0 ? 1 : 0;
  }
  static std::span<const dc_kernel_source_t> kernel_sources() { return kSources; }
};

}  // namespace

DOTCOMPUTE_PLUGIN(ServicesPlugin)

/// For the tests: successful executions the sink has seen, and reviews so far.
DC_PLUGIN_EXPORT long services_plugin_executions(void) { return executions.load(); }
DC_PLUGIN_EXPORT long services_plugin_reviews(void) { return reviews.load(); }
