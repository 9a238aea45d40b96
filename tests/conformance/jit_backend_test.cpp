// What the JIT backends (OpenCL, CUDA) do beyond running the sample kernels:
// compile portable source (errors mapped to .dck lines), cache programs on
// disk across runtimes, keep buffers coherent with the CPU backend, and cancel
// work still waiting in front of the driver. Each test runs once per backend
// and is skipped, with the backend's own reason, where it has no device.
//
// Built a second time as cuda_stand_in_conformance_tests, for CUDA only,
// against the suite's stand-in driver and NVRTC (tests/cuda/stand_in_*.cpp):
// a "GPU" whose streams run asynchronously on threads of their own, so that
// the CUDA plugin's queue, driver window, completions and cancellation run
// for real on machines without a GPU or the CUDA toolkit. The stand-in
// driver runs the kernels it knows by name (their code is C++ there); the
// stand-in NVRTC compiles nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <dotcompute/backend/driver_window.hpp>
#include <dotcompute/dotcompute.hpp>
#include <dotcompute/program_cache.hpp>
#include <filesystem>
#include <thread>
#include <vector>

#include "sample_catalog.hpp"

#ifdef DOTCOMPUTE_STAND_IN_CUDA_DRIVER
#include "load_stand_ins.hpp"
#endif

namespace dotcompute {
namespace {

namespace fs = std::filesystem;

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

#ifdef DOTCOMPUTE_STAND_IN_CUDA_DRIVER
// Loads the stand-ins before any runtime; why they cannot run the current
// test ("" when they can).
std::string stand_in_skip_reason() {
  (void)load_cuda_stand_ins();
  const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  if (test.starts_with("BuildErrorsNameTheKernelSourceLineAndDevice")) {
    return "the stand-in NVRTC compiles nothing, so it finds no errors";
  }
  if (test.starts_with("AReplacedKernelSourceRunsItsNewCode")) {
    return "the stand-in driver runs kernels by name: it cannot tell one version of put's code from another";
  }
  return "";
}
#endif

class JitBackend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
#ifdef DOTCOMPUTE_STAND_IN_CUDA_DRIVER
    if (const std::string reason = stand_in_skip_reason(); !reason.empty()) GTEST_SKIP() << reason;
#endif
    ASSERT_NE(samples::find_sample("scale"), nullptr);
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    cache_ = fs::path(::testing::TempDir()) / ("dc_jit_" + name);
    fs::remove_all(cache_);
    runtime_ = std::make_unique<Runtime>(make_runtime());
    if (runtime_->orchestrator().available_devices().size() < 2) {
      std::string reason = "no " + backend() + " device";
      for (const auto& skipped : runtime_->skipped_backends()) {
        if (skipped.backend == backend()) reason += ": " + skipped.reason;
      }
      GTEST_SKIP() << reason;
    }
  }
  const std::string& backend() const { return GetParam(); }
  std::string device0() const { return backend() + ":0"; }
  void TearDown() override {
    runtime_.reset();
    fs::remove_all(cache_);
  }
  // The CPU backend (the reference) and the backend under test only.
  Runtime make_runtime(KernelRegistry* registry = nullptr) {
    return Runtime::create([this, registry](RuntimeOptions& o) {
      o.cache_directory = cache_.string();
      o.registry = registry != nullptr ? registry : &registry_;
      o.backends = {"cpu", backend()};
    });
  }
  static Execution on(Runtime& runtime, const char* device, const char* kernel, const Range& range, auto&&... args) {
    return runtime.orchestrator().execute({.device = device, .local_size = {}}, kernel, range, args...);
  }

  fs::path cache_;
  KernelRegistry registry_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_P(JitBackend, BuildErrorsNameTheKernelSourceLineAndDevice) {
  registry_.add_source("DC_KERNEL void broken(DC_GLOBAL float* x) {\n  x[0] = not_declared;\n}\n",
                       "runtime/broken.dck");
  Buffer<float> x(4);
  try {
    (void)on(*runtime_, device0().c_str(), "broken", Range(4), x);
    FAIL() << "expected CompilationError";
  } catch (const CompilationError& e) {
    EXPECT_CONTAINS(e.what(), "runtime/broken.dck failed on " + device0());
    EXPECT_CONTAINS(e.what(), "runtime/broken.dck:2:");
    EXPECT_CONTAINS(e.what(), "not_declared");
  }
}

TEST_P(JitBackend, ProgramsAreCachedOnDiskForTheNextRuntime) {
  registry_.add_source("DC_KERNEL void twice(DC_GLOBAL float* x) { x[dc_global_id(0)] *= 2.0f; }", "runtime/twice.dck");
  Buffer<float> x(16);
  x.fill(1.0f);
  on(*runtime_, backend().c_str(), "twice", Range(16), x).wait();
  ASSERT_EQ(ProgramCache(cache_).info().entries, 1u);
  const fs::path entry = fs::directory_iterator(cache_)->path();
  fs::last_write_time(entry, fs::file_time_type::clock::now() - std::chrono::hours(1));
  const auto before = fs::last_write_time(entry);
  {
    Runtime fresh = make_runtime();  // new devices: empty in-memory caches
    on(fresh, backend().c_str(), "twice", Range(16), x).wait();
  }
  EXPECT_GT(fs::last_write_time(entry), before);  // loaded (a load marks the entry as used)
  EXPECT_EQ(ProgramCache(cache_).info().entries, 1u);
  EXPECT_EQ(x.host_read()[15], 4.0f);
}

TEST_P(JitBackend, CorruptCacheEntriesAreRebuilt) {
  registry_.add_source("DC_KERNEL void inc(DC_GLOBAL int* x) { x[dc_global_id(0)] += 1; }", "runtime/inc.dck");
  Buffer<int> x(8);
  on(*runtime_, backend().c_str(), "inc", Range(8), x).wait();
  const fs::path entry = fs::directory_iterator(cache_)->path();
  fs::resize_file(entry, fs::file_size(entry) / 2);
  {
    Runtime fresh = make_runtime();
    on(fresh, backend().c_str(), "inc", Range(8), x).wait();
  }
  EXPECT_EQ(x.host_read()[0], 2);
  EXPECT_GT(fs::file_size(entry), 64u);  // rewritten whole
}

TEST_P(JitBackend, BuffersStayCoherentWithTheCpuBackend) {
  // Sample kernels: scale(n, factor, x) runs natively on the CPU and JIT-compiled on the device.
  KernelRegistry& samples = KernelRegistry::global();
  ASSERT_NE(samples.find("scale"), nullptr);
  Runtime runtime = make_runtime(&samples);
  const char* device = backend().c_str();
  const int n = 100000;
  Buffer<float> x(n);
  x.fill(1.0f);
  on(runtime, device, "scale", Range(n), n, 2.0f, x);  // device writes
  on(runtime, "cpu", "scale", Range(n), n, 3.0f, x);   // CPU needs the device's data
  on(runtime, device, "scale", Range(n), n, 5.0f, x);  // device needs the CPU's data
  EXPECT_EQ(x.host_read()[n - 1], 30.0f);
  x.fill(1.0f);                                        // host write between kernels
  on(runtime, device, "scale", Range(n), n, 7.0f, x);  // re-uploaded
  EXPECT_EQ(x.host_read()[0], 7.0f);
  Buffer<float> a(n), b(n), c(n);
  a.fill(1.0f);
  b.fill(2.0f);
  on(runtime, device, "vector_add", Range(n), n, std::as_const(a), std::as_const(b), c);  // device reads a
  on(runtime, "cpu", "scale", Range(n), n, 10.0f, a);  // CPU writes a meanwhile: the device has its own copy
  EXPECT_EQ(c.host_read()[5], 3.0f);
  EXPECT_EQ(a.host_read()[5], 10.0f);
}

constexpr const char* kSpinSource =
    "DC_KERNEL void spin(int iterations, DC_GLOBAL float* x) {\n"
    "  float v = 0.0f;\n"
    "  for (int i = 0; i < iterations; ++i) v = v * 0.999f + 1.0f;\n"
    "  x[dc_global_id(0)] = v;\n"
    "}\n";

TEST_P(JitBackend, WorkQueuedBehindTheDriverWindowCanBeCancelled) {
  registry_.add_source(kSpinSource, "runtime/spin.dck");
  Buffer<float> x(2);
  on(*runtime_, backend().c_str(), "spin", Range(2), 1, x).wait();  // built
  std::vector<Execution> queued;
  queued.push_back(on(*runtime_, backend().c_str(), "spin", Range(2), 200000000, x));  // long
  for (int i = 0; i < 5000; ++i) queued.push_back(on(*runtime_, backend().c_str(), "spin", Range(2), 1, x));
  queued.back().cancel();  // beyond the widest driver window (4096 commands): still ours to drop
  try {
    queued.back().wait();
    FAIL() << "expected CancelledError";
  } catch (const CancelledError& e) {
    EXPECT_CONTAINS(e.what(), "before it started");
  }
  for (std::size_t i = 0; i + 1 < queued.size(); ++i) EXPECT_NO_THROW(queued[i].wait());
}

TEST_P(JitBackend, LongKernelsReachTheDriverAFewAtATime) {
  // Work in the driver can no longer be cancelled, so the driver gets about
  // 2 ms of it: with kernels of several milliseconds, two at a time.
  registry_.add_source(kSpinSource, "runtime/spin.dck");
  Buffer<float> x(2);
  constexpr int kLong = 4000000;                                       // about 7 ms on PoCL here
  for (std::size_t i = 0; i < DriverWindow::kMeasurementsKept; ++i) {  // measured
    on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x).wait();
  }
  std::vector<Execution> queued;
  for (int i = 0; i < 8; ++i) queued.push_back(on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x));
  queued[5].cancel();
  for (std::size_t i = 0; i < queued.size(); ++i) {
    if (i == 5) {
      EXPECT_THROW(queued[i].wait(), CancelledError) << "the sixth long kernel was already in the driver";
    } else {
      EXPECT_NO_THROW(queued[i].wait());
    }
  }
}

// A spin, many short launches, a long one, and many short ones again, all
// launched before the first short one runs: a device may hold the short
// ones' completions back while more of its work follows (the OpenCL device
// does, to report them from the next launch or with the next completion it
// observes, which here comes after the long one), but never from anyone who
// asks for them, nor past when they finished.
class ShortThenLong {
 public:
  static constexpr int kShort = 200;      // on each side of the long one
  static constexpr int kLong = 40000000;  // about 70 ms on PoCL here

  ShortThenLong(Runtime& runtime, const std::string& device, KernelRegistry& registry) : x_(2) {
    registry.add_source(kSpinSource, "runtime/spin.dck");
    registry.add_source("DC_KERNEL void nothing(int unused) {}", "runtime/nothing.dck");
    const ExecutionOptions on{.device = device, .local_size = {}};
    runtime.orchestrator().execute(on, "nothing", Range(1), 0).wait();  // both built
    runtime.orchestrator().execute(on, "spin", Range(2), 1, x_).wait();
    // Short launches measured first: the driver then takes all of them at once.
    for (int i = 0; i < 3 * kShort; ++i) (void)runtime.orchestrator().execute(on, "nothing", Range(1), i);
    runtime.orchestrator().execute(on, "nothing", Range(1), 0).wait();
    (void)runtime.orchestrator().execute(on, "spin", Range(2), kLong / 10, x_);  // until all is launched
    for (int i = 0; i < kShort; ++i) short_.push_back(runtime.orchestrator().execute(on, "nothing", Range(1), i));
    long_ = runtime.orchestrator().execute(on, "spin", Range(2), kLong, x_);
    for (int i = 0; i < kShort; ++i) short_.push_back(runtime.orchestrator().execute(on, "nothing", Range(1), i));
  }
  // One in the middle of the first short ones: a completion marker follows it before the long one.
  [[nodiscard]] const Execution& watched() const { return short_[kShort / 2]; }
  // Waits, without asking the device for any completion, until the last
  // launch has been reported (the device then reports everything).
  void let_it_finish() const {
    while (!short_.back().state()->is_finished()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // Waits for everything; how long the long one took from its submission.
  [[nodiscard]] std::chrono::nanoseconds finish() const {
    for (const Execution& execution : short_) execution.wait();
    return long_.get().timings.total;
  }

 private:
  Buffer<float> x_;
  std::vector<Execution> short_;
  Execution long_;
};

using SteadyClock = std::chrono::steady_clock;

TEST_P(JitBackend, AWaitReturnsBeforeTheWorkQueuedBehindIt) {
  const ShortThenLong work(*runtime_, device0(), registry_);
  const auto start = SteadyClock::now();
  work.watched().wait();
  const auto waited = SteadyClock::now() - start;
  EXPECT_LT(waited, work.finish() / 2) << "the wait for a short launch lasted until the long one behind it finished";
}

TEST_P(JitBackend, AContinuationRunsBeforeTheWorkQueuedBehindIt) {
  const ShortThenLong work(*runtime_, device0(), registry_);
  const auto start = SteadyClock::now();
  std::atomic<SteadyClock::rep> ran_after{0};
  const Execution continued = work.watched().then(
      [&](const KernelResult&) { ran_after = (SteadyClock::now() - start).count(); });  // nobody waits for it
  const auto long_took = work.finish();
  continued.wait();
  EXPECT_LT(SteadyClock::duration(ran_after.load()), long_took / 2)
      << "the continuation of a short launch ran only once the long one behind it finished";
}

TEST_P(JitBackend, IsDoneTellsOfFinishedWorkBeforeTheWorkQueuedBehindIt) {
  const ShortThenLong work(*runtime_, device0(), registry_);
  const auto start = SteadyClock::now();
  while (!work.watched().is_done()) std::this_thread::sleep_for(std::chrono::microseconds(100));
  const auto polled = SteadyClock::now() - start;
  EXPECT_LT(polled, work.finish() / 2) << "is_done() said no until the long launch behind it finished";
}

TEST_P(JitBackend, TimingsEndWhenTheKernelFinishedNotWhenItWasReported) {
  const ShortThenLong work(*runtime_, device0(), registry_);
  work.let_it_finish();
  const auto long_took = work.finish();
  EXPECT_LT(work.watched().get().timings.total, long_took / 2)
      << "a short launch's timings include the long launch queued behind it";
}

TEST_P(JitBackend, AContinuationLaunchesWhileATransferWaitsForTheDriverWindow) {
  // A download first hands every waiting command to the driver, holding the
  // device's queue while it waits for window room. A continuation of a
  // completed command launching on the device needs that queue: the room
  // must reach the download before the continuation runs, or neither moves.
  registry_.add_source(kSpinSource, "runtime/spin.dck");
  registry_.add_source("DC_KERNEL void nothing(int unused) {}", "runtime/nothing.dck");
  Buffer<float> x(2);
  Buffer<float> y(2);
  on(*runtime_, backend().c_str(), "spin", Range(2), 1, y).wait();     // y's data now only on the device
  on(*runtime_, backend().c_str(), "nothing", Range(1), 0).wait();     // built
  constexpr int kLong = 4000000;                                       // about 7 ms on PoCL here
  for (std::size_t i = 0; i < DriverWindow::kMeasurementsKept; ++i) {  // window: 2
    on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x).wait();
  }
  std::atomic<bool> launched{false};
  Execution launched_by_continuation;
  const Execution first = on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x);
  const Execution continued = first.then([&](const KernelResult&) {
    launched_by_continuation = on(*runtime_, backend().c_str(), "nothing", Range(1), 0);
    launched = true;
  });
  std::vector<Execution> queued;
  for (int i = 0; i < 4; ++i) queued.push_back(on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x));
  EXPECT_EQ(y.host_read()[0], 1.0f);  // downloads behind the queued spins
  continued.wait();
  ASSERT_TRUE(launched);
  EXPECT_NO_THROW(launched_by_continuation.wait());
  for (const Execution& execution : queued) EXPECT_NO_THROW(execution.wait());
}

TEST_P(JitBackend, AContinuationReadsABufferWhileWorkWaitsBehindTheDriverWindow) {
  // Reading a buffer in a continuation downloads it behind every command
  // queued before, and those beyond the window reach the driver only as
  // completions make room: they must go on being reported while the
  // continuation waits. (Continuations once ran on the thread that reports
  // them, which then waited for itself.)
  registry_.add_source(kSpinSource, "runtime/spin.dck");
  Buffer<float> x(2);
  Buffer<float> y(2);
  on(*runtime_, backend().c_str(), "spin", Range(2), 1, y).wait();     // y's data now only on the device
  constexpr int kLong = 4000000;                                       // about 7 ms on PoCL here
  for (std::size_t i = 0; i < DriverWindow::kMeasurementsKept; ++i) {  // window: 2
    on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x).wait();
  }
  std::atomic<float> read{0.0f};
  std::thread::id continued_on;
  const Execution first = on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x);
  const Execution continued = first.then([&](const KernelResult&) {
    continued_on = std::this_thread::get_id();
    read = y.host_read()[0];
  });
  std::vector<Execution> queued;
  for (int i = 0; i < 6; ++i) queued.push_back(on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x));
  if (!continued.wait_for(std::chrono::seconds(20))) {
    ADD_FAILURE() << "the continuation's download never returned";
    std::_Exit(1);  // the device's threads wait for themselves: nothing can end the runtime
  }
  EXPECT_NE(continued_on, std::this_thread::get_id()) << "the kernel finished before then() was called";
  EXPECT_EQ(read.load(), 1.0f);
  for (const Execution& execution : queued) EXPECT_NO_THROW(execution.wait());
}

TEST_P(JitBackend, AContinuationWaitsForWorkLaunchedAfterItsOwn) {
  // The later launch's completion is reported on the device's threads while
  // the continuation blocks: not on the one it blocks.
  registry_.add_source(kSpinSource, "runtime/spin.dck");
  Buffer<float> x(2);
  Buffer<float> y(2);
  on(*runtime_, backend().c_str(), "spin", Range(2), 1, x).wait();  // built
  on(*runtime_, backend().c_str(), "spin", Range(2), 1, y).wait();  // on the device: no upload waits for `first`
  constexpr int kLong = 4000000;                                    // about 7 ms on PoCL here
  const Execution first = on(*runtime_, backend().c_str(), "spin", Range(2), kLong, x);
  const Execution later = on(*runtime_, backend().c_str(), "spin", Range(2), kLong, y);
  std::thread::id continued_on;
  const Execution continued = first.then([&](const KernelResult&) {
    continued_on = std::this_thread::get_id();
    later.wait();
    runtime_->devices()[1]->synchronize();
  });
  if (!continued.wait_for(std::chrono::seconds(20))) {
    ADD_FAILURE() << "the continuation's wait never returned";
    std::_Exit(1);  // the device's threads wait for themselves: nothing can end the runtime
  }
  EXPECT_NO_THROW(continued.wait());
  EXPECT_NE(continued_on, std::this_thread::get_id()) << "the kernel finished before then() was called";
  EXPECT_EQ(y.host_read()[0], x.host_read()[0]);
}

TEST_P(JitBackend, AContinuationLaunchesFromACompletionTheDriverReportsAtOnce) {
  // An empty range reaches the driver as nothing. Launched behind a short
  // spin, its completion comes from a marker command enqueued once the spin
  // is done, on an idle queue: PoCL then at times completes the marker, and
  // runs its callback, inside the call that registers that callback (here a
  // few times in 1000 rounds). A continuation launching on the same device
  // from there must find the device's queue free: this test hung in 5
  // runs out of 5 before (at rounds 187 to 837).
  registry_.add_source(kSpinSource, "runtime/spin.dck");
  registry_.add_source("DC_KERNEL void nothing(int unused) {}", "runtime/nothing.dck");
  Buffer<float> x(2);
  on(*runtime_, backend().c_str(), "nothing", Range(1), 0).wait();  // both built
  on(*runtime_, backend().c_str(), "spin", Range(2), 1, x).wait();
  for (int round = 0; round < 1000; ++round) {
    (void)on(*runtime_, backend().c_str(), "spin", Range(2), 20000, x);  // about 40 us on PoCL here
    const Execution empty = on(*runtime_, backend().c_str(), "nothing", Range(0), 0);
    std::atomic<bool> launched{false};
    Execution launched_by_continuation;
    const Execution continued = empty.then([&](const KernelResult&) {
      launched_by_continuation = on(*runtime_, backend().c_str(), "nothing", Range(1), 0);
      launched = true;
    });
    ASSERT_TRUE(continued.wait_for(std::chrono::seconds(20)))
        << "round " << round << ": the continuation's launch never returned";
    ASSERT_TRUE(launched);
    EXPECT_NO_THROW(launched_by_continuation.wait());
  }
}

TEST_P(JitBackend, ARuntimeEndsOnlyOnceItsDriverCallbacksHaveReturned) {
  // A waiter is woken before the driver's thread leaves the callback that
  // completed the work; here that thread goes on to run a continuation. The
  // runtime ending meanwhile must wait for it: the device and the plugin's
  // code are still in use on that thread. (ThreadSanitizer once saw a
  // device's destructor free a condition variable such a callback was
  // about to signal.)
  registry_.add_source(kSpinSource, "runtime/spin.dck");
  registry_.add_source("DC_KERNEL void nothing(int unused) {}", "runtime/nothing.dck");
  std::atomic<bool> continued{false};  // declared first: outlives the runtime
  std::thread::id continued_on;
  {
    Runtime runtime = make_runtime();
    Buffer<float> x(2);
    on(runtime, backend().c_str(), "nothing", Range(1), 0).wait();  // built before the spin starts
    // About 35 ms on PoCL here: then() comes first even if this thread is preempted meanwhile
    // (with 3.5 ms, a loaded ctest -j2 run once saw both kernels finish before it).
    (void)on(runtime, backend().c_str(), "spin", Range(2), 20000000, x);
    // Queued behind the spin, and holding no buffer (which would keep the device alive).
    const Execution last = on(runtime, backend().c_str(), "nothing", Range(1), 0);
    (void)last.then([&](const KernelResult&) {
      continued_on = std::this_thread::get_id();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continued = true;
    });
    last.wait();  // woken before the continuation runs
  }
  EXPECT_TRUE(continued) << "the runtime ended while the driver's thread was still in its callback";
  EXPECT_NE(continued_on, std::this_thread::get_id()) << "the kernels finished before then() was called";
}

TEST_P(JitBackend, AReplacedKernelSourceRunsItsNewCode) {
  // The allocator tends to put the new source where the old one was: a
  // program cached by the source's address would run the old code.
  const auto source = [](int value) {
    return "DC_KERNEL void put(DC_GLOBAL int* x) { x[dc_global_id(0)] = " + std::to_string(value) + "; }";
  };
  Buffer<int> x(4);
  for (int version = 1; version <= 8; ++version) {
    if (version % 2 == 0) {
      const std::string replacing[] = {"put"};
      registry_.add_source(source(version), "runtime/put.dck", replacing);
    } else {
      registry_.remove("put");  // absent the first time
      registry_.add_source(source(version), "runtime/put.dck");
    }
    on(*runtime_, backend().c_str(), "put", Range(4), x).wait();
    ASSERT_EQ(x.host_read()[3], version) << "version " << version << " ran older code";
  }
}

TEST_P(JitBackend, ArgumentAndWorkGroupErrorsComeBeforeAnythingRuns) {
  Runtime runtime = make_runtime(&KernelRegistry::global());
  Buffer<float> small(10);
  EXPECT_THROW((void)on(runtime, backend().c_str(), "scale", Range(100), 100, 2.0f, small), ArgumentError);
  Buffer<float> x(4096);
  const std::size_t too_big = runtime.devices()[1]->info().max_work_group_size * 2;
  EXPECT_THROW((void)runtime.orchestrator().execute({.device = backend(), .local_size = Range(too_big)}, "scale",
                                                    Range(too_big), static_cast<int>(too_big), 1.0f, x),
               ArgumentError);
}

#ifdef DOTCOMPUTE_STAND_IN_CUDA_DRIVER
INSTANTIATE_TEST_SUITE_P(StandInDriver, JitBackend, ::testing::Values("cuda"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });
#else
INSTANTIATE_TEST_SUITE_P(Backends, JitBackend, ::testing::Values("opencl", "cuda"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });
#endif

}  // namespace
}  // namespace dotcompute
