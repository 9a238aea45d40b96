#include <cstdlib>
#include <memory>

#include "dotcompute/cpu/generated.hpp"
#include "dotcompute/kernel_registry.hpp"

namespace dotcompute::cpu {

void register_generated_kernels(const char* source, const char* path, const GeneratedKernel* kernels, std::size_t count,
                                const GeneratedCudaBinary* cuda) noexcept {
  try {
    KernelSource portable{source, path, {}};
    if (cuda != nullptr && cuda->size != 0) {
      portable.cuda.image = {reinterpret_cast<const std::byte*>(cuda->image), cuda->size};
      for (const char* p = cuda->architectures; *p != '\0';) {
        char* end = nullptr;
        portable.cuda.architectures.push_back(static_cast<int>(std::strtol(p, &end, 10)));
        p = *end == ',' ? end + 1 : end;
      }
    }
    const auto shared_source = std::make_shared<const KernelSource>(std::move(portable));
    for (std::size_t k = 0; k < count; ++k) {
      const GeneratedKernel& generated = kernels[k];
      KernelDefinition definition;
      definition.name = generated.name;
      definition.dimensions = generated.dimensions;
      definition.source = shared_source;
      definition.cpu_entry = generated.entry;
      definition.origin = std::string(path) + ":" + std::to_string(generated.line);
      for (std::size_t p = 0; p < generated.parameter_count; ++p) {
        const GeneratedParameter& parameter = generated.parameters[p];
        definition.parameters.push_back({parameter.name, parameter.kind, parameter.type, parameter.access, {}});
      }
      for (std::size_t p = 0; p < generated.parameter_count; ++p) {
        const std::string_view expression = generated.parameters[p].required_elements;
        if (!expression.empty()) {
          definition.parameters[p].required_elements = SizeExpression::parse(expression, definition.parameters);
        }
      }
      KernelRegistry::global().add_at_static_init(std::move(definition));
    }
  } catch (...) {
    // Only reachable through a kernelc bug or allocation failure during static
    // initialisation; the kernels stay unregistered and lookups say so.
  }
}

}  // namespace dotcompute::cpu
