// The service container: ServiceCollection (registrations) and
// ServiceProvider (resolution). ServiceCollection: the registrations a ServiceProvider is built from
// (a small dependency-injection container modelled on .NET's
// Microsoft.Extensions.DependencyInjection).
//
//   dc::ServiceCollection services;
//   services.add_singleton<Clock, SystemClock>();                  // constructed automatically
//   services.add_scoped<Session>([](dc::ServiceProvider& p) {       // or by a factory
//     return std::make_shared<Session>(p.get_required<Clock>());
//   }, dc::depends_on<Clock>);                                      // declared for validation
//   dc::ServiceProvider provider = services.build();                // validates the graph
//
// Rules: several registrations per service type are kept in order; get_all()
// returns all of them, get_required() the last one (so a later registration
// replaces an earlier one); try_add_*() registers only if the type has no
// registration yet (the first registration wins). Not thread-safe while
// registering; build() copies the registrations.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "dotcompute/errors.hpp"

namespace dotcompute {

class ServiceProvider;

enum class ServiceLifetime {
  singleton,  ///< one instance per root provider, created on first use, shared by every scope
  scoped,     ///< one instance per scope; cannot be resolved from the root provider
  transient,  ///< a new instance per resolution, owned by the caller
};

/// A service could not be resolved (missing, scoped from the root, a cycle, a
/// factory failure); the message names the service and the chain that needed it.
class ServiceResolutionError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// ServiceCollection::build() found problems; the message lists each with its chain.
class ServiceValidationError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// A list of service types a registration depends on.
template <class... Services>
struct Dependencies {};
/// `depends_on<A, B>`: declares a factory's dependencies so build() can validate them.
template <class... Services>
inline constexpr Dependencies<Services...> depends_on{};

namespace detail {

/// Readable name of a type ("dotcompute::BackendSelector").
std::string demangle(const char* mangled);
template <class T>
const std::string& type_name() {
  static const std::string name = demangle(typeid(T).name());
  return name;
}

struct ServiceDependency {
  std::type_index type;
  std::string name;
};

struct ServiceDescriptor {
  std::type_index service;
  std::string service_name;
  std::string implementation_name;
  ServiceLifetime lifetime;
  std::function<std::shared_ptr<void>(ServiceProvider&)> factory;  // empty for instances
  std::shared_ptr<void> instance;                                  // set for add_instance
  std::vector<ServiceDependency> dependencies;
  bool dependencies_known = false;  // declared (or derived from an auto-constructed type)
};

template <class... Services>
std::vector<ServiceDependency> dependency_list(Dependencies<Services...>) {
  return {ServiceDependency{std::type_index(typeid(Services)), type_name<Services>()}...};
}

template <class T, class = void>
struct declared_dependencies {
  using type = Dependencies<>;
  static constexpr bool declared = false;
};
template <class T>
struct declared_dependencies<T, std::void_t<typename T::dependencies>> {
  using type = typename T::dependencies;
  static constexpr bool declared = true;
};

}  // namespace detail

class ServiceCollection {
 public:
  // --- automatic construction ----------------------------------------------
  // Implementation is built from `std::shared_ptr<Deps>...` when it declares
  // `using dependencies = dc::Dependencies<Deps...>;`, else default-constructed.
  template <class Interface, class Implementation = Interface>
  ServiceCollection& add_singleton() {
    return add_automatic<Interface, Implementation>(ServiceLifetime::singleton, false);
  }
  template <class Interface, class Implementation = Interface>
  ServiceCollection& add_scoped() {
    return add_automatic<Interface, Implementation>(ServiceLifetime::scoped, false);
  }
  template <class Interface, class Implementation = Interface>
  ServiceCollection& add_transient() {
    return add_automatic<Interface, Implementation>(ServiceLifetime::transient, false);
  }
  template <class Interface, class Implementation = Interface>
  ServiceCollection& try_add_singleton() {
    return add_automatic<Interface, Implementation>(ServiceLifetime::singleton, true);
  }
  template <class Interface, class Implementation = Interface>
  ServiceCollection& try_add_scoped() {
    return add_automatic<Interface, Implementation>(ServiceLifetime::scoped, true);
  }
  template <class Interface, class Implementation = Interface>
  ServiceCollection& try_add_transient() {
    return add_automatic<Interface, Implementation>(ServiceLifetime::transient, true);
  }

  // --- factories: std::shared_ptr<Interface-or-derived>(ServiceProvider&) -----
  // Without depends_on<...>, build() cannot see the factory's dependencies;
  // problems then surface when the service is first resolved.
  template <class Interface, class Factory, class... Deps>
  ServiceCollection& add_singleton(Factory&& factory, Dependencies<Deps...> deps = {}) {
    return add_factory<Interface>(ServiceLifetime::singleton, std::forward<Factory>(factory), deps, false);
  }
  template <class Interface, class Factory, class... Deps>
  ServiceCollection& add_scoped(Factory&& factory, Dependencies<Deps...> deps = {}) {
    return add_factory<Interface>(ServiceLifetime::scoped, std::forward<Factory>(factory), deps, false);
  }
  template <class Interface, class Factory, class... Deps>
  ServiceCollection& add_transient(Factory&& factory, Dependencies<Deps...> deps = {}) {
    return add_factory<Interface>(ServiceLifetime::transient, std::forward<Factory>(factory), deps, false);
  }
  template <class Interface, class Factory, class... Deps>
  ServiceCollection& try_add_singleton(Factory&& factory, Dependencies<Deps...> deps = {}) {
    return add_factory<Interface>(ServiceLifetime::singleton, std::forward<Factory>(factory), deps, true);
  }
  template <class Interface, class Factory, class... Deps>
  ServiceCollection& try_add_scoped(Factory&& factory, Dependencies<Deps...> deps = {}) {
    return add_factory<Interface>(ServiceLifetime::scoped, std::forward<Factory>(factory), deps, true);
  }
  template <class Interface, class Factory, class... Deps>
  ServiceCollection& try_add_transient(Factory&& factory, Dependencies<Deps...> deps = {}) {
    return add_factory<Interface>(ServiceLifetime::transient, std::forward<Factory>(factory), deps, true);
  }

  // --- instances: a singleton the application owns (never disposed by the provider) ---
  template <class Interface>
  ServiceCollection& add_instance(std::shared_ptr<Interface> instance) {
    return add_instance_impl<Interface>(std::move(instance), false);
  }
  template <class Interface>
  ServiceCollection& try_add_instance(std::shared_ptr<Interface> instance) {
    return add_instance_impl<Interface>(std::move(instance), true);
  }

  /// Whether `Interface` has at least one registration.
  template <class Interface>
  [[nodiscard]] bool contains() const noexcept {
    return contains(std::type_index(typeid(Interface)));
  }
  [[nodiscard]] std::size_t size() const noexcept { return descriptors_.size(); }

  /// Builds a provider. With `validate` (the default), checks that every
  /// declared dependency is registered, that no singleton captures a scoped
  /// service and that there are no cycles; throws ServiceValidationError
  /// listing every problem with its chain.
  [[nodiscard]] ServiceProvider build(bool validate = true) const;

  [[nodiscard]] const std::vector<detail::ServiceDescriptor>& descriptors() const noexcept { return descriptors_; }

 private:
  [[nodiscard]] bool contains(std::type_index type) const noexcept;
  ServiceCollection& add(detail::ServiceDescriptor descriptor, bool only_if_absent);

  template <class Interface, class Implementation>
  ServiceCollection& add_automatic(ServiceLifetime lifetime, bool only_if_absent) {
    static_assert(std::is_base_of_v<Interface, Implementation> || std::is_same_v<Interface, Implementation>,
                  "Implementation must derive from Interface");
    using Traits = detail::declared_dependencies<Implementation>;
    static_assert(Traits::declared || std::is_default_constructible_v<Implementation>,
                  "Implementation needs a default constructor or a `using dependencies = dc::Dependencies<...>;`");
    detail::ServiceDescriptor descriptor{std::type_index(typeid(Interface)),
                                         detail::type_name<Interface>(),
                                         detail::type_name<Implementation>(),
                                         lifetime,
                                         make_constructor<Interface, Implementation>(typename Traits::type{}),
                                         nullptr,
                                         detail::dependency_list(typename Traits::type{}),
                                         true};
    return add(std::move(descriptor), only_if_absent);
  }

  template <class Interface, class Implementation, class... Deps>
  static std::function<std::shared_ptr<void>(ServiceProvider&)> make_constructor(Dependencies<Deps...>);

  template <class Interface, class Factory, class... Deps>
  ServiceCollection& add_factory(ServiceLifetime lifetime, Factory&& factory, Dependencies<Deps...> deps,
                                 bool only_if_absent) {
    using Result = std::invoke_result_t<Factory&, ServiceProvider&>;
    static_assert(std::is_convertible_v<Result, std::shared_ptr<Interface>>,
                  "a factory must return std::shared_ptr<Interface> (or of a derived type)");
    detail::ServiceDescriptor descriptor{
        std::type_index(typeid(Interface)),
        detail::type_name<Interface>(),
        "factory",
        lifetime,
        [factory = std::forward<Factory>(factory)](ServiceProvider& provider) -> std::shared_ptr<void> {
          std::shared_ptr<Interface> created = factory(provider);
          return created;
        },
        nullptr,
        detail::dependency_list(deps),
        sizeof...(Deps) > 0};
    return add(std::move(descriptor), only_if_absent);
  }

  template <class Interface>
  ServiceCollection& add_instance_impl(std::shared_ptr<Interface> instance, bool only_if_absent) {
    if (!instance) throw ArgumentError("add_instance<" + detail::type_name<Interface>() + ">: the instance is null");
    detail::ServiceDescriptor descriptor{std::type_index(typeid(Interface)),
                                         detail::type_name<Interface>(),
                                         "instance",
                                         ServiceLifetime::singleton,
                                         {},
                                         std::shared_ptr<void>(std::move(instance)),
                                         {},
                                         true};
    return add(std::move(descriptor), only_if_absent);
  }

  std::vector<detail::ServiceDescriptor> descriptors_;
};

/// Resolves services. The root provider (from ServiceCollection::build())
/// owns the singletons it created; a scope (create_scope()) owns its scoped
/// instances. Owned instances are released in reverse creation order when
/// their scope or root provider is destroyed (an instance also held elsewhere
/// lives on until that holder lets go). Transients belong to the caller;
/// add_instance() objects to the application.
///
/// Thread-safe: any thread may resolve; a lazy singleton (or a scoped instance
/// within one scope) is created exactly once even under concurrent first use.
/// Move-only. A scope must not outlive its root provider.
class ServiceProvider {
 public:
  ServiceProvider(ServiceProvider&&) noexcept;
  ServiceProvider& operator=(ServiceProvider&&) noexcept;
  ~ServiceProvider();

  /// The last registration of T, or null when T is not registered.
  /// Throws ServiceResolutionError when T is registered but cannot be created.
  template <class T>
  [[nodiscard]] std::shared_ptr<T> get() {
    return std::static_pointer_cast<T>(resolve_last(std::type_index(typeid(T)), detail::type_name<T>(), false));
  }
  /// The last registration of T; ServiceResolutionError naming T and the chain
  /// of services that needed it when T is missing or cannot be created.
  template <class T>
  [[nodiscard]] std::shared_ptr<T> get_required() {
    return std::static_pointer_cast<T>(resolve_last(std::type_index(typeid(T)), detail::type_name<T>(), true));
  }
  /// Every registration of T, in registration order (empty when none).
  template <class T>
  [[nodiscard]] std::vector<std::shared_ptr<T>> get_all() {
    std::vector<std::shared_ptr<T>> result;
    for (auto& service : resolve_all(std::type_index(typeid(T))))
      result.push_back(std::static_pointer_cast<T>(service));
    return result;
  }

  /// A new scope: scoped services resolve to one instance per scope.
  [[nodiscard]] ServiceProvider create_scope();
  [[nodiscard]] bool is_scope() const noexcept;

 private:
  friend class ServiceCollection;
  struct Core;
  struct Scope;
  ServiceProvider(std::shared_ptr<Core> core, std::unique_ptr<Scope> scope) noexcept;

  std::shared_ptr<void> resolve_last(std::type_index type, const std::string& name, bool required);
  std::vector<std::shared_ptr<void>> resolve_all(std::type_index type);
  std::shared_ptr<void> resolve_descriptor(std::size_t index);

  std::shared_ptr<Core> core_;
  std::unique_ptr<Scope> scope_;  // null for the root provider
  bool owns_core_ = false;        // the root provider: disposes the singletons
};

template <class Interface, class Implementation, class... Deps>
std::function<std::shared_ptr<void>(ServiceProvider&)> ServiceCollection::make_constructor(Dependencies<Deps...>) {
  return []([[maybe_unused]] ServiceProvider& provider) -> std::shared_ptr<void> {
    std::shared_ptr<Interface> created = std::make_shared<Implementation>(provider.get_required<Deps>()...);
    return created;
  };
}

}  // namespace dotcompute
