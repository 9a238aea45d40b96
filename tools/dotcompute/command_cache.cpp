// `dotcompute cache info|clear`: the on-disk cache of compiled device programs.
#include <cstdio>
#include <iostream>

#include <dotcompute/program_cache.hpp>

#include "cli.hpp"
#include "json_writer.hpp"

namespace dotcompute::cli {

int command_cache(const Arguments& arguments) {
  if (arguments.positional.size() != 1 || (arguments.positional[0] != "info" && arguments.positional[0] != "clear")) {
    throw UsageError(arguments.positional.empty()
                         ? "cache: expected 'info' or 'clear'"
                         : "cache: unknown subcommand '" + arguments.positional[0] + "' (expected 'info' or 'clear')");
  }
  const RuntimeOptions options = RuntimeOptions::from_environment();
  const ProgramCache cache(options.cache_directory.empty() ? ProgramCache::default_directory()
                                                           : std::filesystem::path(options.cache_directory));
  if (arguments.positional[0] == "clear") {
    const std::size_t removed = cache.clear();
    if (arguments.json) {
      JsonWriter json;
      json.begin_object();
      json.key("directory");
      json.value(cache.directory().string());
      json.key("removed");
      json.value(static_cast<std::uint64_t>(removed));
      json.end_object();
      std::cout << json.str();
    } else {
      std::printf("removed %zu entr%s from %s\n", removed, removed == 1 ? "y" : "ies", cache.directory().c_str());
    }
    return 0;
  }
  const ProgramCacheInfo info = cache.info();
  if (arguments.json) {
    JsonWriter json;
    json.begin_object();
    json.key("directory");
    json.value(info.directory.string());
    json.key("entries");
    json.value(static_cast<std::uint64_t>(info.entries));
    json.key("bytes");
    json.value(info.bytes);
    json.key("max_bytes");
    json.value(info.max_bytes);
    json.end_object();
    std::cout << json.str();
  } else {
    std::printf("directory  %s\nentries    %zu\nsize       %s of %s\n", info.directory.c_str(), info.entries,
                format_bytes(static_cast<double>(info.bytes)).c_str(),
                format_bytes(static_cast<double>(info.max_bytes)).c_str());
  }
  return 0;
}

}  // namespace dotcompute::cli
