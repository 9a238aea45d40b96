// Writing a dotcompute plugin in C++: a class checked by concepts, and the C
// thunks of plugin_abi.h generated for it. Header-only; a plugin needs no
// dotcompute library to build (docs/plugins.md walks through one).
//
//   struct MyBackend {                      // satisfies plugin::Backend
//     static constexpr const char* name = "mine";
//     std::uint32_t device_count();
//     dc_device_info_t device_info(std::uint32_t device);
//     void* prepare_kernel(std::uint32_t device, const dc_kernel_t& kernel);
//     void release_kernel(std::uint32_t device, void* program) noexcept;
//     void launch(std::uint32_t device, const dc_launch_t& launch);
//     void synchronize(std::uint32_t device);
//     // devices with memory of their own also: allocate, release, upload, download
//     // optional: static constexpr std::uint32_t features = DC_BACKEND_WRITES_BACK;
//     // optional: const std::vector<std::string>& skipped_parts() const;
//     // optional: void pin_host(void* host, std::uint64_t bytes);  void unpin_host(void* host) noexcept;
//     // optional: void waiting(std::uint32_t device, bool begins) noexcept;
//   };
//   struct MyPlugin {                       // satisfies plugin::Plugin
//     static constexpr const char* name = "mine";
//     static constexpr const char* version = "1.0.0";
//     static constexpr const char* description = "what it adds";
//     explicit MyPlugin(const dc_host_t& host);   // throwing here fails init with the message
//     MyBackend& backend();                        // optional, like the contributions below
//   };
//   DOTCOMPUTE_PLUGIN(MyPlugin)
//
// Optional members of the plugin class, each adding one contribution:
//   MyBackend& backend();
//   plugin::Choice select(const dc_selection_request_t&);   + static selector_name
//   void execution_finished(const dc_execution_record_t&) noexcept;  + static telemetry_sink_name
//   void review(std::span<const dc_pool_report_t>, std::span<std::uint8_t> trim);
//                                    + static memory_manager_name, memory_interval_ms
//   static std::span<const dc_kernel_source_t> kernel_sources();
//
// Errors: throw plugin::Error{status, message} for a specific status; any
// other exception becomes DC_STATUS_DEVICE_ERROR (std::bad_alloc:
// DC_STATUS_OUT_OF_MEMORY) with its what() as the message. Nothing escapes a thunk.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "dotcompute/plugin_abi.h"

namespace dotcompute::plugin {

/// Thrown by plugin code to fail a call with a given status.
struct Error : std::exception {
  Error(dc_status_t failure, std::string text) : status(failure), message(std::move(text)) {}
  [[nodiscard]] const char* what() const noexcept override { return message.c_str(); }
  dc_status_t status;
  std::string message;
};

/// A selector's answer.
struct Choice {
  std::uint32_t index = 0;
  std::string reason;
};

/// A backend whose devices share host memory.
template <class B>
concept Backend = requires(B& backend, std::uint32_t device, const dc_kernel_t& kernel, void* program,
                           const dc_launch_t& launch) {
  { B::name } -> std::convertible_to<const char*>;
  { backend.device_count() } -> std::convertible_to<std::uint32_t>;
  { backend.device_info(device) } -> std::same_as<dc_device_info_t>;
  { backend.prepare_kernel(device, kernel) } -> std::same_as<void*>;
  { backend.release_kernel(device, program) }
  noexcept;
  backend.launch(device, launch);
  backend.synchronize(device);
};

/// A backend whose devices have memory of their own.
template <class B>
concept OwnMemoryBackend = Backend<B> &&
    requires(B& backend, std::uint32_t device, std::uint64_t bytes, void* memory, const void* source, void* target) {
  { backend.allocate(device, bytes) } -> std::same_as<void*>;
  { backend.release(device, memory) }
  noexcept;
  backend.upload(device, memory, source, bytes);
  backend.download(device, memory, target, bytes);
};

/// A backend that reports parts it left out while enumerating (a platform
/// that failed, say); valid once device_count() has returned.
template <class B>
concept HasSkippedParts = requires(const B& backend) {
  { backend.skipped_parts() } -> std::convertible_to<const std::vector<std::string>&>;
};

/// A backend that page-locks host memory for the runtime's host pool
/// (dc_backend_t::pin_host); pin_host throws when it cannot.
template <class B>
concept HasHostPinning = requires(B& backend, void* host, std::uint64_t bytes) {
  backend.pin_host(host, bytes);
  { backend.unpin_host(host) }
  noexcept;
};

/// A backend that may hold completions back while more work follows, and
/// reports them when a thread begins waiting (dc_backend_t::waiting).
template <class B>
concept HasWaitingHint = requires(B& backend, std::uint32_t device, bool begins) {
  { backend.waiting(device, begins) }
  noexcept;
};

/// The ahead-of-time binaries of `kernel` (none when the runtime's header
/// predates dc_kernel_t::binaries).
inline std::span<const dc_kernel_binary_t> kernel_binaries(const dc_kernel_t& kernel) noexcept {
  if (kernel.struct_size < offsetof(dc_kernel_t, binaries) + sizeof kernel.binaries || kernel.binaries == nullptr) {
    return {};
  }
  return {kernel.binaries, kernel.binary_count};
}

/// The plugin class itself.
template <class P>
concept Plugin = std::constructible_from<P, const dc_host_t&> && requires {
  { P::name } -> std::convertible_to<const char*>;
  { P::version } -> std::convertible_to<const char*>;
  { P::description } -> std::convertible_to<const char*>;
};

template <class P>
concept HasBackend = requires(P& plugin) {
  plugin.backend();
};
template <class P>
concept HasSelector = requires(P& plugin, const dc_selection_request_t& request) {
  { plugin.select(request) } -> std::same_as<Choice>;
  { P::selector_name } -> std::convertible_to<const char*>;
};
template <class P>
concept HasTelemetrySink = requires(P& plugin, const dc_execution_record_t& record) {
  { plugin.execution_finished(record) }
  noexcept;
  { P::telemetry_sink_name } -> std::convertible_to<const char*>;
};
template <class P>
concept HasMemoryManager = requires(P& plugin, std::span<const dc_pool_report_t> pools, std::span<std::uint8_t> trim) {
  plugin.review(pools, trim);
  { P::memory_manager_name } -> std::convertible_to<const char*>;
  { P::memory_interval_ms } -> std::convertible_to<std::uint32_t>;
};
template <class P>
concept HasKernelSources = requires {
  { P::kernel_sources() } -> std::convertible_to<std::span<const dc_kernel_source_t>>;
};

namespace detail {

inline void write_message(dc_message_t* message, const char* text) noexcept {
  if (message != nullptr) std::snprintf(message->text, sizeof message->text, "%s", text);
}

/// Runs `body`, turning every exception into a status and a message.
template <class Body>
dc_status_t guarded(dc_message_t* message, Body&& body) noexcept {
  try {
    body();
    return DC_STATUS_OK;
  } catch (const Error& error) {
    write_message(message, error.message.c_str());
    return error.status;
  } catch (const std::bad_alloc&) {
    write_message(message, "out of host memory");
    return DC_STATUS_OUT_OF_MEMORY;
  } catch (const std::exception& error) {
    write_message(message, error.what());
    return DC_STATUS_DEVICE_ERROR;
  } catch (...) {
    write_message(message, "unknown exception");
    return DC_STATUS_DEVICE_ERROR;
  }
}

template <Plugin P>
auto& backend_of(void* state) {
  return static_cast<P*>(state)->backend();
}

template <Plugin P>
struct BackendThunks {
  using B = std::remove_cvref_t<decltype(std::declval<P&>().backend())>;
  static_assert(Backend<B>, "the plugin's backend() must return a class satisfying dotcompute::plugin::Backend");

  static dc_status_t device_count(void* state, std::uint32_t* count, dc_message_t* message) {
    return guarded(message, [&] { *count = backend_of<P>(state).device_count(); });
  }
  static dc_status_t device_info(void* state, std::uint32_t device, dc_device_info_t* info, dc_message_t* message) {
    return guarded(message, [&] {
      dc_device_info_t described = backend_of<P>(state).device_info(device);
      // The caller reserved info->struct_size bytes: a runtime built against
      // an older header has room for fewer fields than this one.
      const std::size_t room = info->struct_size < sizeof described ? info->struct_size : sizeof described;
      described.struct_size = static_cast<std::uint32_t>(room);
      std::memcpy(info, &described, room);
    });
  }
  static std::uint32_t skipped_count(void* state) {
    return static_cast<std::uint32_t>(backend_of<P>(state).skipped_parts().size());
  }
  static void skipped_reason(void* state, std::uint32_t index, dc_message_t* reason) {
    try {
      write_message(reason, backend_of<P>(state).skipped_parts().at(index).c_str());
    } catch (...) {
      write_message(reason, "no such skipped part");
    }
  }
  static dc_status_t prepare_kernel(void* state, std::uint32_t device, const dc_kernel_t* kernel, void** program,
                                    dc_message_t* message) {
    return guarded(message, [&] { *program = backend_of<P>(state).prepare_kernel(device, *kernel); });
  }
  static void release_kernel(void* state, std::uint32_t device, void* program) {
    backend_of<P>(state).release_kernel(device, program);
  }
  static dc_status_t allocate(void* state, std::uint32_t device, std::uint64_t bytes, void** memory,
                              dc_message_t* message) {
    return guarded(message, [&] { *memory = backend_of<P>(state).allocate(device, bytes); });
  }
  static void release(void* state, std::uint32_t device, void* memory) { backend_of<P>(state).release(device, memory); }
  static dc_status_t upload(void* state, std::uint32_t device, void* memory, const void* host, std::uint64_t bytes,
                            dc_message_t* message) {
    return guarded(message, [&] { backend_of<P>(state).upload(device, memory, host, bytes); });
  }
  static dc_status_t download(void* state, std::uint32_t device, void* memory, void* host, std::uint64_t bytes,
                              dc_message_t* message) {
    return guarded(message, [&] { backend_of<P>(state).download(device, memory, host, bytes); });
  }
  static dc_status_t launch(void* state, std::uint32_t device, const dc_launch_t* launch, dc_message_t* message) {
    return guarded(message, [&] { backend_of<P>(state).launch(device, *launch); });
  }
  static dc_status_t synchronize(void* state, std::uint32_t device, dc_message_t* message) {
    return guarded(message, [&] { backend_of<P>(state).synchronize(device); });
  }
  static dc_status_t pin_host(void* state, void* host, std::uint64_t bytes, dc_message_t* message) {
    return guarded(message, [&] { backend_of<P>(state).pin_host(host, bytes); });
  }
  static void unpin_host(void* state, void* host) { backend_of<P>(state).unpin_host(host); }
  static void waiting(void* state, std::uint32_t device, std::int32_t begins) {
    backend_of<P>(state).waiting(device, begins != 0);
  }

  static constexpr dc_backend_t table() {
    dc_backend_t backend{};
    backend.struct_size = sizeof(dc_backend_t);
    backend.name = B::name;
    backend.device_count = &device_count;
    backend.device_info = &device_info;
    backend.prepare_kernel = &prepare_kernel;
    backend.release_kernel = &release_kernel;
    if constexpr (OwnMemoryBackend<B>) {
      backend.allocate = &allocate;
      backend.release = &release;
      backend.upload = &upload;
      backend.download = &download;
    }
    backend.launch = &launch;
    backend.synchronize = &synchronize;
    if constexpr (requires { B::features; }) backend.features = B::features;
    if constexpr (HasSkippedParts<B>) {
      backend.skipped_count = &skipped_count;
      backend.skipped_reason = &skipped_reason;
    }
    if constexpr (HasHostPinning<B>) {
      backend.pin_host = &pin_host;
      backend.unpin_host = &unpin_host;
    }
    if constexpr (HasWaitingHint<B>) backend.waiting = &waiting;
    return backend;
  }
};

template <Plugin P>
struct PluginThunks {
  static dc_status_t init(const dc_host_t* host, void** state, dc_message_t* message) {
    return guarded(message, [&] { *state = new P(*host); });
  }
  static void shutdown(void* state) { delete static_cast<P*>(state); }

  static dc_status_t select(void* state, const dc_selection_request_t* request, std::uint32_t* chosen,
                            dc_message_t* reason) {
    return guarded(reason, [&] {
      Choice choice = static_cast<P*>(state)->select(*request);
      *chosen = choice.index;
      write_message(reason, choice.reason.c_str());
    });
  }
  static void execution_finished(void* state, const dc_execution_record_t* record) {
    static_cast<P*>(state)->execution_finished(*record);
  }
  static void review(void* state, const dc_pool_report_t* pools, std::uint32_t count, std::uint8_t* trim) {
    try {
      static_cast<P*>(state)->review(std::span(pools, count), std::span(trim, count));
    } catch (...) {  // a failed review trims nothing
      for (std::uint32_t i = 0; i < count; ++i) trim[i] = 0;
    }
  }

  static inline const dc_backend_t backend = [] {
    if constexpr (HasBackend<P>) return BackendThunks<P>::table();
    return dc_backend_t{};
  }();
  static inline const dc_selector_t selector = [] {
    if constexpr (HasSelector<P>) return dc_selector_t{sizeof(dc_selector_t), P::selector_name, &select};
    return dc_selector_t{};
  }();
  static inline const dc_telemetry_sink_t sink = [] {
    if constexpr (HasTelemetrySink<P>) {
      return dc_telemetry_sink_t{sizeof(dc_telemetry_sink_t), P::telemetry_sink_name, &execution_finished};
    }
    return dc_telemetry_sink_t{};
  }();
  static inline const dc_memory_manager_t memory_manager = [] {
    if constexpr (HasMemoryManager<P>) {
      return dc_memory_manager_t{sizeof(dc_memory_manager_t), P::memory_manager_name, P::memory_interval_ms, &review};
    }
    return dc_memory_manager_t{};
  }();

  static const dc_plugin_t* table() {
    static const dc_plugin_t plugin = [] {
      dc_plugin_t t{};
      t.abi_version = DC_PLUGIN_ABI_VERSION;
      t.struct_size = sizeof(dc_plugin_t);
      t.name = P::name;
      t.version = P::version;
      t.description = P::description;
      t.init = &init;
      t.shutdown = &shutdown;
      if constexpr (HasBackend<P>) {
        t.backend_count = 1;
        t.backends = &backend;
      }
      if constexpr (HasSelector<P>) {
        t.selector_count = 1;
        t.selectors = &selector;
      }
      if constexpr (HasMemoryManager<P>) {
        t.memory_manager_count = 1;
        t.memory_managers = &memory_manager;
      }
      if constexpr (HasTelemetrySink<P>) {
        t.telemetry_sink_count = 1;
        t.telemetry_sinks = &sink;
      }
      if constexpr (HasKernelSources<P>) {
        const std::span<const dc_kernel_source_t> sources = P::kernel_sources();
        t.kernel_source_count = static_cast<std::uint32_t>(sources.size());
        t.kernel_sources = sources.data();
      }
      return t;
    }();
    return &plugin;
  }
};

}  // namespace detail

/// The table of plugin class P (what DOTCOMPUTE_PLUGIN's entry point returns;
/// also what RuntimeOptions::in_process_plugins takes for a plugin linked in).
template <Plugin P>
const dc_plugin_t* table() {
  return detail::PluginThunks<P>::table();
}

/// Writes `text` into a message (for plugins written against the C table directly).
inline void set_message(dc_message_t* message, const std::string& text) noexcept {
  detail::write_message(message, text.c_str());
}

}  // namespace dotcompute::plugin

/// Exports the entry point of a plugin whose class is `PluginClass`.
#define DOTCOMPUTE_PLUGIN(PluginClass)                                \
  DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void) { \
    return ::dotcompute::plugin::table<PluginClass>();                \
  }
