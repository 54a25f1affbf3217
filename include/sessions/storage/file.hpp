#pragma once
// FileStore: Django's file backend (django.contrib.sessions.backends.file), hardened. Linux/POSIX.
//
// One file per session, `<directory>/<cookie_name><key>`, holding exactly the payload; its mtime
// encodes the expiry (Options::mtime_meaning: the expiry itself, or Django's last write + cookie
// age for a directory shared with Django). Every write goes to a temporary file in the directory
// and is published atomically (link() for create, renameat2(RENAME_EXCHANGE) for update, so a
// session removed meanwhile is never brought back). Nothing is opened through a symlink, files of
// other users are no sessions, oversized files are corrupted ones. Replacing or removing an
// existing entry holds an flock on `<cookie_name>.lock`, taken with a deadline (Options::timeout,
// StorageTimeout). One instance serves every thread. The reasoning behind each of these choices,
// and what sharing a directory with Django implies, is in docs/file-store.md.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>  // renameat2, RENAME_EXCHANGE, RENAME_NOREPLACE (glibc 2.28+)
#include <cstdlib>  // mkostemp
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../clock.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../record.hpp"
#include "../session_key.hpp"
#include "../settings.hpp"
#include "detail/file_io.hpp"

namespace sessions {

/// Django's file backend, hardened; see the comment at the top of this header.
class FileStore {
 public:
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
    /// A session file bigger than this is treated as corrupted (load logs a warning and returns
    /// nullopt), and create/update of a bigger payload throws LimitExceeded.
    std::size_t max_file_bytes = std::size_t{1} << 20;
    /// fsync the file before publishing it and the directory after create/update/remove (and the
    /// file after touch). Off by default, as in Django; see the header comment.
    bool durable = false;
    /// A session file not owned by this process's effective user is not a session (it may have been
    /// planted in a shared directory): load/exists/update/touch see it as absent and create may
    /// replace it. clear_expired() removes expired files whoever owns them (as far as the directory
    /// allows).
    bool require_same_owner = true;
    /// clear_expired() deletes temporary files (crash leftovers) whose change time is at least this
    /// old, measured on the system clock (file change times cannot come from an injected clock).
    std::chrono::seconds stale_temp_age{3600};
    /// Use renameat2(RENAME_EXCHANGE) for update(). false forces the check-then-rename() fallback
    /// (for tests, or for a file system that misreports its support).
    bool use_rename_exchange = true;
    /// How the mtime encodes the expiry. `expiry` by default; `last_write` when the directory is
    /// shared with Django.
    MtimeMeaning mtime_meaning = MtimeMeaning::expiry;
    /// last_write only: the session lifetime counted from the mtime, which must be the Django
    /// side's SESSION_COOKIE_AGE. When unset, the constructors that take Settings use
    /// Settings::cookie_age and the others kDjangoCookieAge. Must be positive in last_write mode
    /// (ConfigurationError otherwise); ignored in expiry mode. options() reports the value in use.
    std::optional<std::chrono::seconds> cookie_age{};
    /// Longest wait for the directory lock (held by another process, or by a local user who opened
    /// the lock file to stall the store); StorageTimeout then. Must be positive.
    std::chrono::milliseconds timeout{5000};
  };

  /// Django's settings: SESSION_FILE_PATH (the system temp directory when empty),
  /// SESSION_COOKIE_NAME as the file name prefix, the clock, the logger, and SESSION_COOKIE_AGE
  /// (for MtimeMeaning::last_write, unless Options::cookie_age is set). Everything needed is
  /// copied, so `settings` may be a temporary. Throws ConfigurationError when the directory does
  /// not exist or is not a directory, when the cookie name cannot be a file name prefix, or when
  /// the cookie age is not positive (or beyond TimePoint's range) in last_write mode.
  explicit FileStore(const Settings& settings = default_settings()) : FileStore(settings, Options{}) {}
  FileStore(const Settings& settings, Options options)
      : FileStore(settings.file_path, settings.cookie_name, settings.clock,
                  with_cookie_age(options, settings.cookie_age), settings.logger) {}

  /// An explicit directory (the system temp directory when empty) and file name prefix. In
  /// last_write mode the cookie age is Options::cookie_age, or kDjangoCookieAge when unset.
  FileStore(std::filesystem::path directory, std::string cookie_name, Clock clock = {})
      : FileStore(std::move(directory), std::move(cookie_name), clock, Options{}) {}
  FileStore(std::filesystem::path directory, std::string cookie_name, Clock clock, Options options,
            Logger logger = {})
      : prefix_(std::move(cookie_name)),
        clock_(clock),
        logger_(logger),
        options_(with_cookie_age(options, kDjangoCookieAge)) {
    check_prefix();
    if (options_.mtime_meaning == MtimeMeaning::last_write) {
      const std::chrono::seconds age = *options_.cookie_age;
      constexpr auto kMaxAge = std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()) / 2;
      if (age <= std::chrono::seconds::zero() || age > kMaxAge) {
        throw ConfigurationError("FileStore: with MtimeMeaning::last_write the cookie age must be positive and "
                                 "representable (got " + std::to_string(age.count()) + " s)");
      }
      age_ = std::chrono::duration_cast<TimePoint::duration>(age);
    }
    if (options_.timeout <= std::chrono::milliseconds::zero()) {
      throw ConfigurationError("FileStore: timeout must be positive (got " + std::to_string(options_.timeout.count()) +
                               " ms)");
    }
    directory_ = resolve_directory(std::move(directory));
    dir_string_ = directory_.string();
    lock_path_ = dir_string_ + "/" + prefix_ + ".lock";
    check_directory_mode();
  }

  /// The directory the files live in (absolute).
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }
  /// The file name prefix (the cookie name).
  [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  [[nodiscard]] const Clock& clock() const noexcept { return clock_; }
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
    const TimePoint now = clock_.now();
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
    check_size("create", payload);
    const std::string target = file_path(key);
    detail::file_store::ScratchFile temp = write_temp("create", key, payload, expires_at);
    constexpr int kAttempts = 3;
    std::optional<detail::file_store::DirectoryLock> lock;
    for (int attempt = 1;; ++attempt) {
      bool consumed = false;
      const int err = publish_noreplace(temp.path(), target, consumed);
      if (consumed) temp.release();
      if (err == 0) {
        sync_directory("create", key);
        return true;
      }
      if (err != EEXIST) fail("create", key, "cannot publish the session file", err);
      if (attempt == kAttempts) return false;
      // Replacing a dead entry: under the directory lock, check, move away and publish happen as
      // one step with respect to every other replacement and removal.
      if (!lock) lock.emplace(lock_path_, options_.timeout, "FileStore::create");
      if (!clear_dead_entry(key, target)) return false;
    }
  }

  /// Replaces the payload and expiry of the live session `key`; false (nothing written) when
  /// there is none: absent, expired, removed meanwhile, or not a regular file of ours.
  [[nodiscard]] bool update(std::string_view key, std::string_view payload, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    check_size("update", payload);
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
    check_size("update_if", payload);
    const std::string target = file_path(key);
    const detail::file_store::DirectoryLock lock(lock_path_, options_.timeout, "FileStore::update_if");
    struct stat st {};
    detail::file_store::Fd fd = open_session("update_if", key, target, st, Noticed::quietly);
    if (fd.get() < 0 || !live(st, clock_.now())) return CasResult::missing;
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
    if (fd.get() < 0 || !live(st, clock_.now())) return false;
    const timespec times[2] = {omit_time(), detail::file_store::to_timespec(mtime_for_expiry(expires_at))};
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
  std::size_t clear_expired() const {
    DIR* dir = ::opendir(dir_string_.c_str());
    if (dir == nullptr) {
      const int err = errno;
      throw StorageError("FileStore::clear_expired: cannot open " + dir_string_ + ": " +
                         detail::file_store::errno_text(err));
    }
    struct DirCloser {
      DIR* d;
      ~DirCloser() { ::closedir(d); }
    } closer{dir};

    const TimePoint now = clock_.now();
    const TimePoint stale_before = std::chrono::system_clock::now() - options_.stale_temp_age;
    std::size_t removed = 0;
    std::size_t failures = 0;
    int last_failure = 0;
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(dir);
      if (entry == nullptr) {
        const int err = errno;
        if (err != 0) {
          throw StorageError("FileStore::clear_expired: cannot read " + dir_string_ + ": " +
                             detail::file_store::errno_text(err));
        }
        break;
      }
      const std::string_view name(entry->d_name);
      if (!name.starts_with(prefix_)) continue;
      const std::string_view rest = name.substr(prefix_.size());
      const bool session = is_valid_session_key(rest);
      if (!session && !detail::file_store::is_temp_name(rest)) continue;
      std::string path = dir_string_;
      path += '/';
      path += name;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (session ? expiry_of(st) > now : detail::file_store::ctime_of(st) > stale_before) continue;
      std::optional<detail::file_store::DirectoryLock> lock;
      if (session) {
        // Re-check under the lock: a create may have replaced the expired file meanwhile.
        lock.emplace(lock_path_, options_.timeout, "FileStore::clear_expired");
        struct stat again {};
        if (::lstat(path.c_str(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev ||
            expiry_of(again) > now) {
          continue;
        }
      }
      if (::unlink(path.c_str()) == 0) {
        if (session) ++removed;
      } else if (errno != ENOENT) {
        ++failures;
        last_failure = errno;
      }
    }
    if (failures != 0) {
      logger_(LogLevel::warning, detail::file_store::kLogCategory,
              "FileStore::clear_expired: " + std::to_string(failures) + " expired file(s) in " + dir_string_ +
                  " could not be deleted: " + detail::file_store::errno_text(last_failure));
    }
    return removed;
  }

 private:
  static constexpr timespec omit_time() noexcept {
    timespec ts{};
    ts.tv_nsec = UTIME_OMIT;
    return ts;
  }

  void check_prefix() const {
    const bool all_dots = prefix_.find_first_not_of('.') == std::string::npos;
    if (prefix_.empty() || all_dots || prefix_.find('/') != std::string::npos ||
        prefix_.find('\0') != std::string::npos) {
      throw ConfigurationError("FileStore: the cookie name \"" + std::string(prefix_.c_str()) +
                               "\" cannot prefix a file name (empty, only dots, or contains '/' or NUL)");
    }
    if (prefix_.size() + kMaxSessionKeyLength + detail::file_store::kTempSuffixLength >
        detail::file_store::kNameMax) {
      throw ConfigurationError("FileStore: the cookie name is too long to prefix a file name (" +
                               std::to_string(prefix_.size()) + " characters)");
    }
  }

  static std::filesystem::path resolve_directory(std::filesystem::path dir) {
    std::error_code ec;
    if (dir.empty()) {
      dir = std::filesystem::temp_directory_path(ec);
      if (ec) throw ConfigurationError("FileStore: no usable system temporary directory: " + ec.message());
    }
    std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
    if (ec) throw ConfigurationError("FileStore: cannot resolve the session directory " + dir.string() + ": " + ec.message());
    absolute = absolute.lexically_normal();
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
                               detail::file_store::errno_text(err));
    }
    if (!S_ISDIR(st.st_mode)) {
      throw ConfigurationError("FileStore: the session storage path " + absolute.string() + " is not a directory");
    }
    return absolute;
  }

  // The full path of `key`'s file; `key` has been validated.
  [[nodiscard]] std::string file_path(std::string_view key) const {
    std::string path;
    path.reserve(dir_string_.size() + 1 + prefix_.size() + key.size());
    path += dir_string_;
    if (path.empty() || path.back() != '/') path += '/';
    path += prefix_;
    path += key;
    return path;
  }

  [[nodiscard]] bool owned(const struct stat& st) const noexcept {
    return !options_.require_same_owner || st.st_uid == ::geteuid();
  }

  // An entry at `path` that owned() rejects (so open()'s EACCES is about a planted file).
  [[nodiscard]] bool foreign(const std::string& path) const noexcept {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && !owned(st);
  }

  [[nodiscard]] TimePoint expiry_of(const struct stat& st) const noexcept {
    return expiry_from_mtime(detail::file_store::mtime_of(st));
  }

  [[nodiscard]] bool live(const struct stat& st, TimePoint now) const noexcept {
    return S_ISREG(st.st_mode) && owned(st) && expiry_of(st) > now;
  }

  // lstat(path): false when absent; throws on other errors.
  bool lstat_or_absent(const std::string& path, struct stat& st, const char* op, std::string_view key) const {
    if (::lstat(path.c_str(), &st) == 0) return true;
    const int err = errno;
    if (err == ENOENT) return false;
    fail(op, key, "cannot stat the session file", err);
  }

  [[nodiscard]] bool is_live(const std::string& path, const char* op, std::string_view key) const {
    struct stat st {};
    return lstat_or_absent(path, st, op, key) && live(st, clock_.now());
  }

  // Unlinks the expired file `seen` unless the entry changed since (another inode, or re-stamped).
  // Without the lock the file stays for clear_expired(): load() has its answer (no session) either
  // way, and removing unlocked could delete a session a concurrent create just published.
  void remove_if_unchanged(std::string_view key, const std::string& path, const struct stat& seen,
                           TimePoint now) const {
    std::optional<detail::file_store::DirectoryLock> lock;
    try {
      lock.emplace(lock_path_, options_.timeout, "FileStore::load");
    } catch (const StorageError& e) {
      warn(key, std::string("is expired but was not deleted: ") + e.what());
      return;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (st.st_dev != seen.st_dev || st.st_ino != seen.st_ino || !S_ISREG(st.st_mode)) return;
    if (expiry_of(st) > now) return;
    (void)::unlink(path.c_str());
  }

  // What open_session does about an entry that is there but is no session of ours.
  enum class Noticed { quietly, warn };

  // Opens the session file at `path` without following a symlink and fstat()s it into `st`. An
  // invalid descriptor when there is no session to read there: absent, a symlink or special file,
  // another user's file (logged when `noticed` is warn). Throws StorageError on other I/O errors.
  detail::file_store::Fd open_session(const char* op, std::string_view key, const std::string& path,
                                      struct stat& st, Noticed noticed) const {
    detail::file_store::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    const auto ignore = [&](std::string_view why) {
      if (noticed == Noticed::warn) warn(key, why);
      return detail::file_store::Fd{};
    };
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT) return detail::file_store::Fd{};
      // A symlink; a socket, or a FIFO or device without a reader.
      if (err == ELOOP || err == ENXIO) return ignore("is a symlink or a special file; ignored");
      if (err == EACCES && foreign(path)) return ignore("is owned by another user; ignored");  // planted
      fail(op, key, "cannot open the session file", err);
    }
    if (::fstat(fd.get(), &st) != 0) fail(op, key, "cannot stat the session file", errno);
    if (!S_ISREG(st.st_mode)) return ignore("is not a regular file; ignored");
    if (!owned(st)) return ignore("is owned by another user; ignored");
    return fd;
  }

  // Publishes `temp` over the existing `target`: true when written, false when `target` is gone
  // (a concurrent remove() is never undone by a resurrection). RENAME_EXCHANGE swaps atomically
  // and leaves the old content under the temporary name, which `temp` then unlinks; without it,
  // check-then-rename(), where a remove() between the two is undone.
  bool swap_in(const char* op, std::string_view key, detail::file_store::ScratchFile& temp,
               const std::string& target) const {
    if (options_.use_rename_exchange) {
      if (detail::file_store::rename2(temp.c_str(), target.c_str(), detail::file_store::kRenameExchange) == 0) {
        sync_directory(op, key);
        return true;
      }
      const int err = errno;
      if (err == ENOENT) return false;
      if (!detail::file_store::unsupported(err)) fail(op, key, "cannot replace the session file", err);
    }
    if (!is_live(target, op, key)) return false;
    if (::rename(temp.c_str(), target.c_str()) != 0) fail(op, key, "cannot replace the session file", errno);
    temp.release();
    sync_directory(op, key);
    return true;
  }

  // Anyone may rename or delete files in a world-writable directory without the sticky bit:
  // refused. With the sticky bit (/tmp, Django's default) files are safe but any local user can
  // open the lock file and make operations that need it time out: allowed, with a warning.
  void check_directory_mode() const {
    struct stat st {};
    if (::stat(dir_string_.c_str(), &st) != 0 || (st.st_mode & S_IWOTH) == 0) return;
    if ((st.st_mode & S_ISVTX) == 0) {
      throw ConfigurationError("FileStore: the session directory " + dir_string_ +
                               " is world-writable without the sticky bit: any local user could replace "
                               "or delete sessions. Use a private directory (mode 0700).");
    }
    logger_(LogLevel::warning, detail::file_store::kLogCategory,
            "FileStore: the session directory " + dir_string_ +
                " is shared with every local user (world-writable): they cannot read or forge sessions, "
                "but can hold its lock file so that create over an expired file, update_if and "
                "clear_expired fail after Options::timeout. Use a private directory (mode 0700).");
  }

  // Reads the whole file, at most max_file_bytes; false when it holds more.
  bool read_bounded(int fd, std::size_t size_hint, std::string_view key, std::string& out) const {
    const std::size_t limit = options_.max_file_bytes;
    out.resize(size_hint + 1);  // one spare byte notices a file that grew
    std::size_t len = 0;
    for (;;) {
      if (len == out.size()) {
        if (len > limit) return false;
        out.resize(std::min(out.size() * 2, limit + 1));
      }
      const ssize_t n = ::read(fd, out.data() + len, out.size() - len);
      if (n < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        fail("load", key, "cannot read the session file", err);
      }
      if (n == 0) break;
      len += static_cast<std::size_t>(n);
      if (len > limit) return false;
    }
    out.resize(len);
    return true;
  }

  void check_size(const char* op, std::string_view payload) const {
    if (payload.size() > options_.max_file_bytes) {
      throw LimitExceeded(std::string("FileStore::") + op + ": a payload of " + std::to_string(payload.size()) +
                          " bytes exceeds max_file_bytes (" + std::to_string(options_.max_file_bytes) + ")");
    }
  }

  // mkostemp() in the store's directory: `<prefix><key><tag>XXXXXX`, mode 0600.
  detail::file_store::ScratchFile make_scratch(const char* op, std::string_view key, std::string_view tag,
                                               detail::file_store::Fd& fd) const {
    std::string name = file_path(key);
    name += tag;
    name += "XXXXXX";
    const int raw = ::mkostemp(name.data(), O_CLOEXEC);
    if (raw < 0) fail(op, key, "cannot create a temporary file", errno);
    fd = detail::file_store::Fd(raw);
    return detail::file_store::ScratchFile(std::move(name));
  }

  // The temporary file holding `payload`, stamped with `expires_at`, closed; unlinked on failure.
  detail::file_store::ScratchFile write_temp(const char* op, std::string_view key, std::string_view payload,
                                             TimePoint expires_at) const {
    detail::file_store::Fd fd;
    detail::file_store::ScratchFile temp = make_scratch(op, key, "_out_", fd);
    std::size_t done = 0;
    while (done < payload.size()) {
      const ssize_t n = ::write(fd.get(), payload.data() + done, payload.size() - done);
      if (n < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        fail(op, key, "cannot write the session file", err);
      }
      if (n == 0) fail(op, key, "cannot write the session file", EIO);
      done += static_cast<std::size_t>(n);
    }
    // After the last write, which moves the mtime to "now".
    const timespec times[2] = {omit_time(), detail::file_store::to_timespec(mtime_for_expiry(expires_at))};
    if (::futimens(fd.get(), times) != 0) fail(op, key, "cannot set the expiry", errno);
    if (options_.durable && ::fsync(fd.get()) != 0) fail(op, key, "cannot sync the session file", errno);
    if (const int err = fd.close(); err != 0) fail(op, key, "cannot write the session file", err);
    return temp;
  }

  // Publishes `from` as `to` unless `to` exists: 0, EEXIST, or another errno. link(2) first; where
  // the file system has no hard links, renameat2(RENAME_NOREPLACE) (then `consumed` is set).
  static int publish_noreplace(const std::string& from, const std::string& to, bool& consumed) noexcept {
    if (::link(from.c_str(), to.c_str()) == 0) return 0;
    const int err = errno;
    if (err != EPERM && err != EOPNOTSUPP && err != ENOSYS) return err;
    if (detail::file_store::rename2(from.c_str(), to.c_str(), detail::file_store::kRenameNoReplace) == 0) {
      consumed = true;
      return 0;
    }
    const int err2 = errno;
    return detail::file_store::unsupported(err2) ? err : err2;
  }

  // create() met an existing entry: true when it was not a live session and is gone now (retry the
  // link), false when a live session is there (or the entry cannot be moved).
  bool clear_dead_entry(std::string_view key, const std::string& target) const {
    struct stat st {};
    if (!lstat_or_absent(target, st, "create", key)) return true;
    if (live(st, clock_.now())) return false;
    // Take the entry away atomically and look at what was taken: a create that raced us may have
    // put a live session there after our lstat, and that one goes back.
    detail::file_store::Fd fd;
    detail::file_store::ScratchFile grave = make_scratch("create", key, "_old_", fd);
    fd.reset();
    if (::rename(target.c_str(), grave.c_str()) != 0) return errno == ENOENT;
    struct stat taken {};
    if (::lstat(grave.c_str(), &taken) == 0 && live(taken, clock_.now())) {
      (void)::link(grave.c_str(), target.c_str());  // EEXIST: a third create won; it keeps the name
      return false;
    }
    return true;  // `grave` unlinks what was taken
  }

  void sync_directory(const char* op, std::string_view key) const {
    if (!options_.durable) return;
    detail::file_store::Fd dir(::open(dir_string_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
      // The change is made and visible; only its durability is in doubt. Throwing would make the
      // caller believe it failed.
      const int err = errno;
      logger_(LogLevel::error, detail::file_store::kLogCategory,
              std::string("FileStore::") + op + ": cannot sync the directory " + dir_string_ + " (key " +
                  std::string(loggable_key_prefix(key)) + "...): " + detail::file_store::errno_text(err));
    }
  }

  // `options` with cookie_age set (to `fallback` when it was not).
  static Options with_cookie_age(Options options, std::chrono::seconds fallback) noexcept {
    if (!options.cookie_age) options.cookie_age = fallback;
    return options;
  }

  [[noreturn]] void fail(const char* op, std::string_view key, std::string_view what, int err) const {
    throw StorageError(std::string("FileStore::") + op + ": " + std::string(what) + " in " + dir_string_ + " (key " +
                       std::string(loggable_key_prefix(key)) + "...): " + detail::file_store::errno_text(err));
  }

  void warn(std::string_view key, std::string_view what) const {
    logger_(LogLevel::warning, detail::file_store::kLogCategory,
            "FileStore: the session file for key " + std::string(loggable_key_prefix(key)) + "... in " + dir_string_ +
                " " + std::string(what));
  }

  void warn_oversized(std::string_view key) const {
    warn(key, "is larger than max_file_bytes (" + std::to_string(options_.max_file_bytes) +
                  " bytes); treated as corrupted");
  }

  std::string prefix_;
  Clock clock_;
  Logger logger_;
  Options options_;
  TimePoint::duration age_{};  // *options_.cookie_age in last_write mode, else zero
  std::filesystem::path directory_;
  std::string dir_string_;
  std::string lock_path_;  // <dir>/<cookie_name>.lock: never a session or temporary name
};

}  // namespace sessions
