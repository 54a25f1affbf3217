#pragma once
// FileStore's configuration checks: the directory, the cookie name used as a file name prefix,
// the cookie age of the last_write mode, and a directory other users may write to. Each failure is
// a ConfigurationError from FileStore's constructor, so that nothing fails later at a request.

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../../log.hpp"
#include "../../session_key.hpp"
#include "file_io.hpp"

namespace sessions::detail::file_store {

/// `dir` normalised, without a trailing '/'. It must be absolute (a relative one would depend on
/// the working directory of whoever constructs the store) and name an existing directory.
[[nodiscard]] inline std::filesystem::path checked_directory(const std::filesystem::path& dir) {
  if (dir.empty()) {
    throw ConfigurationError("FileStore: no session directory given (Options::directory); "
                             "options_from_settings() uses the system temporary directory when "
                             "SESSION_FILE_PATH is empty");
  }
  if (!dir.is_absolute()) {
    throw ConfigurationError("FileStore: the session directory " + dir.string() + " is not an absolute path");
  }
  std::filesystem::path absolute = dir.lexically_normal();
  if (absolute.has_relative_path() && !absolute.has_filename()) absolute = absolute.parent_path();  // no trailing '/'
  struct stat st {};
  if (::stat(absolute.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw ConfigurationError("FileStore: the session storage path " + absolute.string() +
                               " doesn't exist. Set SESSION_FILE_PATH (Settings::file_path) to an existing "
                               "directory in which session data can be stored.");
    }
    throw ConfigurationError("FileStore: cannot use the session storage path " + absolute.string() + ": " +
                             errno_text(err));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw ConfigurationError("FileStore: the session storage path " + absolute.string() + " is not a directory");
  }
  return absolute;
}

/// Django's SESSION_FILE_PATH: the system temporary directory when empty.
[[nodiscard]] inline std::filesystem::path directory_or_temp(const std::filesystem::path& dir) {
  if (!dir.empty()) return dir;
  std::error_code ec;
  std::filesystem::path temp = std::filesystem::temp_directory_path(ec);
  if (ec) throw ConfigurationError("FileStore: no usable system temporary directory: " + ec.message());
  return temp;
}

/// The cookie name prefixes every file name: it must not be empty, only dots, or contain '/' or
/// NUL, and leave room for a key and a temporary suffix within NAME_MAX.
inline void check_cookie_name(const std::string& name) {
  const bool all_dots = name.find_first_not_of('.') == std::string::npos;
  if (name.empty() || all_dots || name.find('/') != std::string::npos || name.find('\0') != std::string::npos) {
    throw ConfigurationError("FileStore: the cookie name \"" + std::string(name.c_str()) +
                             "\" cannot prefix a file name (empty, only dots, or contains '/' or NUL)");
  }
  if (name.size() + kMaxSessionKeyLength + kTempSuffixLength > kNameMax) {
    throw ConfigurationError("FileStore: the cookie name is too long to prefix a file name (" +
                             std::to_string(name.size()) + " characters)");
  }
}

/// The last_write mode's cookie age as a duration: positive, and small enough that mtime + age
/// stays far inside TimePoint's range.
[[nodiscard]] inline TimePoint::duration checked_cookie_age(std::chrono::seconds age) {
  constexpr auto kMaxAge = std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()) / 2;
  if (age <= std::chrono::seconds::zero() || age > kMaxAge) {
    throw ConfigurationError("FileStore: with MtimeMeaning::last_write the cookie age must be positive and "
                             "representable (got " + std::to_string(age.count()) + " s)");
  }
  return std::chrono::duration_cast<TimePoint::duration>(age);
}

/// Anyone may rename or delete files in a world-writable directory without the sticky bit:
/// refused. With the sticky bit (/tmp, Django's default) files are safe but any local user can
/// open the lock file and make operations that need it time out: allowed, with a warning.
inline void check_directory_mode(const std::string& dir, const Logger& logger) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IWOTH) == 0) return;
  if ((st.st_mode & S_ISVTX) == 0) {
    throw ConfigurationError("FileStore: the session directory " + dir +
                             " is world-writable without the sticky bit: any local user could replace "
                             "or delete sessions. Use a private directory (mode 0700).");
  }
  logger(LogLevel::warning, kLogCategory,
         "FileStore: the session directory " + dir +
             " is shared with every local user (world-writable): they cannot read or forge sessions, "
             "but can hold its lock file so that create over an expired file, update_if and "
             "clear_expired fail after Options::lock_timeout. Use a private directory (mode 0700).");
}

}  // namespace sessions::detail::file_store
