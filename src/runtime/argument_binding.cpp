#include "argument_binding.hpp"

#include <array>
#include <cstring>
#include <limits>
#include <string>

#include "dotcompute/errors.hpp"

namespace dotcompute::runtime {

namespace {

std::string describe(const KernelArg& arg) {
  switch (arg.kind()) {
    case KernelArg::Kind::scalar:
      return "a scalar " + std::string(dialect_name(arg.type()));
    case KernelArg::Kind::buffer:
      return "a " + std::string(arg.writable() ? "" : "const ") + "Buffer<" + std::string(dialect_name(arg.type())) +
             ">";
    case KernelArg::Kind::host_span:
      return "a host span of " + std::string(arg.writable() ? "" : "const ") + std::string(dialect_name(arg.type()));
  }
  return "?";
}

std::string describe(const KernelParameter& parameter) {
  if (parameter.kind == ParameterKind::scalar) return "a scalar " + std::string(dialect_name(parameter.type));
  return "a " + std::string(to_string(parameter.access)) + " buffer of " + std::string(dialect_name(parameter.type));
}

template <class T>
void store(LaunchArgument& out, T value) {
  static_assert(sizeof(T) <= sizeof(out.scalar));
  std::memcpy(out.scalar, &value, sizeof(T));
}

// Converts an integer argument to the parameter's integer type; false when it does not fit.
bool store_integer(LaunchArgument& out, ScalarType type, bool negative, std::int64_t signed_value,
                   std::uint64_t unsigned_value) {
  const auto fits = [&](std::int64_t low, std::uint64_t high) {
    return negative ? signed_value >= low : unsigned_value <= high;
  };
  switch (type) {
    case ScalarType::int32:
      if (!fits(std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max())) return false;
      store(out, static_cast<std::int32_t>(negative ? signed_value : static_cast<std::int64_t>(unsigned_value)));
      return true;
    case ScalarType::uint32:
      if (!fits(0, std::numeric_limits<std::uint32_t>::max())) return false;
      store(out, static_cast<std::uint32_t>(unsigned_value));
      return true;
    case ScalarType::int64:
      if (!fits(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max())) return false;
      store(out, negative ? signed_value : static_cast<std::int64_t>(unsigned_value));
      return true;
    case ScalarType::uint64:
      if (!fits(0, std::numeric_limits<std::uint64_t>::max())) return false;
      store(out, unsigned_value);
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<LaunchArgument> bind_arguments(const KernelDefinition& kernel, const Range& range,
                                           std::span<const KernelArg> args) {
  const auto fail = [&](const std::string& why) -> void {
    throw ArgumentError("kernel '" + kernel.name + "': " + why);
  };
  const auto fail_parameter = [&](std::size_t index, const std::string& why) -> void {
    fail("parameter '" + kernel.parameters[index].name + "' (argument " + std::to_string(index + 1) + ") " + why);
  };
  if (args.size() != kernel.parameters.size()) {
    fail("takes " + std::to_string(kernel.parameters.size()) + " argument" +
         (kernel.parameters.size() == 1 ? "" : "s") + ", got " + std::to_string(args.size()) +
         "; signature: " + kernel.signature());
  }
  std::vector<LaunchArgument> bound(args.size());
  // Integer scalar values by parameter index, for DC_SIZE expressions.
  std::array<std::int64_t, kMaxKernelParameters> integers{};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const KernelParameter& parameter = kernel.parameters[i];
    const KernelArg& arg = args[i];
    LaunchArgument& out = bound[i];
    out.kind = parameter.kind;
    out.access = parameter.access;
    if (parameter.kind == ParameterKind::scalar) {
      if (arg.kind() != KernelArg::Kind::scalar)
        fail_parameter(i, "is " + describe(parameter) + "; got " + describe(arg));
      const bool from_float = is_floating(arg.type());
      if (is_floating(parameter.type)) {
        if (!from_float) {
          fail_parameter(i, "is " + std::string(dialect_name(parameter.type)) + "; got an integer (" +
                                std::string(dialect_name(arg.type())) + "): pass a floating-point value");
        }
        if (parameter.type == ScalarType::float32) {
          store(out, static_cast<float>(arg.float_value()));
        } else {
          store(out, arg.float_value());
        }
        continue;
      }
      if (from_float) {
        fail_parameter(i, "is " + std::string(dialect_name(parameter.type)) + "; got a floating-point value (" +
                              std::string(dialect_name(arg.type())) + ")");
      }
      const bool negative = is_signed_integer(arg.type()) && arg.signed_value() < 0;
      if (!store_integer(out, parameter.type, negative, arg.signed_value(), arg.unsigned_value())) {
        fail_parameter(i, "is " + std::string(dialect_name(parameter.type)) + "; the value " +
                              (negative ? std::to_string(arg.signed_value()) : std::to_string(arg.unsigned_value())) +
                              " does not fit");
      }
      integers[i] = negative ? arg.signed_value() : static_cast<std::int64_t>(arg.unsigned_value());
      continue;
    }
    if (arg.kind() == KernelArg::Kind::scalar)
      fail_parameter(i, "is " + describe(parameter) + "; got " + describe(arg));
    if (arg.type() != parameter.type) fail_parameter(i, "is " + describe(parameter) + "; got " + describe(arg));
    if (parameter.access != Access::read_only && !arg.writable()) {
      fail_parameter(i, "is written by the kernel (" + std::string(to_string(parameter.access)) + ") but got " +
                            describe(arg) + ", which is read-only");
    }
    out.host_pointer = arg.data();
    out.elements = arg.count();
    if (arg.kind() == KernelArg::Kind::buffer) out.buffer = arg.storage();
  }
  // Sizes are checked once every scalar is known (DC_SIZE may name later parameters).
  for (std::size_t i = 0; i < args.size(); ++i) {
    const KernelParameter& parameter = kernel.parameters[i];
    if (parameter.kind != ParameterKind::buffer) continue;
    const bool sized = !parameter.required_elements.empty();
    std::uint64_t needed = range.total();
    if (sized) {
      const auto value = parameter.required_elements.evaluate(integers);
      if (!value) {
        fail_parameter(i, "has DC_SIZE(" + parameter.required_elements.text() +
                              "), which is negative or overflows for these arguments");
      }
      needed = *value;
    }
    if (bound[i].elements < needed) {  // the message is built only here: launches pass this check
      const std::string because = sized ? "DC_SIZE(" + parameter.required_elements.text() + ")"
                                        : "one element per work item of the range " + range.to_string();
      fail_parameter(i, "needs at least " + std::to_string(needed) + " elements (" + because + "); got " +
                            describe(args[i]) + " of " + std::to_string(bound[i].elements));
    }
  }
  return bound;
}

Range resolve_local_size(const KernelDefinition& kernel, const Range& range, const std::optional<Range>& requested) {
  const auto fail = [&](const std::string& why) { throw ArgumentError("kernel '" + kernel.name + "': " + why); };
  if (range.dimensions() == 0) fail("the range has no dimensions (a default-constructed Range)");
  if (kernel.dimensions != 0 && range.dimensions() != kernel.dimensions) {
    fail("uses " + std::to_string(kernel.dimensions) + "-D work-item ids, but the range " + range.to_string() + " is " +
         std::to_string(range.dimensions()) + "-D");
  }
  if (requested) {
    if (requested->dimensions() != range.dimensions()) {
      fail("the local size " + requested->to_string() + " has " + std::to_string(requested->dimensions()) +
           " dimensions; the range " + range.to_string() + " has " + std::to_string(range.dimensions()));
    }
    for (int d = 0; d < range.dimensions(); ++d) {
      if ((*requested)[d] == 0 || range[d] % (*requested)[d] != 0) {
        fail("the local size " + requested->to_string() + " does not divide the range " + range.to_string() +
             " in dimension " + std::to_string(d));
      }
    }
    return *requested;
  }
  std::size_t local = 256;
  while (local > 1 && range[0] % local != 0) local /= 2;
  switch (range.dimensions()) {
    case 1:
      return Range(local);
    case 2:
      return Range(local, 1);
    default:
      return Range(local, 1, 1);
  }
}

}  // namespace dotcompute::runtime
