#include "dotcompute/kernel_registry.hpp"

#include <algorithm>
#include <mutex>

#include "dialect/module.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

void validate(const KernelDefinition& definition) {
  const auto fail = [&](const std::string& why) {
    throw RegistrationError("cannot register kernel '" + definition.name + "' (" + definition.origin + "): " + why);
  };
  if (definition.name.empty()) fail("the name is empty");
  if (definition.parameters.size() > kMaxKernelParameters) {
    fail("more than " + std::to_string(kMaxKernelParameters) + " parameters");
  }
  if (definition.dimensions < 0 || definition.dimensions > 3) fail("dimensions must be 0–3");
  if (definition.cpu_entry == nullptr && definition.source == nullptr) fail("it has neither a CPU entry nor source");
  for (const auto& p : definition.parameters) {
    if (p.name.empty()) fail("a parameter has no name");
    if (p.kind == ParameterKind::scalar && p.access != Access::read_only)
      fail("scalar '" + p.name + "' is not read-only");
  }
}

}  // namespace

KernelRegistry& KernelRegistry::global() {
  static KernelRegistry registry;
  return registry;
}

std::shared_ptr<const KernelDefinition> KernelRegistry::add_locked(KernelDefinition definition) {
  validate(definition);
  const auto found = entries_.find(definition.name);
  if (found != entries_.end()) {
    throw RegistrationError("kernel '" + definition.name + "' is registered twice: first from " +
                            found->second.definition->origin + ", again from " + definition.origin);
  }
  auto shared = std::make_shared<const KernelDefinition>(std::move(definition));
  entries_.emplace(shared->name, Entry{shared, {}});
  return shared;
}

std::shared_ptr<const KernelDefinition> KernelRegistry::add(KernelDefinition definition) {
  std::unique_lock lock(mutex_);
  return add_locked(std::move(definition));
}

void KernelRegistry::add_at_static_init(KernelDefinition definition) noexcept {
  try {
    std::unique_lock lock(mutex_);
    const auto found = entries_.find(definition.name);
    if (found != entries_.end()) {
      found->second.conflict = "kernel '" + definition.name + "' is defined twice in this program: in " +
                               found->second.definition->origin + " and in " + definition.origin;
      return;
    }
    add_locked(std::move(definition));
  } catch (...) {
    // A malformed generated definition cannot happen short of a kernelc bug;
    // there is no way to report it from static initialisation but leaving the
    // kernel out, so lookups say it is unknown.
  }
}

std::vector<std::string> KernelRegistry::add_source(std::string_view source, std::string_view origin,
                                                    std::span<const std::string> replacing) {
  const dialect::Module module = dialect::parse_module(source, origin);
  if (!module.diagnostics.empty()) {
    throw CompilationError("kernel source " + std::string(origin) + " has errors:\n" +
                           dialect::format_diagnostics(module.diagnostics));
  }
  auto shared_source = std::make_shared<KernelSource>(KernelSource{std::string(source), std::string(origin)});
  std::vector<KernelDefinition> definitions = dialect::kernel_definitions(module, shared_source);
  if (definitions.empty()) throw CompilationError("kernel source " + std::string(origin) + " defines no DC_KERNEL");
  std::unique_lock lock(mutex_);
  for (const auto& definition : definitions) {
    if (std::find(replacing.begin(), replacing.end(), definition.name) != replacing.end()) continue;
    if (const auto found = entries_.find(definition.name); found != entries_.end()) {
      throw RegistrationError("kernel '" + definition.name + "' is registered twice: first from " +
                              found->second.definition->origin + ", again from " + definition.origin);
    }
  }
  for (const auto& name : replacing) {
    if (const auto found = entries_.find(name); found != entries_.end()) entries_.erase(found);
  }
  std::vector<std::string> names;
  for (auto& definition : definitions) {
    names.push_back(definition.name);
    add_locked(std::move(definition));
  }
  return names;
}

bool KernelRegistry::remove(std::string_view name) {
  std::unique_lock lock(mutex_);
  const auto found = entries_.find(name);
  if (found == entries_.end()) return false;
  entries_.erase(found);
  return true;
}

std::shared_ptr<const KernelDefinition> KernelRegistry::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  const auto found = entries_.find(name);
  if (found == entries_.end()) return nullptr;
  if (!found->second.conflict.empty()) throw RegistrationError(found->second.conflict);
  return found->second.definition;
}

std::shared_ptr<const KernelDefinition> KernelRegistry::get(std::string_view name) const {
  if (auto definition = find(name)) return definition;
  std::string message = "unknown kernel '" + std::string(name) + "'";
  std::shared_lock lock(mutex_);
  if (entries_.empty()) {
    throw ArgumentError(message + " (no kernels are registered; add .dck files with dotcompute_add_kernels)");
  }
  std::vector<std::pair<std::size_t, std::string_view>> close;
  for (const auto& [known, entry] : entries_) {
    const std::size_t distance = edit_distance(name, known);
    if (distance <= std::max<std::size_t>(2, name.size() / 3)) close.emplace_back(distance, known);
  }
  std::sort(close.begin(), close.end());
  if (!close.empty()) {
    message += "; did you mean";
    for (std::size_t i = 0; i < close.size() && i < 3; ++i) {
      message += std::string(i == 0 ? " '" : " or '") + std::string(close[i].second) + "'";
    }
    message += "?";
  }
  throw ArgumentError(message);
}

std::vector<std::shared_ptr<const KernelDefinition>> KernelRegistry::kernels() const {
  std::vector<std::shared_ptr<const KernelDefinition>> result;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, entry] : entries_) result.push_back(entry.definition);
  }
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) { return a->name < b->name; });
  return result;
}

std::vector<std::string> KernelRegistry::conflicts() const {
  std::vector<std::string> result;
  std::shared_lock lock(mutex_);
  for (const auto& [name, entry] : entries_) {
    if (!entry.conflict.empty()) result.push_back(entry.conflict);
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace dotcompute
