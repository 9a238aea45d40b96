// The smallest dotcompute program: write a kernel once (kernels/axpy.dck),
// run it through the orchestrator, read the result.
#include <cstdio>
#include <dotcompute/dotcompute.hpp>

int main() {
  try {
    dc::Runtime runtime = dc::Runtime::create();
    const int n = 1 << 20;
    dc::Buffer<double> x(n);
    dc::Buffer<double> y(n);
    {
      auto xs = x.host_write();
      auto ys = y.host_write();
      for (int i = 0; i < n; ++i) {
        xs[i] = i;
        ys[i] = 1.0;
      }
    }
    const dc::KernelResult result = runtime.orchestrator().execute("axpy", dc::Range{n}, n, 2.0, x, y).get();
    const auto ys = y.host_read();  // waits for the kernel if it is still running
    std::printf("axpy on %s (%s): y[10] = %.1f, y[n-1] = %.1f, %.3f ms\n", result.device.c_str(),
                result.selection_reason.c_str(), ys[10], ys[n - 1], result.timings.total.count() / 1e6);
    return ys[10] == 21.0 && ys[n - 1] == 2.0 * (n - 1) + 1.0 ? 0 : 1;
  } catch (const dc::ComputeError& error) {
    std::fprintf(stderr, "hello_axpy: %s\n", error.what());
    return 1;
  }
}
