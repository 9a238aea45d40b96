// Emits the C++ translation unit for one checked .dck module.
#pragma once

#include <string>
#include <string_view>

#include "dialect/module.hpp"

namespace dotcompute::kernelc {

/// The generated C++ for `module` (which must have no diagnostics), whose text
/// is `source`; `output_path` is where it will be written (for #line).
/// `cuda_symbol`: the fatbin embedded under that name (generate_fatbin_embedding)
/// in the same target, registered with the kernels; "" for none.
[[nodiscard]] std::string generate_cpu_translation_unit(const dialect::Module& module, std::string_view source,
                                                        std::string_view output_path, std::string_view cuda_symbol);

/// C++ defining `symbol` (the bytes of `fatbin`), `symbol`_size and
/// `symbol`_architectures (`architectures`, e.g. "80,90"), all hidden.
[[nodiscard]] std::string generate_fatbin_embedding(std::string_view fatbin, std::string_view symbol,
                                                    std::string_view architectures);

}  // namespace dotcompute::kernelc
