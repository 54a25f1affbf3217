#pragma once
// FileStore: Django's file backend (django.contrib.sessions.backends.file), hardened. Linux/POSIX.
//
// One file per session, `<directory>/<cookie_name><key>`, holding exactly the payload; its mtime
// encodes the expiry (Options::mtime_meaning: the expiry itself, or Django's last write + cookie
// age for a directory shared with Django). Every write goes to a temporary file in the directory
// and is published atomically (link() for create, renameat2(RENAME_EXCHANGE) for update, so a
// session removed meanwhile is never brought back). Nothing is opened through a symlink, files of
// other users are no sessions, oversized files are corrupted ones. Replacing or removing an
// existing entry holds an flock on `<cookie_name>.lock`, taken with a deadline
// (Options::lock_timeout, StorageTimeout). One instance serves every thread. The reasoning behind
// each of these choices, and what sharing a directory with Django implies, is in
// docs/file-store.md.
//
//   sessions::FileStore store("file:///var/lib/app/sessions?mtime_meaning=last_write");
//   sessions::FileStore from_django{sessions::FileStore::options_from_settings(settings)};
//
// The per-user index (user_index.hpp) lives in `<cookie_name>.user_index/` beside the files
// (detail/file_user_index.hpp), under a lock of its own; remove() and clear_expired() delete the
// entries of the files they delete once the index directory exists.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>  // mkostemp
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../clock.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../record.hpp"
#include "../session_key.hpp"
#include "../settings.hpp"
#include "../user_index.hpp"
#include "detail/file_io.hpp"
#include "detail/file_ops.hpp"
#include "detail/file_user_index.hpp"
#include "detail/store_options.hpp"
#include "url.hpp"

namespace sessions {

/// Django's file backend, hardened; see the comment at the top of this header.
class FileStore : private detail::file_store::FileOps<FileStore> {
  friend class detail::file_store::FileOps<FileStore>;

 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "FileStore";
  using payload_type = std::string;

  /// What a session file's modification time stands for; see the header comment.
  enum class MtimeMeaning {
    /// The mtime is the expiry instant. For a directory no Django process uses.
    expiry,
    /// Django's convention: the mtime is the last write, the expiry is mtime + cookie_age. For a
    /// directory shared with Django's file backend.
    last_write,
  };

  /// SESSION_COOKIE_AGE's default in Django (two weeks).
  static constexpr std::chrono::seconds kDjangoCookieAge{1'209'600};

  struct Options {
    /// The directory the session files live in: an existing directory, as an absolute path
    /// (ConfigurationError otherwise). options_from_settings() takes Django's SESSION_FILE_PATH.
    std::filesystem::path directory;
    /// The file name prefix: Django's SESSION_COOKIE_NAME (files are `<cookie_name><key>`).
    std::string cookie_name = "sessionid";
    /// A session file bigger than this is treated as corrupted (load logs a warning and returns
    /// nullopt), and create/update of a bigger payload throws LimitExceeded. Must not be 0.
    std::size_t max_file_bytes = std::size_t{1} << 20;
    /// fsync the file before publishing it and the directory after create/update/remove (and the
    /// file after touch). Off by default, as in Django.
    bool durable = false;
    /// A session file not owned by this process's effective user is not a session (it may have been
    /// planted in a shared directory): load/exists/update/touch see it as absent and create may
    /// replace it. clear_expired() removes expired files whoever owns them (as far as the directory
    /// allows).
    bool require_same_owner = true;
    /// clear_expired() deletes temporary files (crash leftovers) whose change time is at least this
    /// old, measured on the system clock (file change times cannot come from an injected clock).
    /// Must not be negative.
    std::chrono::seconds stale_temp_age{3600};
    /// Use renameat2(RENAME_EXCHANGE) for update(). false forces the check-then-rename() fallback
    /// (for tests, or for a file system that misreports its support).
    bool use_rename_exchange = true;
    /// How the mtime encodes the expiry. `expiry` by default; `last_write` when the directory is
    /// shared with Django.
    MtimeMeaning mtime_meaning = MtimeMeaning::expiry;
    /// last_write only: the session lifetime counted from the mtime, which must be the Django
    /// side's SESSION_COOKIE_AGE (options_from_settings() takes Settings::cookie_age). Must be
    /// positive in last_write mode (ConfigurationError otherwise); ignored in expiry mode.
    std::chrono::seconds cookie_age = kDjangoCookieAge;
    /// Longest wait for the directory lock (held by another process, or by a local user who opened
    /// the lock file to stall the store); StorageTimeout then. Must be positive.
    std::chrono::milliseconds lock_timeout{5000};
    Clock clock{};
    Logger logger{};
  };

  /// Options from a URL: `file:///absolute/dir` or `file:/absolute/dir`; `file://relative/dir`
  /// and `file:relative/dir` are made absolute against the working directory now. Parameters:
  /// cookie_name, max_file_bytes, durable, require_same_owner, stale_temp_age (s),
  /// rename_exchange, mtime_meaning (expiry|last_write), cookie_age (s), lock_timeout (ms).
  /// Anything else is a ConfigurationError.
  [[nodiscard]] static Options options_from_url(std::string_view text) { return options_from_url(text, Options{}); }
  [[nodiscard]] static Options options_from_url(std::string_view text, Options base) {
    Url url = detail::parse_store_url("FileStore", text, {"file"});
    Options options = std::move(base);
    options.directory = std::filesystem::absolute(std::filesystem::path(detail::url_local_path("FileStore", url)));
    if (auto v = url.take("cookie_name")) options.cookie_name = *v;
    if (auto v = url.take_integer("max_file_bytes", 1, std::int64_t{1} << 40)) {
      options.max_file_bytes = static_cast<std::size_t>(*v);
    }
    if (auto v = url.take_bool("durable")) options.durable = *v;
    if (auto v = url.take_bool("require_same_owner")) options.require_same_owner = *v;
    if (auto v = url.take_integer("stale_temp_age", 0, kMaxUrlSeconds))
      options.stale_temp_age = std::chrono::seconds{*v};
    if (auto v = url.take_bool("rename_exchange")) options.use_rename_exchange = *v;
    if (auto v = url.take_integer("cookie_age", 1, kMaxUrlSeconds)) options.cookie_age = std::chrono::seconds{*v};
    if (auto v = url.take_milliseconds("lock_timeout")) options.lock_timeout = *v;
    if (auto v = url.take("mtime_meaning")) {
      if (*v == "expiry") {
        options.mtime_meaning = MtimeMeaning::expiry;
      } else if (*v == "last_write") {
        options.mtime_meaning = MtimeMeaning::last_write;
      } else {
        throw ConfigurationError("FileStore: mtime_meaning must be expiry or last_write, not '" + *v + "'");
      }
    }
    url.reject_unknown_parameters();
    return options;
  }

  /// Options from Django's settings, on top of `base`: SESSION_FILE_PATH (the system temporary
  /// directory when empty), SESSION_COOKIE_NAME as the file name prefix, SESSION_COOKIE_AGE (for
  /// MtimeMeaning::last_write), the clock and the logger. Everything is copied, so `settings` may
  /// be a temporary.
  [[nodiscard]] static Options options_from_settings(const Settings& settings) {
    return options_from_settings(settings, Options{});
  }
  [[nodiscard]] static Options options_from_settings(const Settings& settings, Options base) {
    Options options = std::move(base);
    options.directory = detail::file_store::directory_or_temp(settings.file_path);
    options.cookie_name = settings.cookie_name;
    options.cookie_age = settings.cookie_age;
    options.clock = settings.clock;
    options.logger = settings.logger;
    return options;
  }

  /// Throws ConfigurationError when the directory is missing, relative or not a directory, when
  /// the cookie name cannot be a file name prefix, when max_file_bytes is 0, a timeout or age is
  /// not positive, or the cookie age is beyond TimePoint's range in last_write mode.
  explicit FileStore(Options options) : options_(std::move(options)) {
    detail::file_store::check_cookie_name(options_.cookie_name);
    if (options_.mtime_meaning == MtimeMeaning::last_write) {
      age_ = detail::file_store::checked_cookie_age(options_.cookie_age);
    }
    detail::require_positive("FileStore", "lock_timeout", options_.lock_timeout);
    detail::require_at_least_one("FileStore", "max_file_bytes", options_.max_file_bytes);
    if (options_.stale_temp_age < std::chrono::seconds::zero()) {
      throw ConfigurationError("FileStore: stale_temp_age must not be negative");
    }
    options_.directory = detail::file_store::checked_directory(options_.directory);
    dir_string_ = options_.directory.string();
    lock_path_ = dir_string_ + "/" + options_.cookie_name + ".lock";
    index_ =
        std::make_shared<detail::file_store::FileUserIndex>(dir_string_, options_.cookie_name, options_.lock_timeout);
    detail::file_store::check_directory_mode(dir_string_, options_.logger);
  }

  /// FileStore(options_from_url(url)) with the given clock and logger.
  explicit FileStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : FileStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}

  /// The directory the files live in (absolute).
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return options_.directory; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }
  /// The expiry instant that the file time `mtime` stands for (Options::mtime_meaning).
  [[nodiscard]] TimePoint expiry_from_mtime(TimePoint mtime) const noexcept {
    if (options_.mtime_meaning == MtimeMeaning::expiry) return mtime;
    return mtime > TimePoint::max() - age_ ? TimePoint::max() : mtime + age_;
  }
  /// The file time that stands for the expiry instant `expires_at` (the inverse of
  /// expiry_from_mtime, saturated at the ends of TimePoint's range).
  [[nodiscard]] TimePoint mtime_for_expiry(TimePoint expires_at) const noexcept {
    if (options_.mtime_meaning == MtimeMeaning::expiry) return expires_at;
    return expires_at < TimePoint::min() + age_ ? TimePoint::min() : expires_at - age_;
  }

  /// The file that holds the session `key`: `<directory>/<cookie_name><key>`. Throws
  /// InvalidSessionKey unless is_valid_session_key(key), so nothing but [a-z0-9]{8,40} ever
  /// reaches a path (no `/`, `\`, `..`, NUL, upper case, or overlong name).
  [[nodiscard]] std::filesystem::path path_for(std::string_view key) const {
    if (!is_valid_session_key(key)) {
      throw InvalidSessionKey("FileStore: invalid session key (" + std::to_string(key.size()) +
                              " characters); a key is 8 to 40 characters of [a-z0-9]");
    }
    return std::filesystem::path(file_path(key));
  }

  /// The live record under `key`: nullopt when absent, expired (the file is then removed),
  /// not a regular file of ours, or larger than max_file_bytes. Throws StorageError on I/O errors.
  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) const {
    if (!is_valid_session_key(key)) return std::nullopt;
    const std::string path = file_path(key);
    struct stat st {};
    detail::file_store::Fd fd = open_session("load", key, path, st, Noticed::warn);
    if (fd.get() < 0) return std::nullopt;
    const TimePoint now = options_.clock.now();
    const TimePoint expires_at = expiry_of(st);
    if (expires_at <= now) {
      fd.reset();
      remove_if_unchanged(key, path, st, now);
      return std::nullopt;
    }
    const auto size = static_cast<std::size_t>(st.st_size < 0 ? 0 : st.st_size);
    if (size > options_.max_file_bytes) {
      warn_oversized(key);
      return std::nullopt;
    }
    std::string bytes;
    if (!read_bounded(fd.get(), size, key, bytes)) {
      warn_oversized(key);
      return std::nullopt;
    }
    return Record<std::string>{std::move(bytes), expires_at};
  }

  /// Stores `payload` under `key` unless a live session is there (then false, nothing changed).
  /// An expired file, or anything that is not a session of ours, is replaced.
  [[nodiscard]] bool create(std::string_view key, std::string_view payload, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    check_size("create", key, payload);
    const std::string target = file_path(key);
    detail::file_store::ScratchFile temp = write_temp("create", key, payload, expires_at);
    constexpr int kAttempts = 3;
    std::optional<detail::file_store::DirectoryLock> lock;
    for (int attempt = 1;; ++attempt) {
      bool consumed = false;
      const int err = detail::file_store::publish_noreplace(temp.path(), target, consumed);
      if (consumed) temp.release();
      if (err == 0) {
        sync_directory("create", key);
        return true;
      }
      if (err != EEXIST) fail("create", key, "cannot publish the session file", err);
      if (attempt == kAttempts) return false;
      // Replacing a dead entry: under the directory lock, check, move away and publish happen as
      // one step with respect to every other replacement and removal.
      if (!lock) lock.emplace(lock_path_, options_.lock_timeout, locked("create", key));
      if (!clear_dead_entry(key, target)) return false;
    }
  }

  /// Replaces the payload and expiry of the live session `key`; false (nothing written) when
  /// there is none: absent, expired, removed meanwhile, or not a regular file of ours.
  [[nodiscard]] bool update(std::string_view key, std::string_view payload, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    check_size("update", key, payload);
    const std::string target = file_path(key);
    if (!is_live(target, "update", key)) return false;  // no temp file for a session that is gone
    detail::file_store::ScratchFile temp = write_temp("update", key, payload, expires_at);
    if (!is_live(target, "update", key)) return false;  // shrinks the window to the swap itself
    return swap_in("update", key, temp, target);
  }

  /// Compare-and-set (lost-update protection): replaces the live session `key` only if its file
  /// still holds exactly `expected`. Under the directory lock, so that compare-and-sets (of any
  /// process sharing the directory) never interleave; the swap itself is update()'s
  /// RENAME_EXCHANGE, which fails when a concurrent remove() (logout) took the file away: missing,
  /// never resurrected. A plain update() or touch() does not take the lock: a touch in between
  /// only loses its expiry to ours, and lost-update protection assumes every writer of a session
  /// uses update_if.
  [[nodiscard]] CasResult update_if(std::string_view key, std::string_view payload, TimePoint expires_at,
                                    std::string_view expected) const {
    if (!is_valid_session_key(key)) return CasResult::missing;
    check_size("update_if", key, payload);
    const std::string target = file_path(key);
    const detail::file_store::DirectoryLock lock(lock_path_, options_.lock_timeout, locked("update_if", key));
    struct stat st {};
    detail::file_store::Fd fd = open_session("update_if", key, target, st, Noticed::quietly);
    if (fd.get() < 0 || !live(st, options_.clock.now())) return CasResult::missing;
    const auto size = static_cast<std::size_t>(st.st_size < 0 ? 0 : st.st_size);
    if (size != expected.size()) return CasResult::conflict;
    std::string current;
    if (!read_bounded(fd.get(), size, key, current) || current != expected) return CasResult::conflict;
    fd.reset();
    detail::file_store::ScratchFile temp = write_temp("update_if", key, payload, expires_at);
    return swap_in("update_if", key, temp, target) ? CasResult::written : CasResult::missing;
  }

  /// Moves the expiry of the live session `key` to `expires_at`; false when there is none.
  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    const std::string path = file_path(key);
    // Through a descriptor, so the file checked is the file stamped.
    struct stat st {};
    detail::file_store::Fd fd = open_session("touch", key, path, st, Noticed::quietly);
    if (fd.get() < 0 || !live(st, options_.clock.now())) return false;
    const timespec times[2] = {detail::file_store::omit_time(),
                               detail::file_store::to_timespec(mtime_for_expiry(expires_at))};
    if (::futimens(fd.get(), times) != 0) fail("touch", key, "cannot set the expiry", errno);
    if (options_.durable && ::fsync(fd.get()) != 0) fail("touch", key, "cannot sync the session file", errno);
    return true;
  }

  /// Deletes the file of `key` if there is one (Django's delete(key)).
  void remove(std::string_view key) const {
    if (!is_valid_session_key(key)) return;
    const std::string path = file_path(key);
    if (::unlink(path.c_str()) != 0) {
      const int err = errno;
      if (err == ENOENT) return;
      fail("remove", key, "cannot delete the session file", err);
    }
    sync_directory("remove", key);
    if (index_in_use()) (void)index_->take(key);
  }

  /// A live (unexpired) session file of ours exists under `key`.
  [[nodiscard]] bool exists(std::string_view key) const {
    if (!is_valid_session_key(key)) return false;
    return is_live(file_path(key), "exists", key);
  }

  /// Deletes every expired session file (a name `<cookie_name><valid key>` whose expiry, i.e. its
  /// mtime, or mtime + cookie_age in last_write mode, is at or before now) and returns how many
  /// were deleted. In last_write mode, a per-session `_session_expiry` is not applied (the store
  /// cannot decode payloads): a file Django wrote goes cookie_age after its last write, whatever
  /// set_expiry() said (see the header comment). It also deletes temporary files older than
  /// Options::stale_temp_age. Anything else in the directory is left alone, and so are symlinks
  /// and other non-regular files. Entries that cannot be deleted are logged and skipped.
  std::size_t clear_expired() const { return clear_expired_files(); }

  // --- the per-user index (UserIndexStorage, user_index.hpp) -------------------------------------

  IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                             const UserSessionLimit& limit) const {
    if (!is_valid_session_key(key)) return {};
    return index_->index(
        user, key, details, limit, options_.clock.now(), [this](std::string_view k) { return exists(k); },
        [this](std::string_view k) { remove_file(k); });
  }

  void unindex_session(std::string_view user, std::string_view key) const { index_->unindex(user, key); }

  /// The user's live sessions, oldest first.
  std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) const {
    return index_->list(user, now, [this](std::string_view k) { return exists(k); });
  }

  /// Removes at most `batch` expired session files (each re-checked under the directory lock, as
  /// clear_expired() does) with their entries, then entries whose file went without them.
  std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) const {
    return purge_expired_files(batch, now);
  }

  /// Calls fn(key, payload, expires_at) for each live session file.
  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) const {
    std::vector<std::string> keys;
    const int err = detail::file_store::for_each_entry(dir_string_, [&](std::string_view name) {
      if (name.starts_with(options_.cookie_name) && is_valid_session_key(name.substr(options_.cookie_name.size())))
        keys.emplace_back(name.substr(options_.cookie_name.size()));
    });
    if (err != 0) fail("for_each_session", {}, "cannot list the directory", err);
    for (const std::string& key : keys) {
      if (auto record = load(key)) fn(key, record->payload, record->expires_at);
    }
  }

  /// Index entries held (expired ones not yet purged included): for tests of the index's growth.
  [[nodiscard]] std::size_t user_index_size() const { return index_->size(); }

 private:
  // The index directory exists (seen once, it is not looked for again).
  [[nodiscard]] bool index_in_use() const { return index_->in_use(); }

  // The session file only (an eviction: the index entry is the caller's).
  void remove_file(std::string_view key) const {
    if (::unlink(file_path(key).c_str()) != 0 && errno != ENOENT)
      fail("remove", key, "cannot delete the session file", errno);
  }

  // Longest age or timeout in seconds a URL may give (a century).
  static constexpr std::int64_t kMaxUrlSeconds = 100LL * 365 * 24 * 3600;

  Options options_;
  TimePoint::duration age_{};  // options_.cookie_age in last_write mode, else zero
  std::string dir_string_;
  std::string lock_path_;  // <dir>/<cookie_name>.lock: never a session or temporary name
  // Shared: a copy of the store is the same store (as its directory is).
  std::shared_ptr<detail::file_store::FileUserIndex> index_;
};

}  // namespace sessions
