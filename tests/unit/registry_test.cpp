#include <gtest/gtest.h>

#include <dotcompute/dotcompute.hpp>

namespace dotcompute {
namespace {

void noop_entry(const cpu::LaunchArgs&, const cpu::WorkChunk&) noexcept {}

KernelDefinition native(std::string name, std::string origin) {
  KernelDefinition definition;
  definition.name = std::move(name);
  definition.cpu_entry = &noop_entry;
  definition.origin = std::move(origin);
  return definition;
}

TEST(KernelRegistry, AddsAndFindsByName) {
  KernelRegistry registry;
  registry.add(native("alpha", "a.dck:1"));
  const auto found = registry.find("alpha");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->origin, "a.dck:1");
  EXPECT_EQ(found->implementations(), std::vector<std::string>{"cpu"});
  EXPECT_EQ(registry.find("beta"), nullptr);
  EXPECT_EQ(registry.get("alpha"), found);
}

TEST(KernelRegistry, DuplicateNameNamesBothOrigins) {
  KernelRegistry registry;
  registry.add(native("alpha", "a.dck:1"));
  try {
    registry.add(native("alpha", "b.dck:7"));
    FAIL() << "expected RegistrationError";
  } catch (const RegistrationError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("a.dck:1"), std::string::npos) << message;
    EXPECT_NE(message.find("b.dck:7"), std::string::npos) << message;
  }
  EXPECT_EQ(registry.get("alpha")->origin, "a.dck:1");  // the first one is untouched
}

TEST(KernelRegistry, StaticInitClashIsReportedOnLookup) {
  KernelRegistry registry;
  registry.add_at_static_init(native("alpha", "a.dck:1"));
  registry.add_at_static_init(native("alpha", "b.dck:2"));
  EXPECT_THROW((void)registry.find("alpha"), RegistrationError);
  ASSERT_EQ(registry.conflicts().size(), 1u);
  EXPECT_NE(registry.conflicts()[0].find("b.dck:2"), std::string::npos);
}

TEST(KernelRegistry, UnknownNameSuggestsCloseMatches) {
  KernelRegistry registry;
  registry.add(native("vector_add", "v.dck:1"));
  registry.add(native("saxpy", "s.dck:1"));
  try {
    (void)registry.get("vectoradd");
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'vector_add'"), std::string::npos) << e.what();
  }
  KernelRegistry empty;
  EXPECT_THROW((void)empty.get("x"), ArgumentError);
}

TEST(KernelRegistry, RejectsMalformedDefinitions) {
  KernelRegistry registry;
  KernelDefinition nothing;
  nothing.name = "nothing";
  EXPECT_THROW(registry.add(nothing), RegistrationError);  // no implementation at all
  KernelDefinition too_many = native("wide", "w");
  too_many.parameters.resize(kMaxKernelParameters + 1,
                             {"p", ParameterKind::scalar, ScalarType::int32, Access::read_only, {}});
  EXPECT_THROW(registry.add(too_many), RegistrationError);
  EXPECT_THROW(registry.add(native("", "x")), RegistrationError);
}

TEST(KernelRegistry, RegistersKernelsFromSourceAtRunTime) {
  KernelRegistry registry;
  const auto names = registry.add_source(
      "DC_KERNEL void twice(int n, DC_GLOBAL float* x DC_SIZE(n)) { int i = dc_global_id(0); if (i < n) x[i] *= 2.0f; "
      "}\n"
      "DC_KERNEL void zero(DC_GLOBAL DC_WRITE_ONLY float* x) { x[dc_global_id(0)] = 0.0f; }\n",
      "runtime:demo");
  EXPECT_EQ(names, (std::vector<std::string>{"twice", "zero"}));
  const auto twice = registry.get("twice");
  EXPECT_EQ(twice->cpu_entry, nullptr);
  ASSERT_NE(twice->source, nullptr);
  EXPECT_EQ(twice->source->path, "runtime:demo");
  EXPECT_EQ(twice->implementations(), std::vector<std::string>{"portable"});
  EXPECT_EQ(twice->parameters[1].required_elements.text(), "n");
}

TEST(KernelRegistry, SourceWithErrorsRegistersNothing) {
  KernelRegistry registry;
  try {
    registry.add_source("DC_KERNEL void good() {}\nDC_KERNEL void bad() { throw 1; }", "runtime:bad");
    FAIL();
  } catch (const CompilationError& e) {
    EXPECT_NE(std::string(e.what()).find("runtime:bad:2:24: error: exceptions"), std::string::npos) << e.what();
  }
  EXPECT_EQ(registry.find("good"), nullptr);
  registry.add(native("taken", "t"));
  EXPECT_THROW(registry.add_source("DC_KERNEL void fresh() {}\nDC_KERNEL void taken() {}", "runtime:clash"),
               RegistrationError);
  EXPECT_EQ(registry.find("fresh"), nullptr);
}

TEST(KernelRegistry, RemoveAndList) {
  KernelRegistry registry;
  registry.add(native("b", "b"));
  registry.add(native("a", "a"));
  ASSERT_EQ(registry.kernels().size(), 2u);
  EXPECT_EQ(registry.kernels()[0]->name, "a");
  EXPECT_TRUE(registry.remove("a"));
  EXPECT_FALSE(registry.remove("a"));
  EXPECT_EQ(registry.kernels().size(), 1u);
}

TEST(KernelRegistry, GeneratedSampleKernelsAreNotLinkedHere) {
  // unit_tests does not link the samples: the global registry has only what this binary registers.
  EXPECT_EQ(KernelRegistry::global().find("vector_add"), nullptr);
}

}  // namespace
}  // namespace dotcompute
