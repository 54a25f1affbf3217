#pragma once
// Per-store test fixtures: each owns a manual clock, settings that use it, a captured log and a
// store, so one shared behaviour suite runs unchanged against every store.

#include <sessions/sessions.hpp>

#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../../examples/custom_store/map_store.hpp"

namespace test_support {

/// The message of the ConfigurationError `construct()` throws; "(no ConfigurationError)" when it
/// throws none. For the stores' one validation of sizes and timeouts.
template <class Construct>
std::string configuration_error(Construct&& construct) {
  try {
    construct();
  } catch (const sessions::ConfigurationError& e) {
    return e.what();
  }
  return "(no ConfigurationError)";
}

/// Collects what the library logs, for assertions.
struct LogCapture {
  struct Line {
    sessions::LogLevel level;
    std::string category;
    std::string message;
  };
  std::mutex mutex;
  std::vector<Line> lines;

  sessions::Logger logger() {
    return sessions::Logger(
        [](void* self, sessions::LogLevel level, std::string_view category, std::string_view message) {
          auto* capture = static_cast<LogCapture*>(self);
          std::lock_guard lock(capture->mutex);
          capture->lines.push_back({level, std::string(category), std::string(message)});
        },
        this);
  }
  bool contains(std::string_view needle) {
    std::lock_guard lock(mutex);
    for (const auto& line : lines) {
      if (line.message.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

/// A fresh directory under the system temp dir, removed with its content at the end of scope.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sessions-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

struct FixtureBase {
  sessions::ManualClock clock;
  LogCapture log;
  sessions::Settings settings;
  FixtureBase() {
    settings.clock = sessions::Clock(clock);
    settings.logger = log.logger();
  }
};

template <class Store>
struct StoreFixture;

template <>
struct StoreFixture<sessions::MemoryStore> : FixtureBase {
  sessions::MemoryStore store{sessions::Clock(clock)};
};

template <>
struct StoreFixture<sessions::MemoryValueStore> : FixtureBase {
  sessions::MemoryValueStore store{sessions::Clock(clock)};
};

template <>
struct StoreFixture<sessions::FileStore> : FixtureBase {
  TempDir dir;
  sessions::FileStore store{sessions::FileStore::options_from_settings(configure(settings, dir))};
  static const sessions::Settings& configure(sessions::Settings& s, const TempDir& d) {
    s.file_path = d.path;
    return s;
  }
};

template <>
struct StoreFixture<sessions::SignedCookieStore> : FixtureBase {
  sessions::SignedCookieStore store{"test secret key, never used in production"};
};

template <>
struct StoreFixture<sessions::EncryptedCookieStore> : FixtureBase {
  sessions::EncryptedCookieStore store{"test secret key, never used in production"};
};

template <>
struct StoreFixture<example::MapStore> : FixtureBase {
  example::MapStore store{sessions::Clock(clock)};
};

}  // namespace test_support
