// Replacing a runtime service: a backend selector of our own, registered in
// the service collection next to add_dotcompute_runtime. Our registration wins
// whether it comes before or after the call.
#include <atomic>
#include <cstdio>
#include <dotcompute/dotcompute.hpp>

// Small launches go to the CPU backend (no transfers to pay for); large ones to
// the highest-ranked device, as the fixed-priority selector would choose.
class SizeAwareSelector final : public dc::BackendSelector {
 public:
  std::string_view name() const noexcept override { return "size-aware"; }

  dc::Selection select(const dc::SelectionRequest& request) override {
    ++decisions_;
    if (request.range.total() < kSmall) {
      for (const auto& device : request.candidates) {
        if (device->info().backend == "cpu") {
          return {device.get(), dc::SharedText::literal("size-aware: small launch stays on the CPU")};
        }
      }
    }
    // A literal reason costs nothing per launch; one built here would allocate every time.
    return {fallback_.select(request).device,
            dc::SharedText::literal("size-aware: large launch goes to the highest-ranked device (fixed priority)")};
  }

  int decisions() const noexcept { return decisions_.load(); }

 private:
  static constexpr std::size_t kSmall = 1 << 16;
  dc::FixedPrioritySelector fallback_;
  std::atomic<int> decisions_{0};
};

int main() {
  try {
    auto selector = std::make_shared<SizeAwareSelector>();
    dc::ServiceCollection services;
    dc::add_dotcompute_runtime(services);
    services.add_instance<dc::BackendSelector>(selector);  // replaces the default selector
    dc::Runtime runtime = dc::Runtime::from_services(services.build());

    for (int n : {1000, 1 << 20}) {
      dc::Buffer<double> x(n), y(n);
      x.fill(1.0);
      const dc::KernelResult result = runtime.orchestrator().execute("axpy", dc::Range{n}, n, 3.0, x, y).get();
      std::printf("n = %7d -> %s (%s), y[0] = %.1f\n", n, result.device.c_str(), result.selection_reason.c_str(),
                  y.host_read()[0]);
    }
    std::printf("the custom selector made %d decisions\n", selector->decisions());
    return selector->decisions() == 2 ? 0 : 1;
  } catch (const dc::ComputeError& error) {
    std::fprintf(stderr, "custom_selector: %s\n", error.what());
    return 1;
  }
}
