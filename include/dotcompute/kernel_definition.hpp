// What the runtime knows about a kernel: its signature, dimensions, portable
// source and native implementations.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dotcompute/cpu/kernel_abi.hpp"
#include "dotcompute/scalar_type.hpp"

namespace dotcompute {

/// Kernels take at most this many parameters.
inline constexpr std::size_t kMaxKernelParameters = 32;

enum class ParameterKind : std::uint8_t { scalar, buffer };

/// How a kernel uses a buffer parameter. Scalars are always read_only.
enum class Access : std::uint8_t { read_only, read_write, write_only };

[[nodiscard]] std::string_view to_string(Access access) noexcept;

struct KernelParameter;

/// An integer expression over a kernel's integer scalar parameters giving the
/// number of elements a buffer parameter needs (`DC_SIZE(m * k)`).
/// Supports + - * / parentheses, non-negative integer literals and parameter names.
/// Immutable after parse; thread-safe to share.
class SizeExpression {
 public:
  SizeExpression() = default;

  /// Parses `text` against `parameters`. Throws RegistrationError naming the
  /// problem (syntax, unknown name, a name that is not an integer scalar).
  static SizeExpression parse(std::string_view text, std::span<const KernelParameter> parameters);

  [[nodiscard]] bool empty() const noexcept { return program_.empty(); }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

  /// Evaluates with `scalar_values[i]` the value of parameter i (only integer
  /// scalars are read). nullopt on a negative result, overflow or division by zero.
  [[nodiscard]] std::optional<std::uint64_t> evaluate(std::span<const std::int64_t> scalar_values) const noexcept;

 private:
  struct Op {
    enum class Kind : std::uint8_t { constant, parameter, add, subtract, multiply, divide } kind;
    std::int64_t value;  // constant value or parameter index
  };
  std::vector<Op> program_;  // postfix
  std::string text_;
};

/// One parameter of a kernel's signature.
struct KernelParameter {
  std::string name;
  ParameterKind kind = ParameterKind::scalar;
  ScalarType type = ScalarType::int32;
  Access access = Access::read_only;
  /// Buffers only: elements required; empty means "one per work item of the range".
  SizeExpression required_elements;
};

/// A CUDA fatbin of a whole .dck file, built ahead of time by nvcc.
struct CudaFatbin {
  std::span<const std::byte> image;  ///< in static storage of the generated code; empty when none
  std::vector<int> architectures;    ///< the machine code it holds, as 10 * major + minor (80, 90)
};

/// The portable dialect source of a .dck file, for JIT backends.
struct KernelSource {
  std::string text;  ///< The whole file, verbatim (line N of text is line N of path).
  std::string path;  ///< Where it came from (file path or a caller-given origin).
  CudaFatbin cuda;   ///< Ahead-of-time CUDA binary, when the build had nvcc.
};

/// A registered kernel. Immutable once registered; shared by const pointer.
struct KernelDefinition {
  std::string name;
  std::vector<KernelParameter> parameters;
  /// Dimensions its built-ins use (max dimension index + 1); 0 when it uses none.
  int dimensions = 0;
  /// Portable source (null for native-only kernels).
  std::shared_ptr<const KernelSource> source;
  /// Native CPU implementation compiled at build time (null when none).
  cpu::KernelEntry cpu_entry = nullptr;
  /// Where it was defined, for messages: "samples/kernels/saxpy.dck:3".
  std::string origin;

  /// "saxpy(int n, float a, const float* x, float* y)".
  [[nodiscard]] std::string signature() const;

  /// Implementations available: "cpu" (native), "portable" (source for JIT
  /// backends), "cuda:sm_80,sm_90" (an ahead-of-time fatbin).
  [[nodiscard]] std::vector<std::string> implementations() const;
};

}  // namespace dotcompute
