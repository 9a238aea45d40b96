// A stand-in for NVRTC, the partner of the stand-in driver
// (stand_in_driver.cpp), for machines without the CUDA toolkit: it knows
// sm_90 only and "compiles" any source without looking at it, so it reports
// no errors. Its "image" is the source text, which the stand-in driver loads
// as it loads anything: that driver runs the kernels it knows by their entry
// point's name. The CUDA plugin loads it through DOTCOMPUTE_NVRTC_LIBRARY.
// Test code only.
#include <cstddef>
#include <cstring>
#include <string>

namespace {

constexpr int kSuccess = 0;
constexpr int kInvalidInput = 3;
constexpr int kInvalidProgram = 4;

struct Program {
  std::string source;
  bool compiled = false;
};

}  // namespace

extern "C" {

#define STAND_IN __attribute__((visibility("default")))

STAND_IN int nvrtcVersion(int* major, int* minor) {
  *major = 0;
  *minor = 0;
  return kSuccess;
}
STAND_IN const char* nvrtcGetErrorString(int result) {
  return result == kSuccess ? "NVRTC_SUCCESS" : "stand-in NVRTC error";
}
STAND_IN int nvrtcGetNumSupportedArchs(int* count) {
  *count = 1;
  return kSuccess;
}
STAND_IN int nvrtcGetSupportedArchs(int* architectures) {
  architectures[0] = 90;
  return kSuccess;
}
STAND_IN int nvrtcCreateProgram(void** program, const char* source, const char*, int, const char* const*,
                                const char* const*) {
  if (program == nullptr || source == nullptr) return kInvalidInput;
  *program = new Program{source};
  return kSuccess;
}
STAND_IN int nvrtcDestroyProgram(void** program) {
  if (program == nullptr) return kInvalidProgram;
  delete static_cast<Program*>(*program);
  *program = nullptr;
  return kSuccess;
}
STAND_IN int nvrtcCompileProgram(void* program, int, const char* const*) {
  static_cast<Program*>(program)->compiled = true;
  return kSuccess;
}
STAND_IN int nvrtcGetProgramLogSize(void*, std::size_t* size) {
  *size = 1;  // an empty log and its NUL
  return kSuccess;
}
STAND_IN int nvrtcGetProgramLog(void*, char* log) {
  *log = '\0';
  return kSuccess;
}
STAND_IN int nvrtcGetCUBINSize(void* handle, std::size_t* size) {
  const auto& program = *static_cast<Program*>(handle);
  if (!program.compiled) return kInvalidProgram;
  *size = program.source.size() + 1;
  return kSuccess;
}
STAND_IN int nvrtcGetCUBIN(void* handle, char* cubin) {
  const auto& program = *static_cast<Program*>(handle);
  if (!program.compiled) return kInvalidProgram;
  std::memcpy(cubin, program.source.c_str(), program.source.size() + 1);
  return kSuccess;
}
// Only asked for by devices newer than sm_90, which the stand-in driver never reports.
STAND_IN int nvrtcGetPTXSize(void* handle, std::size_t* size) { return nvrtcGetCUBINSize(handle, size); }
STAND_IN int nvrtcGetPTX(void* handle, char* ptx) { return nvrtcGetCUBIN(handle, ptx); }

}  // extern "C"
