#include "sample_catalog.hpp"

#include <cmath>
#include <cstdio>

namespace dotcompute::samples {

std::unique_ptr<SampleRun> prepare_vector_add(std::size_t);
std::unique_ptr<SampleRun> prepare_saxpy(std::size_t);
std::unique_ptr<SampleRun> prepare_scale(std::size_t);
std::unique_ptr<SampleRun> prepare_sum(std::size_t);
std::unique_ptr<SampleRun> prepare_empty(std::size_t);
std::unique_ptr<SampleRun> prepare_matmul(std::size_t);
std::unique_ptr<SampleRun> prepare_transpose(std::size_t);
std::unique_ptr<SampleRun> prepare_blur(std::size_t);
std::unique_ptr<SampleRun> prepare_mandelbrot(std::size_t);
std::unique_ptr<SampleRun> prepare_stencil3d(std::size_t);

const std::vector<Sample>& all_samples() {
  static const std::vector<Sample> samples = {
      {"vector_add", 1, std::size_t{1} << 24, std::size_t{1} << 22, prepare_vector_add},
      {"saxpy", 1, std::size_t{1} << 24, std::size_t{1} << 22, prepare_saxpy},
      {"scale", 1, std::size_t{1} << 24, std::size_t{1} << 22, prepare_scale},
      {"sum_partials", 1, std::size_t{1} << 24, std::size_t{1} << 22, prepare_sum},
      {"matmul", 2, 512, 256, prepare_matmul},
      {"transpose", 2, 4096, 1024, prepare_transpose},
      {"blur3x3", 2, 4096, 1024, prepare_blur},
      {"mandelbrot", 2, 1024, 512, prepare_mandelbrot},
      {"stencil3d", 3, 256, 128, prepare_stencil3d},
      {"empty", 1, 1, 1, prepare_empty},
  };
  return samples;
}

const Sample* find_sample(std::string_view name) {
  for (const Sample& sample : all_samples()) {
    if (sample.name == name) return &sample;
  }
  return nullptr;
}

float input_value(std::size_t i, unsigned seed) noexcept {
  std::uint64_t x = (static_cast<std::uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ULL + seed * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  return static_cast<float>(x >> 40) / static_cast<float>(1 << 24);
}

CheckResult compare(std::span<const float> actual, std::span<const float> expected, double relative, double absolute) {
  if (actual.size() != expected.size()) {
    return {false, "size " + std::to_string(actual.size()) + " != expected " + std::to_string(expected.size())};
  }
  double max_error = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double error = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    if (!(error <= absolute + relative * std::fabs(expected[i]))) {
      char text[160];
      std::snprintf(text, sizeof text, "element %zu is %.9g, expected %.9g", i, static_cast<double>(actual[i]),
                    static_cast<double>(expected[i]));
      return {false, text};
    }
    max_error = std::max(max_error, error);
  }
  char text[64];
  std::snprintf(text, sizeof text, "max abs error %.3g", max_error);
  return {true, text};
}

}  // namespace dotcompute::samples
