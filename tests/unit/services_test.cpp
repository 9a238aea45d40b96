// The service container: lifetimes, registration rules, scopes, disposal, validation, concurrency.
#include <gtest/gtest.h>

#include <dotcompute/services.hpp>
#include <thread>

namespace dotcompute {
namespace {

struct Clock {
  virtual ~Clock() = default;
  virtual int now() const = 0;
};
struct FixedClock final : Clock {
  int now() const override { return 42; }
};
struct OtherClock final : Clock {
  int now() const override { return 7; }
};

// Records construction and destruction order.
std::vector<std::string> events;
struct Tracked {
  explicit Tracked(std::string name) : name_(std::move(name)) { events.push_back("+" + name_); }
  ~Tracked() { events.push_back("-" + name_); }
  std::string name_;
};
struct First : Tracked {
  First() : Tracked("first") {}
};
struct Second : Tracked {
  using dependencies = Dependencies<First>;
  explicit Second(std::shared_ptr<First> first) : Tracked("second"), first_(std::move(first)) {}
  std::shared_ptr<First> first_;
};

struct Session {
  using dependencies = Dependencies<Clock>;
  explicit Session(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {}
  std::shared_ptr<Clock> clock_;
};

TEST(Services, SingletonScopedTransientLifetimes) {
  ServiceCollection services;
  services.add_singleton<Clock, FixedClock>();
  services.add_scoped<Session>();
  services.add_transient<First>();
  ServiceProvider root = services.build();
  EXPECT_EQ(root.get_required<Clock>(), root.get_required<Clock>());
  EXPECT_NE(root.get_required<First>(), root.get_required<First>());
  ServiceProvider scope_a = root.create_scope();
  ServiceProvider scope_b = root.create_scope();
  EXPECT_TRUE(scope_a.is_scope());
  EXPECT_EQ(scope_a.get_required<Session>(), scope_a.get_required<Session>());
  EXPECT_NE(scope_a.get_required<Session>(), scope_b.get_required<Session>());  // isolation
  EXPECT_EQ(scope_a.get_required<Clock>(), root.get_required<Clock>());         // singletons are shared
  EXPECT_EQ(scope_a.get_required<Session>()->clock_->now(), 42);                // auto-constructed with its dependency
}

TEST(Services, ScopedFromRootIsAnError) {
  ServiceCollection services;
  services.add_singleton<Clock, FixedClock>();
  services.add_scoped<Session>();
  ServiceProvider root = services.build();
  try {
    (void)root.get_required<Session>();
    FAIL();
  } catch (const ServiceResolutionError& e) {
    EXPECT_NE(std::string(e.what()).find("scoped service 'dotcompute::(anonymous namespace)::Session' cannot be "
                                         "resolved from the root provider"),
              std::string::npos)
        << e.what();
  }
}

TEST(Services, MissingServiceNamesTheTypeAndTheChain) {
  ServiceCollection services;
  services.add_scoped<Session>();
  ServiceProvider root = services.build(/*validate=*/false);
  ServiceProvider scope = root.create_scope();
  EXPECT_EQ(scope.get<Clock>(), nullptr);
  try {
    (void)scope.get_required<Session>();
    FAIL();
  } catch (const ServiceResolutionError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("no service of type 'dotcompute::(anonymous namespace)::Clock' is registered (needed by "
                           "dotcompute::(anonymous namespace)::Session)"),
              std::string::npos)
        << message;
  }
}

TEST(Services, LastRegistrationWinsAndGetAllKeepsOrder) {
  ServiceCollection services;
  services.add_singleton<Clock, FixedClock>();
  services.add_singleton<Clock, OtherClock>();
  ServiceProvider root = services.build();
  EXPECT_EQ(root.get_required<Clock>()->now(), 7);
  const auto all = root.get_all<Clock>();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->now(), 42);
  EXPECT_EQ(all[1]->now(), 7);
  EXPECT_TRUE(root.get_all<Session>().empty());
}

TEST(Services, TryAddKeepsTheFirstRegistration) {
  ServiceCollection services;
  services.try_add_singleton<Clock, OtherClock>();
  services.try_add_singleton<Clock, FixedClock>();
  services.try_add_singleton<Clock>([](ServiceProvider&) { return std::make_shared<FixedClock>(); });
  EXPECT_EQ(services.size(), 1u);
  EXPECT_EQ(services.build().get_required<Clock>()->now(), 7);
}

TEST(Services, FactoriesAndInstances) {
  ServiceCollection services;
  auto clock = std::make_shared<FixedClock>();
  services.add_instance<Clock>(clock);
  services.add_transient<Session>([](ServiceProvider& p) { return std::make_shared<Session>(p.get_required<Clock>()); },
                                  depends_on<Clock>);
  ServiceProvider root = services.build();
  EXPECT_EQ(root.get_required<Clock>(), clock);
  EXPECT_EQ(root.get_required<Session>()->clock_, clock);
  EXPECT_THROW(services.add_instance<Clock>(nullptr), ArgumentError);
}

TEST(Services, FactoryFailuresAreTypedAndNamed) {
  ServiceCollection services;
  services.add_singleton<Clock>([](ServiceProvider&) -> std::shared_ptr<Clock> { return nullptr; });
  services.add_transient<First>([](ServiceProvider&) -> std::shared_ptr<First> { throw std::runtime_error("disk"); });
  ServiceProvider root = services.build();
  EXPECT_THROW((void)root.get_required<Clock>(), ServiceResolutionError);
  try {
    (void)root.get_required<First>();
    FAIL();
  } catch (const ServiceResolutionError& e) {
    EXPECT_NE(std::string(e.what()).find("failed: disk"), std::string::npos) << e.what();
  }
}

TEST(Services, DisposalInReverseCreationOrder) {
  events.clear();
  {
    ServiceCollection services;
    services.add_singleton<First>();
    services.add_singleton<Second>();
    ServiceProvider root = services.build();
    (void)root.get_required<Second>();  // creates First, then Second
  }
  EXPECT_EQ(events, (std::vector<std::string>{"+first", "+second", "-second", "-first"}));
}

TEST(Services, ScopeDisposesItsScopedInstancesOnly) {
  events.clear();
  ServiceCollection services;
  services.add_singleton<First>();
  services.add_scoped<Second>();
  ServiceProvider root = services.build(/*validate=*/false);
  {
    ServiceProvider scope = root.create_scope();
    (void)scope.get_required<Second>();
  }
  EXPECT_EQ(events, (std::vector<std::string>{"+first", "+second", "-second"}));  // the singleton lives on
}

TEST(Services, LazySingletonCreatedOnceUnderConcurrentFirstUse) {
  static std::atomic<int> constructions{0};
  struct Slow {
    Slow() {
      ++constructions;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  constructions = 0;
  ServiceCollection services;
  services.add_singleton<Slow>();
  ServiceProvider root = services.build();
  std::vector<std::shared_ptr<Slow>> seen(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] { seen[static_cast<std::size_t>(t)] = root.get_required<Slow>(); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(constructions, 1);
  for (const auto& instance : seen) EXPECT_EQ(instance, seen[0]);
}

struct A;
struct B;
struct A {
  using dependencies = Dependencies<B>;
  explicit A(std::shared_ptr<B>) {}
};
struct B {
  using dependencies = Dependencies<A>;
  explicit B(std::shared_ptr<A>) {}
};

TEST(Services, ValidationRejectsCyclesWithTheChain) {
  ServiceCollection services;
  services.add_singleton<A>();
  services.add_singleton<B>();
  try {
    (void)services.build();
    FAIL();
  } catch (const ServiceValidationError& e) {
    EXPECT_NE(
        std::string(e.what()).find("dependency cycle: dotcompute::(anonymous namespace)::A -> "
                                   "dotcompute::(anonymous namespace)::B -> dotcompute::(anonymous namespace)::A"),
        std::string::npos)
        << e.what();
  }
  // Without validation the cycle is caught when resolving.
  ServiceProvider unchecked = services.build(false);
  EXPECT_THROW((void)unchecked.get_required<A>(), ServiceResolutionError);
}

struct Holder {
  using dependencies = Dependencies<Session>;
  explicit Holder(std::shared_ptr<Session>) {}
};

TEST(Services, ValidationRejectsMissingDependenciesAndCaptiveScopedServices) {
  ServiceCollection services;
  services.add_singleton<Holder>();  // singleton -> scoped Session: captive
  services.add_scoped<Session>();    // Session -> Clock: not registered
  try {
    (void)services.build();
    FAIL();
  } catch (const ServiceValidationError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("2 problems"), std::string::npos) << message;
    EXPECT_NE(message.find("captures scoped service 'dotcompute::(anonymous namespace)::Session'"), std::string::npos)
        << message;
    EXPECT_NE(message.find("'dotcompute::(anonymous namespace)::Clock' is not registered but is needed by"),
              std::string::npos)
        << message;
  }
}

TEST(Services, SingletonFactoriesGetTheRootEvenFromAScope) {
  ServiceCollection services;
  services.add_scoped<Clock, FixedClock>();
  // An undeclared factory dependency: not visible to validation, caught at resolution.
  services.add_singleton<Session>(
      [](ServiceProvider& p) { return std::make_shared<Session>(p.get_required<Clock>()); });
  ServiceProvider root = services.build();
  ServiceProvider scope = root.create_scope();
  EXPECT_THROW((void)scope.get_required<Session>(), ServiceResolutionError);
}

}  // namespace
}  // namespace dotcompute
