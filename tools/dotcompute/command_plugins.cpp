// `dotcompute plugins`: every plugin candidate, loaded or skipped and why.
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "json_writer.hpp"

namespace dotcompute::cli {

namespace {

void write_json(const std::vector<PluginRecord>& records) {
  JsonWriter json;
  json.begin_object();
  json.key("plugins");
  json.begin_array();
  for (const auto& record : records) {
    json.begin_object();
    json.key("path");
    json.value(record.path);
    json.key("loaded");
    json.value(record.loaded);
    json.key("reason");
    json.value(record.reason);
    json.key("name");
    json.value(record.name);
    json.key("version");
    json.value(record.version);
    json.key("description");
    json.value(record.description);
    json.key("sha256");
    json.value(record.sha256);
    json.key("contributions");
    json.begin_array();
    for (const auto& contribution : record.contributions) json.value(contribution);
    json.end_array();
    json.key("generation");
    json.value(record.generation);
    json.key("reload_error");
    json.value(record.reload_error);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  std::cout << json.str();
}

}  // namespace

int command_plugins(const Arguments& arguments) {
  if (!arguments.positional.empty()) throw UsageError("plugins: unexpected argument '" + arguments.positional[0] + "'");
  Runtime runtime = Runtime::create();
  const auto records = runtime.services().get_required<PluginManager>()->records();
  if (arguments.json) {
    write_json(records);
    return 0;
  }
  if (records.empty()) {
    std::printf("no plugins found (search path: DOTCOMPUTE_PLUGIN_PATH, then the installed plugin folder)\n");
    return 0;
  }
  for (const auto& record : records) {
    if (record.loaded) {
      std::printf("loaded   %s %s  %s\n", record.name.c_str(), record.version.c_str(), record.path.c_str());
      if (!record.description.empty()) std::printf("         %s\n", record.description.c_str());
      for (const auto& contribution : record.contributions) std::printf("         + %s\n", contribution.c_str());
      if (!record.sha256.empty()) std::printf("         sha256 %s\n", record.sha256.c_str());
    } else {
      std::printf("skipped  %s\n         %s\n", record.path.c_str(), record.reason.c_str());
    }
  }
  return 0;
}

}  // namespace dotcompute::cli
