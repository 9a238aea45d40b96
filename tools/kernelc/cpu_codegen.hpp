// Emits the C++ translation unit for one checked .dck module.
#pragma once

#include <string>
#include <string_view>

#include "dialect/module.hpp"

namespace dotcompute::kernelc {

/// The generated C++ for `module` (which must have no diagnostics), whose text
/// is `source`; `output_path` is where it will be written (for #line).
[[nodiscard]] std::string generate_cpu_translation_unit(const dialect::Module& module, std::string_view source,
                                                        std::string_view output_path);

}  // namespace dotcompute::kernelc
