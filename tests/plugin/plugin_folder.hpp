// A private temporary plugin folder for a test, filled with plugins the suite built.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <dotcompute/dotcompute.hpp>

namespace dotcompute::test {

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

class PluginFolder {
 public:
  PluginFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dotcompute-plugin-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~PluginFolder() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  PluginFolder(const PluginFolder&) = delete;
  PluginFolder& operator=(const PluginFolder&) = delete;

  /// Copies test plugin `name` (built as libtest_plugin_<name>.so) in as `file` (default: its own name).
  std::filesystem::path add(const std::string& name, std::string file = {}) const {
    if (file.empty()) file = "libtest_plugin_" + name + ".so";
    const std::filesystem::path source =
        std::filesystem::path(DOTCOMPUTE_TEST_PLUGINS) / ("libtest_plugin_" + name + ".so");
    const std::filesystem::path target = path_ / file;
    std::filesystem::copy_file(source, target, std::filesystem::copy_options::overwrite_existing);
    ::chmod(target.c_str(), 0755);
    return target;
  }
  /// Replaces `file` with test plugin `name` the way installers do: write aside, then rename.
  void replace(const std::string& file, const std::string& name) const {
    const std::filesystem::path staged = add(name, "." + file + ".new");
    std::filesystem::rename(staged, path_ / file);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// The record of the plugin loaded or skipped from `file`.
inline PluginRecord record_of(Runtime& runtime, const std::filesystem::path& file) {
  for (const auto& record : runtime.services().get_required<PluginManager>()->records()) {
    if (record.path == std::filesystem::weakly_canonical(file).string()) return record;
  }
  ADD_FAILURE() << "no plugin record for " << file;
  return {};
}

}  // namespace dotcompute::test
