// The parsed form of a .dck file, its checks, and its diagnostics.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dotcompute/kernel_definition.hpp"

namespace dotcompute::dialect {

/// One error, printed as `path:line:column: error: message`.
struct Diagnostic {
  std::string path;
  int line = 0;
  int column = 0;
  std::string message;

  [[nodiscard]] std::string format() const;
};

struct Parameter {
  std::string name;
  std::string type_name;  ///< dialect spelling, e.g. "float" (or "bool" in helpers)
  bool buffer = false;    ///< DC_GLOBAL pointer
  bool is_const = false;
  bool write_only = false;
  std::string size_expression;  ///< DC_SIZE(...) text, empty when absent
  int line = 0;
  int column = 0;
};

struct Function {
  std::string name;
  bool kernel = false;  ///< DC_KERNEL (else a DC_FUNC helper)
  bool has_body = false;
  std::string return_type;
  std::vector<Parameter> parameters;
  int line = 0;
  int column = 0;
  int own_dimensions = 0;            ///< from its own dc_*_id/size built-ins (max index + 1)
  std::vector<std::size_t> callees;  ///< indices into Module::functions
};

/// A parsed and checked .dck file. When `diagnostics` is empty the module is
/// valid: kernels and helpers are well-formed and use only the dialect.
struct Module {
  std::string path;
  std::vector<Function> functions;  ///< in definition order
  std::vector<Diagnostic> diagnostics;

  /// Dimensions a kernel needs: the highest its call tree uses.
  [[nodiscard]] int dimensions_of(const Function& function) const;
};

/// Parses and checks `source`; `path` is used in diagnostics.
[[nodiscard]] Module parse_module(std::string_view source, std::string_view path);

/// Kernel definitions (without native entries) for the kernels of a valid module,
/// sharing `source`. Throws RegistrationError for a malformed DC_SIZE expression.
[[nodiscard]] std::vector<KernelDefinition> kernel_definitions(const Module& module,
                                                               const std::shared_ptr<const KernelSource>& source);

/// All diagnostics, one formatted line each, joined by newlines.
[[nodiscard]] std::string format_diagnostics(const std::vector<Diagnostic>& diagnostics);

}  // namespace dotcompute::dialect
