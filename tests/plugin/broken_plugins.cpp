// Deliberately broken plugins, one per build of this file (BROKEN_PLUGIN picks
// which): each must be skipped with its own reason, and none may disturb the
// runtime or the other plugins.
#include <stdexcept>

#include <dotcompute/plugin.hpp>

#define WRONG_ABI 1
#define NO_ENTRY_POINT 2
#define FAILING_INIT 3
#define THROWING_INIT 4
#define RAW_THROWING_INIT 5
#define ZERO_DEVICES 6
#define RESERVED_BACKEND_NAME 7
#define SHORT_BACKEND_TABLE 8
#define MIXED_BACKEND_SIZES 9

namespace {

[[maybe_unused]] dc_plugin_t raw_table(const char* name) {
  dc_plugin_t table{};
  table.abi_version = DC_PLUGIN_ABI_VERSION;
  table.struct_size = sizeof(dc_plugin_t);
  table.name = name;
  table.version = "0.0.1";
  table.description = "a broken plugin (tests)";
  return table;
}

// A backend whose devices share host memory and run nothing (only enumerated).
struct IdleBackend {
  static constexpr const char* name = "zero";
  std::uint32_t device_count() { return 0; }
  dc_device_info_t device_info(std::uint32_t) { throw dotcompute::plugin::Error(DC_STATUS_INVALID_ARGUMENT, "none"); }
  void* prepare_kernel(std::uint32_t, const dc_kernel_t&) {
    throw dotcompute::plugin::Error(DC_STATUS_UNSUPPORTED, "-");
  }
  void release_kernel(std::uint32_t, void*) noexcept {}
  void launch(std::uint32_t, const dc_launch_t&) {}
  void synchronize(std::uint32_t) {}
};

}  // namespace

#if BROKEN_PLUGIN == WRONG_ABI
DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void) {
  static dc_plugin_t table = [] {
    dc_plugin_t t = raw_table("wrong_abi");
    t.abi_version = DC_PLUGIN_ABI_VERSION + 1;
    return t;
  }();
  return &table;
}

#elif BROKEN_PLUGIN == NO_ENTRY_POINT
DC_PLUGIN_EXPORT int not_a_dotcompute_plugin(void) { return 42; }

#elif BROKEN_PLUGIN == FAILING_INIT
DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void) {
  static dc_plugin_t table = [] {
    dc_plugin_t t = raw_table("failing_init");
    t.init = [](const dc_host_t*, void**, dc_message_t* message) -> dc_status_t {
      dotcompute::plugin::set_message(message, "no widget is attached to this machine");
      return DC_STATUS_UNAVAILABLE;
    };
    return t;
  }();
  return &table;
}

#elif BROKEN_PLUGIN == THROWING_INIT
struct ThrowingPlugin {
  static constexpr const char* name = "throwing_init";
  static constexpr const char* version = "0.0.1";
  static constexpr const char* description = "its constructor throws (tests)";
  explicit ThrowingPlugin(const dc_host_t&) { throw std::runtime_error("the widget exploded"); }
};
DOTCOMPUTE_PLUGIN(ThrowingPlugin)

#elif BROKEN_PLUGIN == RAW_THROWING_INIT
// Breaks the ABI's rule on purpose: an exception leaves init.
dc_status_t throwing_init(const dc_host_t*, void**, dc_message_t*) {
  throw std::runtime_error("thrown across the ABI");
}
DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void) {
  static dc_plugin_t table = [] {
    dc_plugin_t t = raw_table("raw_throwing_init");
    t.init = &throwing_init;
    return t;
  }();
  return &table;
}

#elif BROKEN_PLUGIN == ZERO_DEVICES
struct ZeroDevicePlugin {
  static constexpr const char* name = "zero_devices";
  static constexpr const char* version = "0.0.1";
  static constexpr const char* description = "a backend without devices (tests)";
  explicit ZeroDevicePlugin(const dc_host_t&) {}
  IdleBackend& backend() { return backend_; }
  IdleBackend backend_;
};
DOTCOMPUTE_PLUGIN(ZeroDevicePlugin)

#elif BROKEN_PLUGIN == RESERVED_BACKEND_NAME
struct CpuImpostor : IdleBackend {
  static constexpr const char* name = "cpu";
};
struct ReservedNamePlugin {
  static constexpr const char* name = "reserved_name";
  static constexpr const char* version = "0.0.1";
  static constexpr const char* description = "claims the cpu backend name (tests)";
  explicit ReservedNamePlugin(const dc_host_t&) {}
  CpuImpostor& backend() { return backend_; }
  CpuImpostor backend_;
};
DOTCOMPUTE_PLUGIN(ReservedNamePlugin)

#elif BROKEN_PLUGIN == SHORT_BACKEND_TABLE
// A backend table smaller than dc_backend_t has ever been in ABI version 1.
DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void) {
  static dc_backend_t backend = [] {
    dc_backend_t b{};
    b.struct_size = 16;
    b.name = "short";
    return b;
  }();
  static dc_plugin_t table = [] {
    dc_plugin_t t = raw_table("short_backend_table");
    t.backend_count = 1;
    t.backends = &backend;
    return t;
  }();
  return &table;
}

#elif BROKEN_PLUGIN == MIXED_BACKEND_SIZES
// Two backend tables that disagree about their size: no element size to read them with.
DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void) {
  static dc_backend_t backends[2] = {};
  static dc_plugin_t table = [] {
    backends[0].struct_size = sizeof(dc_backend_t);
    backends[0].name = "first";
    backends[1].struct_size = sizeof(dc_backend_t) - 8;
    backends[1].name = "second";
    dc_plugin_t t = raw_table("mixed_backend_sizes");
    t.backend_count = 2;
    t.backends = backends;
    return t;
  }();
  return &table;
}

#else
#error "BROKEN_PLUGIN must name a variant"
#endif
