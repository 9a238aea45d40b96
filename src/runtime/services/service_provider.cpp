// Resolution, scopes, disposal and build-time validation of the service container.
#include <cxxabi.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "dotcompute/services.hpp"

namespace dotcompute {

namespace detail {

std::string demangle(const char* mangled) {
  int status = 0;
  char* readable = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string result = status == 0 && readable != nullptr ? readable : mangled;
  std::free(readable);
  return result;
}

}  // namespace detail

namespace {

using Descriptors = std::vector<detail::ServiceDescriptor>;

// One lazily created instance (a singleton, or a scoped service in one scope).
struct Slot {
  std::mutex mutex;
  std::atomic<bool> ready{false};
  std::shared_ptr<void> value;
};

// The slots a provider or scope filled, in creation order; disposal empties
// them newest first, so a service goes before the services it was built from.
class OwnedInstances {
 public:
  void add(Slot* slot) {
    std::lock_guard lock(mutex_);
    slots_.push_back(slot);
  }
  void release() noexcept {
    std::vector<Slot*> slots;
    {
      std::lock_guard lock(mutex_);
      slots.swap(slots_);
    }
    for (auto it = slots.rbegin(); it != slots.rend(); ++it) {
      std::lock_guard lock((*it)->mutex);
      (*it)->ready.store(false, std::memory_order_relaxed);
      (*it)->value.reset();
    }
  }

 private:
  std::mutex mutex_;
  std::vector<Slot*> slots_;
};

// The chain of services being resolved on this thread, for error messages and
// cycle detection: frames on the resolving thread's stack, linked innermost
// first. The thread-local head is a plain pointer (no destructor), so a
// resolution during static destruction, after this thread's thread-local
// objects are gone, still works.
class StackFrame {
 public:
  StackFrame(const void* core, std::size_t index, const std::string& name)
      : core_(core), index_(index), name_(name), outer_(innermost_) {
    innermost_ = this;
  }
  ~StackFrame() { innermost_ = outer_; }
  StackFrame(const StackFrame&) = delete;
  StackFrame& operator=(const StackFrame&) = delete;

  /// Whether `index` of `core` is being resolved on this thread.
  static bool active(const void* core, std::size_t index) {
    for (const StackFrame* frame = innermost_; frame != nullptr; frame = frame->outer_) {
      if (frame->core_ == core && frame->index_ == index) return true;
    }
    return false;
  }
  /// "outermost -> ... -> innermost".
  static std::string chain() {
    std::string text;
    for (const StackFrame* frame = innermost_; frame != nullptr; frame = frame->outer_) {
      text = frame->name_ + (text.empty() ? "" : " -> ") + text;
    }
    return text;
  }

 private:
  static inline thread_local const StackFrame* innermost_ = nullptr;
  const void* core_;
  std::size_t index_;
  const std::string& name_;
  const StackFrame* outer_;
};

std::unordered_map<std::type_index, std::vector<std::size_t>> index_by_type(const Descriptors& descriptors) {
  std::unordered_map<std::type_index, std::vector<std::size_t>> result;
  for (std::size_t i = 0; i < descriptors.size(); ++i) result[descriptors[i].service].push_back(i);
  return result;
}

// Build-time checks over the declared dependency graph; dependencies resolve
// to the last registration of their type, as get_required() does.
class Validator {
 public:
  explicit Validator(const Descriptors& descriptors)
      : descriptors_(descriptors), by_type_(index_by_type(descriptors)) {}

  std::vector<std::string> run() {
    for (std::size_t i = 0; i < descriptors_.size(); ++i) {
      std::vector<std::size_t> path;
      visit(i, path, i);
    }
    return {problems_.begin(), problems_.end()};
  }

 private:
  std::string path_text(const std::vector<std::size_t>& path) const {
    std::string text;
    for (std::size_t index : path) text += (text.empty() ? "" : " -> ") + descriptors_[index].service_name;
    return text;
  }

  void visit(std::size_t index, std::vector<std::size_t>& path, std::size_t root) {
    if (std::find(path.begin(), path.end(), index) != path.end()) {
      path.push_back(index);
      const auto first = std::find(path.begin(), path.end(), index);
      problems_.insert("dependency cycle: " + path_text(std::vector<std::size_t>(first, path.end())));
      path.pop_back();
      return;
    }
    path.push_back(index);
    const auto& descriptor = descriptors_[index];
    if (descriptors_[root].lifetime == ServiceLifetime::singleton && index != root &&
        descriptor.lifetime == ServiceLifetime::scoped) {
      problems_.insert("singleton '" + descriptors_[root].service_name + "' captures scoped service '" +
                       descriptor.service_name + "': " + path_text(path));
    }
    for (const auto& dependency : descriptor.dependencies) {
      const auto found = by_type_.find(dependency.type);
      if (found == by_type_.end()) {
        // Reported once per requester, with the chain from the first root that reaches it.
        if (reported_missing_.insert({index, dependency.type}).second) {
          problems_.insert("'" + dependency.name + "' is not registered but is needed by " + path_text(path) + " -> " +
                           dependency.name);
        }
        continue;
      }
      visit(found->second.back(), path, root);
    }
    path.pop_back();
  }

  const Descriptors& descriptors_;
  std::unordered_map<std::type_index, std::vector<std::size_t>> by_type_;
  std::set<std::string> problems_;
  std::set<std::pair<std::size_t, std::type_index>> reported_missing_;
};

}  // namespace

struct ServiceProvider::Core {
  explicit Core(Descriptors list)
      : descriptors(std::move(list)), by_type(index_by_type(descriptors)), singletons(descriptors.size()) {
    for (auto& slot : singletons) slot = std::make_unique<Slot>();
  }
  Descriptors descriptors;
  std::unordered_map<std::type_index, std::vector<std::size_t>> by_type;
  std::vector<std::unique_ptr<Slot>> singletons;
  OwnedInstances owned;
  // The provider singletons' factories receive: never a scope, so a
  // singleton cannot capture a scoped service. Reset on disposal (it shares
  // ownership of this Core).
  std::unique_ptr<ServiceProvider> root_view;
};

struct ServiceProvider::Scope {
  explicit Scope(std::size_t count) : slots(count) {
    for (auto& slot : slots) slot = std::make_unique<Slot>();
  }
  std::vector<std::unique_ptr<Slot>> slots;
  OwnedInstances owned;
};

ServiceProvider ServiceCollection::build(bool validate) const {
  if (validate) {
    const std::vector<std::string> problems = Validator(descriptors_).run();
    if (!problems.empty()) {
      std::string message = "the service collection is invalid (" + std::to_string(problems.size()) + " problem" +
                            (problems.size() == 1 ? "" : "s") + "):";
      for (const auto& problem : problems) message += "\n  " + problem;
      throw ServiceValidationError(message);
    }
  }
  auto core = std::make_shared<ServiceProvider::Core>(descriptors_);
  core->root_view.reset(new ServiceProvider(core, nullptr));
  ServiceProvider root(core, nullptr);
  root.owns_core_ = true;
  return root;
}

bool ServiceCollection::contains(std::type_index type) const noexcept {
  return std::any_of(descriptors_.begin(), descriptors_.end(), [&](const auto& d) { return d.service == type; });
}

ServiceCollection& ServiceCollection::add(detail::ServiceDescriptor descriptor, bool only_if_absent) {
  if (!only_if_absent || !contains(descriptor.service)) descriptors_.push_back(std::move(descriptor));
  return *this;
}

ServiceProvider::ServiceProvider(std::shared_ptr<Core> core, std::unique_ptr<Scope> scope) noexcept
    : core_(std::move(core)), scope_(std::move(scope)) {}

ServiceProvider::ServiceProvider(ServiceProvider&& other) noexcept
    : core_(std::move(other.core_)),
      scope_(std::move(other.scope_)),
      owns_core_(std::exchange(other.owns_core_, false)) {}

ServiceProvider& ServiceProvider::operator=(ServiceProvider&& other) noexcept {
  if (this != &other) {
    this->~ServiceProvider();
    new (this) ServiceProvider(std::move(other));
  }
  return *this;
}

ServiceProvider::~ServiceProvider() {
  if (scope_) scope_->owned.release();
  if (owns_core_ && core_) {
    core_->owned.release();
    core_->root_view.reset();
  }
}

bool ServiceProvider::is_scope() const noexcept { return scope_ != nullptr; }

ServiceProvider ServiceProvider::create_scope() {
  if (!core_) throw ServiceResolutionError("create_scope() on a moved-from ServiceProvider");
  return ServiceProvider(core_, std::make_unique<Scope>(core_->descriptors.size()));
}

std::shared_ptr<void> ServiceProvider::resolve_last(std::type_index type, const std::string& name, bool required) {
  if (!core_) throw ServiceResolutionError("resolving '" + name + "' from a moved-from ServiceProvider");
  const auto found = core_->by_type.find(type);
  if (found == core_->by_type.end()) {
    if (!required) return nullptr;
    const std::string chain = StackFrame::chain();
    throw ServiceResolutionError("no service of type '" + name + "' is registered" +
                                 (chain.empty() ? std::string() : " (needed by " + chain + ")"));
  }
  return resolve_descriptor(found->second.back());
}

std::vector<std::shared_ptr<void>> ServiceProvider::resolve_all(std::type_index type) {
  if (!core_) throw ServiceResolutionError("resolving from a moved-from ServiceProvider");
  std::vector<std::shared_ptr<void>> result;
  const auto found = core_->by_type.find(type);
  if (found == core_->by_type.end()) return result;
  for (std::size_t index : found->second) result.push_back(resolve_descriptor(index));
  return result;
}

namespace {

std::shared_ptr<void> create(const detail::ServiceDescriptor& descriptor, ServiceProvider& provider) {
  std::shared_ptr<void> created;
  try {
    created = descriptor.factory(provider);
  } catch (const ComputeError&) {
    throw;  // already typed (and, for resolution errors, with its chain)
  } catch (const std::exception& error) {
    throw ServiceResolutionError("creating '" + descriptor.service_name + "' (" + StackFrame::chain() +
                                 ") failed: " + error.what());
  }
  if (!created) {
    throw ServiceResolutionError("the factory of '" + descriptor.service_name + "' returned null (" +
                                 StackFrame::chain() + ")");
  }
  return created;
}

// Returns the slot's instance, creating it once (other threads wait).
template <class Create>
std::shared_ptr<void> once(Slot& slot, Create&& make) {
  if (slot.ready.load(std::memory_order_acquire)) return slot.value;
  std::lock_guard lock(slot.mutex);
  if (!slot.ready.load(std::memory_order_relaxed)) {
    slot.value = make();
    slot.ready.store(true, std::memory_order_release);
  }
  return slot.value;
}

}  // namespace

std::shared_ptr<void> ServiceProvider::resolve_descriptor(std::size_t index) {
  const detail::ServiceDescriptor& descriptor = core_->descriptors[index];
  if (descriptor.instance) return descriptor.instance;
  if (StackFrame::active(core_.get(), index)) {
    throw ServiceResolutionError("dependency cycle: " + StackFrame::chain() + " -> " + descriptor.service_name);
  }
  const StackFrame frame(core_.get(), index, descriptor.service_name);
  switch (descriptor.lifetime) {
    case ServiceLifetime::singleton: {
      Core& core = *core_;
      if (!core.root_view) throw ServiceResolutionError("'" + descriptor.service_name + "': the root provider is gone");
      Slot& slot = *core.singletons[index];
      return once(slot, [&] {
        auto created = create(descriptor, *core.root_view);
        core.owned.add(&slot);
        return created;
      });
    }
    case ServiceLifetime::scoped: {
      if (!scope_) {
        throw ServiceResolutionError("scoped service '" + descriptor.service_name +
                                     "' cannot be resolved from the root provider (" + StackFrame::chain() +
                                     "); resolve it from a scope (create_scope())");
      }
      Scope& scope = *scope_;
      Slot& slot = *scope.slots[index];
      return once(slot, [&] {
        auto created = create(descriptor, *this);
        scope.owned.add(&slot);
        return created;
      });
    }
    case ServiceLifetime::transient:
      return create(descriptor, *this);
  }
  return nullptr;
}

}  // namespace dotcompute
