// What a plugin file must satisfy before it is opened: who may have written it.
#pragma once

#include <filesystem>
#include <string>

namespace dotcompute::runtime {

/// Why `file` must not be loaded, or "" when it may: it must be a regular
/// file, and it and the folder holding it must be owned by this process's
/// user or root and writable by neither group nor others (anyone else could
/// otherwise put code into this process).
[[nodiscard]] std::string plugin_file_refusal(const std::filesystem::path& file);

}  // namespace dotcompute::runtime
