/* The plugin ABI of dotcompute: plain C, so that a plugin built by any
 * compiler (or in C) works with any build of the runtime that speaks the
 * same ABI version. docs/plugins.md explains it; plugin.hpp makes a plugin
 * written in C++ short.
 *
 * A plugin is a shared library exporting one function:
 *
 *   DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void);
 *
 * It returns a table that lives as long as the library is loaded. The runtime
 * checks `abi_version` and `struct_size`, then calls `init` once per load;
 * the state `init` returns is passed to every other function of the table and
 * of its contributions, and `shutdown` receives it once nothing the runtime
 * got from the plugin is in use any more.
 *
 * Rules that hold for every function here:
 *  - No C++ type and no exception crosses the boundary. Failures are a
 *    dc_status_t plus a message the callee writes into a dc_message_t.
 *  - Strings are UTF-8 and NUL-terminated. Strings and arrays the runtime
 *    passes in are valid only during the call unless stated otherwise;
 *    strings in the plugin's tables and dc_device_info_t must stay valid
 *    until `shutdown`.
 *  - Every function may be called from any thread, and concurrently unless
 *    stated otherwise.
 *
 * Versioning: DC_PLUGIN_ABI_VERSION changes when a change would break a
 * plugin built against the previous header (a field moved, a meaning
 * changed); the runtime refuses plugins with another version. Fields are only
 * ever appended to the end of a struct, which keeps the version: each struct
 * starts with its `struct_size`, and a reader ignores fields beyond the size
 * the writer declared, and gives fields the writer did not declare their zero
 * value. A struct's first ABI 1 layout is the smallest size accepted. */
#ifndef DOTCOMPUTE_PLUGIN_ABI_H
#define DOTCOMPUTE_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define DC_PLUGIN_EXTERN_C extern "C"
#else
#define DC_PLUGIN_EXTERN_C
#endif
#define DC_PLUGIN_EXPORT DC_PLUGIN_EXTERN_C __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/** The version this header describes. */
#define DC_PLUGIN_ABI_VERSION 1u
/** The symbol every plugin exports. */
#define DC_PLUGIN_ENTRY_SYMBOL "dotcompute_plugin_entry"

/* --- status and messages ------------------------------------------------ */

typedef int32_t dc_status_t;
#define DC_STATUS_OK 0
#define DC_STATUS_INVALID_ARGUMENT 1 /* the runtime asked for something malformed */
#define DC_STATUS_OUT_OF_MEMORY 2    /* device or host memory exhausted (transient) */
#define DC_STATUS_DEVICE_ERROR 3     /* the device failed */
#define DC_STATUS_UNSUPPORTED 4      /* this device cannot run that kernel / do that */
#define DC_STATUS_COMPILATION_ERROR 5
#define DC_STATUS_EXECUTION_ERROR 6 /* a kernel started and failed */
#define DC_STATUS_CANCELLED 7       /* dropped before it started, as asked */
#define DC_STATUS_UNAVAILABLE 8     /* not usable on this machine (no hardware, no driver) */

/** Room for a failure's explanation; the callee writes a NUL-terminated text. */
#define DC_MESSAGE_CAPACITY 1024
typedef struct dc_message_t {
  char text[DC_MESSAGE_CAPACITY];
} dc_message_t;

/* --- what the runtime tells a plugin ------------------------------------ */

typedef struct dc_host_t {
  uint32_t struct_size;
  uint32_t abi_version;        /* DC_PLUGIN_ABI_VERSION of the runtime */
  const char* runtime_version; /* "0.1.0" */
  const char* plugin_path;     /* the file the plugin was loaded from ("" in-process) */
  const char* cache_directory; /* where compiled programs may be kept ("" = none given) */
} dc_host_t;

/* --- kernels ------------------------------------------------------------ */

#define DC_PARAMETER_SCALAR 0
#define DC_PARAMETER_BUFFER 1

#define DC_SCALAR_INT32 0
#define DC_SCALAR_UINT32 1
#define DC_SCALAR_INT64 2
#define DC_SCALAR_UINT64 3
#define DC_SCALAR_FLOAT32 4
#define DC_SCALAR_FLOAT64 5

#define DC_ACCESS_READ_ONLY 0
#define DC_ACCESS_READ_WRITE 1
#define DC_ACCESS_WRITE_ONLY 2

typedef struct dc_kernel_parameter_t {
  const char* name;
  int32_t kind;   /* DC_PARAMETER_* */
  int32_t type;   /* DC_SCALAR_*: the scalar's type, or a buffer's element type */
  int32_t access; /* DC_ACCESS_*; scalars are read-only */
} dc_kernel_parameter_t;

/** Global and work-group extents per dimension (unused dimensions are 1). */
typedef struct dc_work_geometry_t {
  uint64_t global[3];
  uint64_t local[3];
} dc_work_geometry_t;

/** Runs work items [begin, end) of a kernel's native host code, where the
 * linear index is x + global[0] * (y + global[1] * z). values[i] points at
 * parameter i's value: the scalar itself, or for a buffer the pointer to its
 * first element. Thread-safe: chunks may run concurrently. */
typedef void (*dc_host_chunk_fn)(const void* host_code, const void* const* values, const dc_work_geometry_t* geometry,
                                 uint64_t begin, uint64_t end);

/** Code built ahead of time from a kernel's source file, for a backend that
 * can load it (a backend ignores formats it does not know). */
typedef struct dc_kernel_binary_t {
  const char* format;  /* "cuda-fatbin": a CUDA fatbin of the whole source file */
  const char* targets; /* what it holds, space-separated: "sm_80 sm_90" */
  const void* data;
  uint64_t bytes;
} dc_kernel_binary_t;

/** A kernel the runtime asks a device to prepare. Valid until the device's
 * release_kernel() for the program prepared from it has returned. */
typedef struct dc_kernel_t {
  uint32_t struct_size;
  const char* name;
  uint32_t dimensions; /* dimensions its built-ins use (0..3) */
  uint32_t parameter_count;
  const dc_kernel_parameter_t* parameters;
  const char* source;      /* portable dialect source of its .dck file (docs/dialect.md), or NULL */
  const char* source_path; /* where `source` came from, for messages */
  /* Native host code compiled with the application (NULL when none): a
   * backend whose device runs on the host may call run_host_chunk(host_code, ...). */
  const void* host_code;
  dc_host_chunk_fn run_host_chunk;
  /* Appended: ahead-of-time binaries of `source` (0 and NULL: none). */
  uint32_t binary_count;
  const dc_kernel_binary_t* binaries;
} dc_kernel_t;

/** A kernel contributed by a plugin, as portable dialect source: the runtime
 * registers every kernel of it when the plugin loads (and replaces them when
 * it reloads), so that JIT backends can run them. */
typedef struct dc_kernel_source_t {
  const char* path;   /* origin for messages: "my_plugin/filters.dck" */
  const char* source; /* the .dck text */
} dc_kernel_source_t;

/* --- devices ------------------------------------------------------------ */

#define DC_DEVICE_CPU 0
#define DC_DEVICE_GPU 1
#define DC_DEVICE_ACCELERATOR 2
#define DC_DEVICE_OTHER 3

typedef struct dc_device_info_t {
  uint32_t struct_size;
  const char* name;
  const char* vendor;
  const char* driver_version;
  int32_t type; /* DC_DEVICE_* */
  uint32_t compute_units;
  uint64_t global_memory_bytes;
  uint64_t max_work_group_size;
  /* 1: buffers are passed as host pointers (no allocate/upload/download);
   * 0: the device has memory of its own. */
  uint32_t shares_host_memory;
  /* Appended. The runtime sets struct_size to the size it reserved: write no
   * more than that. */
  uint32_t simd_width_bits; /* widest vector unit kernels use (0: unknown) */
  const char* features;     /* space-separated, e.g. "fp64 OpenCL-1.2" (NULL: none) */
} dc_device_info_t;

typedef struct dc_launch_argument_t {
  int32_t kind; /* DC_PARAMETER_* */
  uint32_t reserved;
  /* Scalars: the value in the parameter's type, in the low bytes. */
  unsigned char scalar[8];
  /* Buffers: memory from this backend's allocate() (own-memory devices) or a
   * host pointer (host-sharing devices); `elements` of the parameter's type. */
  void* memory;
  uint64_t elements;
} dc_launch_argument_t;

/** A writable host span's device copy, to be copied back after the kernel. */
typedef struct dc_write_back_t {
  void* memory; /* from this backend's allocate() */
  void* host;   /* where the bytes go: the caller's memory */
  uint64_t bytes;
} dc_write_back_t;

/** A launch: valid during the launch() call only (copy what you keep). */
typedef struct dc_launch_t {
  uint32_t struct_size;
  void* program; /* from prepare_kernel */
  dc_work_geometry_t geometry;
  uint32_t argument_count;
  const dc_launch_argument_t* arguments;
  /* The backend calls complete() exactly once, from any thread (possibly
   * before launch() returns), once the kernel has finished or failed; the
   * message may be NULL on success. complete() may call release() and
   * release_kernel() of this backend. It may also run the application's
   * continuations: the runtime waits for every complete() call to return
   * before it releases the device, but whatever the backend's thread does
   * after it returns, `shutdown` must wait for. */
  void* completion_context;
  void (*complete)(void* completion_context, dc_status_t status, const char* message);
  /* Nonzero once the caller wants the work dropped. A backend checks it when
   * queued work is about to start, and then completes with DC_STATUS_CANCELLED. */
  int32_t (*cancel_requested)(void* completion_context);
  /* Appended; set only for backends with DC_BACKEND_WRITES_BACK (0 and NULL
   * otherwise). Once the kernel has succeeded, and before complete(), copy
   * each entry's bytes from `memory` to `host`, in order; after a failure or
   * a cancellation, copy nothing. */
  uint32_t write_back_count;
  const dc_write_back_t* write_backs;
  /* Appended (absent from a shorter struct, or NULL): complete() with the
   * moment the kernel finished, in CLOCK_MONOTONIC nanoseconds, for a backend
   * that learns of it before it calls (one observation for many launches, a
   * completion held back). The runtime's timings then end there. */
  void (*complete_at)(void* completion_context, dc_status_t status, const char* message, int64_t finished_ns);
} dc_launch_t;

/** A backend: a family of devices, named "<name>:<index>" in the runtime.
 * Work launched on one device runs in submission order. */
typedef struct dc_backend_t {
  uint32_t struct_size;
  const char* name; /* [a-z0-9_]+, not "cpu"; unique among loaded plugins */
  /* Enumerates the devices (called once per load, lazily, when the runtime
   * first needs them). DC_STATUS_UNAVAILABLE with a message: not usable here. */
  dc_status_t (*device_count)(void* state, uint32_t* count, dc_message_t* message);
  dc_status_t (*device_info)(void* state, uint32_t device, dc_device_info_t* info, dc_message_t* message);
  /* Prepares `kernel` for `device`: *program receives whatever the backend
   * needs to launch it. DC_STATUS_UNSUPPORTED (with the reason) when this
   * device cannot run it; DC_STATUS_COMPILATION_ERROR when building failed. */
  dc_status_t (*prepare_kernel)(void* state, uint32_t device, const dc_kernel_t* kernel, void** program,
                                dc_message_t* message);
  void (*release_kernel)(void* state, uint32_t device, void* program);
  /* Device memory (own-memory devices only; NULL otherwise). upload()
   * returns once `host` may change again and download() once `host` holds
   * the data; both are ordered after the work launched before them. */
  dc_status_t (*allocate)(void* state, uint32_t device, uint64_t bytes, void** memory, dc_message_t* message);
  void (*release)(void* state, uint32_t device, void* memory);
  dc_status_t (*upload)(void* state, uint32_t device, void* memory, const void* host, uint64_t bytes,
                        dc_message_t* message);
  dc_status_t (*download)(void* state, uint32_t device, void* memory, void* host, uint64_t bytes,
                          dc_message_t* message);
  /* Queues a launch. An error return means it was not queued (and complete()
   * will not be called). */
  dc_status_t (*launch)(void* state, uint32_t device, const dc_launch_t* launch, dc_message_t* message);
  /* Returns once everything launched on `device` so far has completed. */
  dc_status_t (*synchronize)(void* state, uint32_t device, dc_message_t* message);
  /* Appended: DC_BACKEND_* flags (a table too short to hold it has none). */
  uint32_t features;
  /* Appended (may be NULL): parts of the backend that enumeration left out,
   * such as a driver platform that failed, each with its reason (shown by
   * `dotcompute devices --verbose`). Called after device_count(). */
  uint32_t (*skipped_count)(void* state);
  void (*skipped_reason)(void* state, uint32_t index, dc_message_t* reason);
  /* Appended (both NULL, or both set): page-locks a block of host memory
   * (2 MiB or more, from the runtime's host pool) so that upload() and
   * download() can move it by DMA; unpin_host() undoes it before the block
   * is unmapped. Called from any thread, after device_count() found a device.
   * The first backend started in a process that has them pins for the whole
   * process, and its plugin stays loaded as long as the process runs. A
   * failure leaves the block pageable. */
  dc_status_t (*pin_host)(void* state, void* host, uint64_t bytes, dc_message_t* message);
  void (*unpin_host)(void* state, void* host);
  /* Appended (may be NULL): a wait for work launched on `device` begins
   * (`begins` 1) or ends (0): a thread waiting, or a continuation pending.
   * For a backend that may hold completions back: one that, while more of
   * its work follows in the driver, leaves the completions it has observed to
   * be reported from the next launch() (on the launching thread) or with the
   * next ones it observes, rather than from its own callback thread. When a
   * wait begins it reports what it holds at once, on the calling thread, and
   * it holds nothing back until every wait has ended. Called from any thread
   * (an end may come from another thread than its begin, never before it). */
  void (*waiting)(void* state, uint32_t device, int32_t begins);
} dc_backend_t;

/** The backend copies writable host spans back itself (dc_launch_t::write_backs),
 * so that a launch with one returns at once. Without it, the runtime's
 * launch() waits for the kernel and then calls download(). */
#define DC_BACKEND_WRITES_BACK 1u

/* --- backend selectors -------------------------------------------------- */

typedef struct dc_candidate_t {
  const char* id;      /* "cpu:0" */
  const char* backend; /* "cpu" */
  const char* name;
  int32_t type; /* DC_DEVICE_* */
  uint32_t compute_units;
  uint64_t global_memory_bytes;
} dc_candidate_t;

typedef struct dc_selection_request_t {
  uint32_t struct_size;
  const char* kernel;
  uint64_t global[3];
  uint32_t candidate_count; /* >= 1; every candidate can run the kernel */
  const dc_candidate_t* candidates;
} dc_selection_request_t;

/** Chooses the device of each execution that names none, when the runtime is
 * told to use it by name (RuntimeOptions::backend_selector, DOTCOMPUTE_SELECTOR). */
typedef struct dc_selector_t {
  uint32_t struct_size;
  const char* name;
  /* Sets *chosen to a candidate index and writes why into `reason`. */
  dc_status_t (*select)(void* state, const dc_selection_request_t* request, uint32_t* chosen, dc_message_t* reason);
} dc_selector_t;

/* --- memory managers ---------------------------------------------------- */

typedef struct dc_pool_report_t {
  const char* pool;    /* pool name */
  const char* devices; /* ids of the devices using it: "cpu:0" or "host" */
  uint64_t allocations;
  uint64_t bytes_in_use;
  uint64_t bytes_cached;
  uint64_t peak_bytes_held;
} dc_pool_report_t;

/** A memory policy, used when named (RuntimeOptions::memory_manager,
 * DOTCOMPUTE_MEMORY_MANAGER): every `interval_ms` the runtime shows it every
 * pool and trims the pools it marks. */
typedef struct dc_memory_manager_t {
  uint32_t struct_size;
  const char* name;
  uint32_t interval_ms; /* >= 1 */
  /* Sets trim[i] to 1 for each pool i to trim now (trim has `count` zeroed entries). */
  void (*review)(void* state, const dc_pool_report_t* pools, uint32_t count, uint8_t* trim);
} dc_memory_manager_t;

/* --- telemetry sinks ---------------------------------------------------- */

#define DC_EXECUTION_SUCCEEDED 0
#define DC_EXECUTION_FAILED 1
#define DC_EXECUTION_CANCELLED 2

typedef struct dc_execution_record_t {
  uint32_t struct_size;
  const char* kernel;
  const char* device;
  const char* selection_reason;
  int32_t status; /* DC_EXECUTION_* */
  uint64_t queued_ns;
  uint64_t transfer_ns;
  uint64_t compute_ns;
  uint64_t total_ns;
} dc_execution_record_t;

/** Receives every finished execution, on the thread that finished it: keep it short. */
typedef struct dc_telemetry_sink_t {
  uint32_t struct_size;
  const char* name;
  void (*execution_finished)(void* state, const dc_execution_record_t* record);
} dc_telemetry_sink_t;

/* --- the plugin --------------------------------------------------------- */

typedef struct dc_plugin_t {
  uint32_t abi_version; /* DC_PLUGIN_ABI_VERSION the plugin was built with */
  uint32_t struct_size; /* sizeof(dc_plugin_t) as the plugin saw it */
  const char* name;     /* [a-z0-9_]+, unique among the loaded plugins */
  const char* version;  /* free text, shown by `dotcompute plugins` */
  const char* description;
  /* Called once per load. Sets *state (may be NULL) and returns
   * DC_STATUS_OK, or fails with a message: the plugin is then skipped. */
  dc_status_t (*init)(const dc_host_t* host, void** state, dc_message_t* message);
  /* Called once, after everything obtained from the plugin has been released. */
  void (*shutdown)(void* state);
  /* Contributions (any count may be 0). */
  uint32_t backend_count;
  const dc_backend_t* backends;
  uint32_t selector_count;
  const dc_selector_t* selectors;
  uint32_t memory_manager_count;
  const dc_memory_manager_t* memory_managers;
  uint32_t telemetry_sink_count;
  const dc_telemetry_sink_t* telemetry_sinks;
  uint32_t kernel_source_count;
  const dc_kernel_source_t* kernel_sources;
} dc_plugin_t;

typedef const dc_plugin_t* (*dc_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* DOTCOMPUTE_PLUGIN_ABI_H */
