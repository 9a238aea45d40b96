// Every diagnostic of the kernel dialect, and what a valid module yields.
#include <gtest/gtest.h>

#include "dialect/module.hpp"

namespace dotcompute::dialect {
namespace {

// Parses `source` and returns its single diagnostic (failing the test if there are none).
Diagnostic only_error(std::string_view source) {
  const Module module = parse_module(source, "k.dck");
  EXPECT_FALSE(module.diagnostics.empty()) << "expected an error for:\n" << source;
  if (module.diagnostics.empty()) return {};
  return module.diagnostics.front();
}

void expect_error(std::string_view source, std::string_view fragment, int line, int column) {
  const Diagnostic d = only_error(source);
  EXPECT_NE(d.message.find(fragment), std::string::npos) << "message: " << d.message;
  EXPECT_EQ(d.line, line) << d.format();
  EXPECT_EQ(d.column, column) << d.format();
  EXPECT_EQ(d.format().rfind("k.dck:" + std::to_string(line) + ":" + std::to_string(column) + ": error: ", 0), 0u)
      << d.format();
}

TEST(Dialect, ValidModuleYieldsKernelsWithSignatureAndDimensions) {
  const Module module = parse_module(
      "DC_CONSTANT float kScale = 2.0f;\n"
      "DC_FUNC float twice(float v) { return v * kScale; }\n"
      "DC_FUNC int row() { return dc_global_id(1); }\n"
      "DC_KERNEL void k(int n, DC_GLOBAL const float* in DC_SIZE(n * 2), DC_GLOBAL DC_WRITE_ONLY float* out,\n"
      "                 DC_GLOBAL double* io) {\n"
      "  int i = dc_global_id(0) + row();\n"
      "  out[i] = twice(in[i]) + (float)io[i];\n"
      "}\n",
      "k.dck");
  ASSERT_TRUE(module.diagnostics.empty()) << format_diagnostics(module.diagnostics);
  auto source = std::make_shared<KernelSource>();
  const auto definitions = kernel_definitions(module, source);
  ASSERT_EQ(definitions.size(), 1u);
  const KernelDefinition& k = definitions[0];
  EXPECT_EQ(k.name, "k");
  EXPECT_EQ(k.dimensions, 2);  // dc_global_id(1) through the helper
  ASSERT_EQ(k.parameters.size(), 4u);
  EXPECT_EQ(k.parameters[0].kind, ParameterKind::scalar);
  EXPECT_EQ(k.parameters[1].access, Access::read_only);
  EXPECT_EQ(k.parameters[1].required_elements.text(), "n * 2");
  EXPECT_EQ(k.parameters[2].access, Access::write_only);
  EXPECT_EQ(k.parameters[3].access, Access::read_write);
  EXPECT_EQ(k.parameters[3].type, ScalarType::float64);
  EXPECT_EQ(k.origin, "k.dck:4");
  EXPECT_EQ(k.signature(), "k(int n, const float* in DC_SIZE(n * 2), DC_WRITE_ONLY float* out, double* io)");
}

TEST(Dialect, CommentsAndStringsDoNotConfuseTheChecks) {
  const Module module = parse_module(
      "// new delete throw std::vector\n/* static int x; */\n"
      "DC_KERNEL void k(DC_GLOBAL float* x) { x[dc_global_id(0)] = 1.0f; /* throw */ }\n",
      "k.dck");
  EXPECT_TRUE(module.diagnostics.empty()) << format_diagnostics(module.diagnostics);
}

TEST(Dialect, UnknownParameterType) { expect_error("DC_KERNEL void k(vec3 v) {}", "unknown type 'vec3'", 1, 18); }

TEST(Dialect, UnknownTypeInBody) {
  expect_error("DC_KERNEL void k(int n) {\n  vec3 v;\n}", "unknown type 'vec3'", 2, 3);
}

TEST(Dialect, PointerWithoutGlobal) {
  expect_error("DC_KERNEL void k(float* x) {}", "pointer parameter 'x' must be DC_GLOBAL", 1, 25);
}

TEST(Dialect, GlobalOnScalar) {
  expect_error("DC_KERNEL void k(DC_GLOBAL float x) {}", "DC_GLOBAL parameter 'x' must be a pointer", 1, 34);
}

TEST(Dialect, PointerToPointer) {
  expect_error("DC_KERNEL void k(DC_GLOBAL float** x) {}", "pointer-to-pointer parameter 'x'", 1, 36);
}

TEST(Dialect, ConstWriteOnly) {
  expect_error("DC_KERNEL void k(DC_GLOBAL DC_WRITE_ONLY const float* x) {}", "both const and DC_WRITE_ONLY", 1, 55);
}

TEST(Dialect, SizeOnScalarAndBadSizeExpression) {
  expect_error("DC_KERNEL void k(int n DC_SIZE(n)) {}", "DC_SIZE applies to buffer parameters only", 1, 22);
  expect_error("DC_KERNEL void k(float f, DC_GLOBAL float* x DC_SIZE(f)) {}", "'f' is not an integer scalar", 1, 44);
  expect_error("DC_KERNEL void k(DC_GLOBAL float* x DC_SIZE(m)) {}", "unknown parameter 'm'", 1, 35);
}

TEST(Dialect, DirectRecursion) {
  expect_error("DC_FUNC int f(int x) { return x <= 0 ? 0 : f(x - 1); }\nDC_KERNEL void k() {}",
               "recursion is not allowed in kernel code: f -> f", 1, 13);
}

TEST(Dialect, MutualRecursionThroughPrototypes) {
  const Diagnostic d = only_error(
      "DC_FUNC int odd(int x);\n"
      "DC_FUNC int even(int x) { return x == 0 ? 1 : odd(x - 1); }\n"
      "DC_FUNC int odd(int x) { return x == 0 ? 0 : even(x - 1); }\n"
      "DC_KERNEL void k() {}");
  EXPECT_NE(d.message.find("recursion is not allowed"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("odd -> even -> odd"), std::string::npos) << d.message;
}

TEST(Dialect, NewAndDelete) {
  expect_error("DC_KERNEL void k() { float* p = new float[4]; }", "dynamic allocation ('new')", 1, 33);
  expect_error("DC_KERNEL void k(DC_GLOBAL float* p) { delete p; }", "dynamic allocation ('delete')", 1, 40);
}

TEST(Dialect, Exceptions) {
  expect_error("DC_KERNEL void k() { throw 1; }", "exceptions ('throw')", 1, 22);
  expect_error("DC_KERNEL void k() { try { } catch (...) { } }", "exceptions ('try')", 1, 22);
}

TEST(Dialect, StdNamespace) {
  expect_error("DC_KERNEL void k(DC_GLOBAL float* x) { x[0] = std::sqrt(x[0]); }", "'std::' is not available", 1, 47);
}

TEST(Dialect, FunctionPointers) {
  expect_error("DC_FUNC float f(float x) { return x; }\nDC_KERNEL void k() { float (*p)(float) = f; }",
               "function pointers are not supported", 2, 28);
  expect_error("DC_FUNC float f(float x) { return x; }\nDC_KERNEL void k(DC_GLOBAL long* out) { out[0] = (long)&f; }",
               "function pointers are not supported: 'f' is used as a value", 2, 57);
}

TEST(Dialect, MutableStatics) {
  expect_error("int counter = 0;\nDC_KERNEL void k() {}", "mutable global variable 'counter'", 1, 5);
  expect_error("static float cache;\nDC_KERNEL void k() {}", "mutable static variable 'cache'", 1, 14);
  expect_error("DC_KERNEL void k() { static int calls = 0; }", "static local variables are not allowed", 1, 22);
  expect_error("const float pi = 3.14f;\nDC_KERNEL void k() {}", "must be declared DC_CONSTANT", 1, 13);
}

TEST(Dialect, DuplicateKernelNames) {
  expect_error("DC_KERNEL void k() {}\nDC_KERNEL void k() {}",
               "name 'k' is already used at k.dck:1 (duplicate kernel name)", 2, 16);
}

TEST(Dialect, StructuralErrors) {
  expect_error("#include <cmath>\nDC_KERNEL void k() {}", "#include is not supported", 1, 1);
  expect_error("struct P { float x; };", "'struct' is not supported", 1, 1);
  expect_error("float f(float x) { return x; }", "function 'f' must be marked DC_KERNEL", 1, 7);
  expect_error("DC_KERNEL void k();", "kernel 'k' has no body", 1, 16);
  expect_error("DC_KERNEL int k() { return 0; }", "kernel 'k' must return void", 1, 15);
  expect_error("DC_KERNEL void a() {}\nDC_KERNEL void b() { a(); }", "kernel 'a' cannot be called", 2, 22);
  expect_error("DC_KERNEL void k() { g(); }\nDC_FUNC void g() {}", "helper 'g' is used before it is declared", 1, 22);
  expect_error("DC_KERNEL void k(DC_GLOBAL float* x) { x[0] = sqrtf(x[0]); }", "call to unknown function 'sqrtf'", 1,
               47);
  expect_error("DC_KERNEL void k(int n) { auto x = n; }", "'auto' is not supported", 1, 27);
  expect_error("DC_KERNEL void k(int& n) {}", "reference parameters are not supported", 1, 21);
}

TEST(Dialect, BuiltinMisuse) {
  expect_error("DC_KERNEL void k(int d) { int i = dc_global_id(d); }", "takes a literal dimension", 1, 35);
  expect_error("DC_KERNEL void k() { int i = dc_global_id(3); }", "takes a literal dimension", 1, 30);
  expect_error("DC_KERNEL void k() { dc_barrier(); }", "'dc_barrier' is not supported yet", 1, 22);
  expect_error("DC_KERNEL void k() { float x = dc_frobnicate(1.0f); }", "unknown built-in 'dc_frobnicate'", 1, 32);
}

TEST(Dialect, ReportsEveryErrorSortedByPosition) {
  const Module module = parse_module("DC_KERNEL void k(vec3 v) {\n  throw 1;\n  new int;\n}", "k.dck");
  ASSERT_EQ(module.diagnostics.size(), 3u) << format_diagnostics(module.diagnostics);
  EXPECT_EQ(module.diagnostics[0].line, 1);
  EXPECT_EQ(module.diagnostics[1].line, 2);
  EXPECT_EQ(module.diagnostics[2].line, 3);
}

}  // namespace
}  // namespace dotcompute::dialect
