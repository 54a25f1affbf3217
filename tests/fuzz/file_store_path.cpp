// Fuzz target: FileStore's key-to-path mapping (storage/file.hpp).
//
// Input: one byte of flags, the cookie name (the file name prefix), then the key.
// Invariants:
//   - the store accepts a cookie name exactly when it can prefix a file name (not empty, not only
//     dots, no '/' or NUL, short enough for NAME_MAX with the longest key and a temporary
//     suffix), and throws ConfigurationError otherwise;
//   - path_for(key) throws InvalidSessionKey unless is_valid_session_key(key); otherwise the path
//     is `<directory>/<cookie name><key>`: a direct child of the store's directory, already in
//     normal form, whose last component is neither "." nor "..";
//   - an invalid key is absent for every operation (load, exists, touch, update, create, remove
//     touch nothing); a valid key in the empty directory is absent too;
//   - the name of a temporary file is never the name of a session (is_temp_name excludes
//     is_valid_session_key).

#include <fuzzer/FuzzedDataProvider.h>

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sessions/errors.hpp>
#include <sessions/session_key.hpp>
#include <sessions/storage/file.hpp>

#include "fuzz_support.hpp"

namespace {

// An empty private directory for the whole run, removed at exit.
const std::filesystem::path& directory() {
  static const std::filesystem::path dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "sessions-fuzz-file-store-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    static std::string to_remove;
    to_remove = templ;
    std::atexit([] { std::filesystem::remove_all(to_remove); });
    return std::filesystem::path(templ);
  }();
  return dir;
}

bool prefix_acceptable(std::string_view prefix) {
  if (prefix.empty() || prefix.find_first_not_of('.') == std::string_view::npos) return false;
  if (prefix.find('/') != std::string_view::npos || prefix.find('\0') != std::string_view::npos) return false;
  return prefix.size() + 40 + 11 <= 255;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  const auto flags = input.ConsumeIntegral<std::uint8_t>();
  const std::string prefix = (flags & 1U) != 0 ? std::string("sessionid") : input.ConsumeRandomLengthString(220);
  const std::string key = input.ConsumeRemainingBytesAsString();

  sessions::FileStore::Options options;
  if ((flags & 2U) != 0) options.mtime_meaning = sessions::FileStore::MtimeMeaning::last_write;
  std::optional<sessions::FileStore> store;
  try {
    options.directory = directory();
    options.cookie_name = prefix;
    store.emplace(options);
  } catch (const sessions::ConfigurationError&) {
    FUZZ_CHECK_MSG(!prefix_acceptable(prefix), sessions_fuzz::shown(prefix));
    return 0;
  }
  FUZZ_CHECK_MSG(prefix_acceptable(prefix), sessions_fuzz::shown(prefix));
  FUZZ_CHECK(store->directory() == directory());

  const bool valid = sessions::is_valid_session_key(key);
  try {
    const std::filesystem::path path = store->path_for(key);
    FUZZ_CHECK_MSG(valid, sessions_fuzz::shown(key));
    FUZZ_CHECK(path.parent_path() == store->directory());
    FUZZ_CHECK(path.filename().string() == prefix + key);
    FUZZ_CHECK(path.filename() != "." && path.filename() != "..");
    FUZZ_CHECK(path.lexically_normal() == path);
    FUZZ_CHECK(path.string().starts_with(store->directory().string() + "/"));
    FUZZ_CHECK(path.filename().string().size() + 11 <= 255);
  } catch (const sessions::InvalidSessionKey&) {
    FUZZ_CHECK_MSG(!valid, sessions_fuzz::shown(key));
  }

  // Nothing is stored in the directory, and an invalid key never gets as far as a path.
  const sessions::TimePoint later = std::chrono::system_clock::now() + std::chrono::hours{1};
  FUZZ_CHECK(!store->load(key).has_value());
  FUZZ_CHECK(!store->exists(key));
  FUZZ_CHECK(!store->touch(key, later));
  FUZZ_CHECK(!store->update(key, "{}", later));
  if (!valid) {
    FUZZ_CHECK(!store->create(key, "{}", later));
    store->remove(key);
  }

  FUZZ_CHECK(!(sessions::detail::file_store::is_temp_name(key) && valid));
  return 0;
}
