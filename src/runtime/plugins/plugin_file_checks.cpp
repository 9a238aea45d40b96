#include "plugin_file_checks.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dotcompute::runtime {

namespace {

std::string ownership_refusal(const struct stat& status, const std::string& what) {
  if (status.st_uid != 0 && status.st_uid != geteuid()) {
    return what + " is owned by user " + std::to_string(status.st_uid) + ", neither this process's user (" +
           std::to_string(geteuid()) + ") nor root";
  }
  if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return what + " is writable by " + ((status.st_mode & S_IWOTH) != 0 ? "others" : "its group") + " (mode " + [&] {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
      return std::string(mode);
    }() + ")";
  }
  return {};
}

}  // namespace

std::string plugin_file_refusal(const std::filesystem::path& file) {
  struct stat status {};
  if (stat(file.c_str(), &status) != 0) return "cannot inspect the file: " + std::string(std::strerror(errno));
  if (!S_ISREG(status.st_mode)) return "not a regular file";
  if (std::string why = ownership_refusal(status, "the file"); !why.empty()) return why;
  const std::filesystem::path folder = file.parent_path().empty() ? "." : file.parent_path();
  if (stat(folder.c_str(), &status) != 0) {
    return "cannot inspect its folder " + folder.string() + ": " + std::strerror(errno);
  }
  return ownership_refusal(status, "its folder " + folder.string());
}

}  // namespace dotcompute::runtime
