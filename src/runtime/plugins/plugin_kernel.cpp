#include "plugin_kernel.hpp"

namespace dotcompute::runtime {

static_assert(static_cast<int>(ScalarType::int32) == DC_SCALAR_INT32 &&
              static_cast<int>(ScalarType::float64) == DC_SCALAR_FLOAT64 &&
              static_cast<int>(Access::read_only) == DC_ACCESS_READ_ONLY &&
              static_cast<int>(Access::write_only) == DC_ACCESS_WRITE_ONLY);

PluginKernel::PluginKernel(const KernelDefinition& kernel)
    : source_(kernel.source), name_(kernel.name), cpu_entry_(kernel.cpu_entry) {
  for (const auto& parameter : kernel.parameters) parameter_names_.push_back(parameter.name);
  for (std::size_t i = 0; i < kernel.parameters.size(); ++i) {
    const KernelParameter& parameter = kernel.parameters[i];
    parameters_.push_back({parameter_names_[i].c_str(),
                           parameter.kind == ParameterKind::buffer ? DC_PARAMETER_BUFFER : DC_PARAMETER_SCALAR,
                           static_cast<std::int32_t>(parameter.type), static_cast<std::int32_t>(parameter.access)});
  }
  dc_kernel_t& d = descriptor_;
  d.struct_size = sizeof(dc_kernel_t);
  d.name = name_.c_str();
  d.dimensions = static_cast<std::uint32_t>(kernel.dimensions);
  d.parameter_count = static_cast<std::uint32_t>(parameters_.size());
  d.parameters = parameters_.data();
  d.source = source_ ? source_->text.c_str() : nullptr;
  d.source_path = source_ ? source_->path.c_str() : nullptr;
  if (cpu_entry_ != nullptr) {
    d.host_code = this;
    d.run_host_chunk = &run_host_chunk;
  }
  if (source_ && !source_->cuda.image.empty()) {
    for (const int architecture : source_->cuda.architectures) {
      cuda_targets_ += (cuda_targets_.empty() ? "sm_" : " sm_") + std::to_string(architecture);
    }
    cuda_fatbin_ = {"cuda-fatbin", cuda_targets_.c_str(), source_->cuda.image.data(), source_->cuda.image.size()};
    d.binary_count = 1;
    d.binaries = &cuda_fatbin_;
  }
}

void PluginKernel::run_host_chunk(const void* host_code, const void* const* values, const dc_work_geometry_t* geometry,
                                  std::uint64_t begin, std::uint64_t end) {
  cpu::LaunchArgs args{};
  args.values = values;
  for (int d = 0; d < 3; ++d) {
    args.geometry.global[d] = geometry->global[d];
    args.geometry.local[d] = geometry->local[d];
  }
  static_cast<const PluginKernel*>(host_code)->cpu_entry_(args, cpu::WorkChunk{begin, end});
}

}  // namespace dotcompute::runtime
