#pragma once
// Helpers shared by the FileStore tests: a fresh temporary directory per test, directory listings,
// raw file access that bypasses the store, and a logger that records what it is told.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "sessions/clock.hpp"
#include "sessions/log.hpp"
#include "sessions/storage/file.hpp"

namespace file_store_test {

namespace fs = std::filesystem;
using sessions::TimePoint;
using namespace std::chrono_literals;

inline constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz012345";
inline constexpr std::string_view kKey2 = "0123456789abcdefghijklmnopqrstuv";
inline constexpr std::string_view kKey3 = "k3k3k3k3k3k3k3k3k3k3k3k3k3k3k3k3";

/// A directory made with mkdtemp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sessions-file-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }
  [[nodiscard]] fs::path operator/(std::string_view name) const { return path_ / fs::path(name); }

 private:
  fs::path path_;
};

/// The names in `dir`, sorted, without "." and "..".
inline std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Everything under `root` (recursively, symlinks not followed): relative name, type, size, mtime.
using Snapshot = std::vector<std::tuple<std::string, unsigned, long long, long long, long>>;
inline Snapshot snapshot(const fs::path& root) {
  Snapshot out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0) throw std::runtime_error("lstat failed");
    out.emplace_back(fs::relative(entry.path(), root).string(), static_cast<unsigned>(st.st_mode),
                     static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void spit(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

/// Sets the mtime of `path` (not following a symlink) to `t`.
inline void set_mtime(const fs::path& path, TimePoint t) {
  timespec times[2] = {};
  times[0].tv_nsec = UTIME_OMIT;
  times[1] = sessions::detail::file_store::to_timespec(t);
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    throw std::runtime_error("utimensat failed");
}

inline TimePoint mtime(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("lstat failed");
  return sessions::detail::file_store::mtime_of(st);
}

inline bool is_link_at(const fs::path& path) { return fs::is_symlink(fs::symlink_status(path)); }

/// Records every log line; thread-safe.
class LogCapture {
 public:
  [[nodiscard]] sessions::Logger logger() noexcept { return sessions::Logger(&LogCapture::sink, this); }

  [[nodiscard]] std::size_t count(sessions::LogLevel level) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(), [level](const auto& e) { return e.first == level; }));
  }
  [[nodiscard]] bool contains(std::string_view text) const {
    std::lock_guard lock(mutex_);
    return std::any_of(entries_.begin(), entries_.end(),
                       [text](const auto& e) { return e.second.find(text) != std::string::npos; });
  }
  [[nodiscard]] std::vector<std::string> messages() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.second);
    return out;
  }

 private:
  static void sink(void* context, sessions::LogLevel level, std::string_view, std::string_view message) {
    auto* self = static_cast<LogCapture*>(context);
    std::lock_guard lock(self->mutex_);
    self->entries_.emplace_back(level, std::string(message));
  }

  mutable std::mutex mutex_;
  std::vector<std::pair<sessions::LogLevel, std::string>> entries_;
};

/// A store over a fresh directory, a manual clock and a capturing logger.
struct Fixture {
  TempDir dir;
  sessions::ManualClock clock;
  LogCapture log;

  [[nodiscard]] sessions::FileStore store(sessions::FileStore::Options options = {}) {
    options.directory = dir.path();
    options.clock = sessions::Clock(clock);
    options.logger = log.logger();
    return sessions::FileStore(std::move(options));
  }
  [[nodiscard]] TimePoint now() const noexcept { return clock.now(); }
  [[nodiscard]] fs::path file(std::string_view key) const { return dir / ("sessionid" + std::string(key)); }
  /// The directory's entries, without the store's lock file (`sessionid.lock`, created on the
  /// rare paths that replace or remove an entry).
  [[nodiscard]] std::vector<std::string> listing() const {
    std::vector<std::string> names = list_dir(dir.path());
    std::erase(names, std::string("sessionid.lock"));
    return names;
  }
};

inline std::string name_of(std::string_view key) { return "sessionid" + std::string(key); }

}  // namespace file_store_test
