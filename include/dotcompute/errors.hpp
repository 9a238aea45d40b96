// The typed error hierarchy of dotcompute (DESIGN.md §9).
//
// Every error the public API throws derives from ComputeError. Messages name
// the kernel, device or parameter involved. Errors raised while an execution
// runs asynchronously are stored in its Execution handle and rethrown by
// wait()/get(); they are never thrown on a worker thread.
#pragma once

#include <stdexcept>
#include <string>

#include "dotcompute/namespace.hpp"

namespace dotcompute {

/// Base of every dotcompute error. `is_transient()` says whether retrying
/// the same operation later may succeed (e.g. a device that ran out of memory).
class ComputeError : public std::runtime_error {
 public:
  explicit ComputeError(const std::string& message, bool transient = false)
      : std::runtime_error(message), transient_(transient) {}

  [[nodiscard]] bool is_transient() const noexcept { return transient_; }

 private:
  bool transient_;
};

/// A kernel failed to parse, to pass the dialect checks, or to compile for a device.
class CompilationError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// A device failed (driver error, lost device, ...).
class DeviceError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// A device (or the host) could not satisfy an allocation even after trimming its pools.
class OutOfMemoryError : public DeviceError {
 public:
  explicit OutOfMemoryError(const std::string& message) : DeviceError(message, true) {}
};

/// No device can run the request, or the named device does not exist / is not usable.
class DeviceUnavailableError : public DeviceError {
 public:
  using DeviceError::DeviceError;
};

/// Misuse of memory: a moved-from buffer, a copy with mismatched sizes, ...
class MemoryError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// A kernel started but failed while running.
class ExecutionError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// A call's arguments do not match what it needs: kernel name, argument count,
/// types, access, buffer sizes, range, device name.
class ArgumentError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// The execution was cancelled (before it started, or at a chunk boundary while running).
class CancelledError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

/// A kernel could not be registered: the same name twice, or malformed metadata.
class RegistrationError : public ComputeError {
 public:
  using ComputeError::ComputeError;
};

}  // namespace dotcompute
