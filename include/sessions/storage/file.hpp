#pragma once
// FileStore: Django's file backend (django.contrib.sessions.backends.file), hardened. Linux/POSIX.
//
// Layout (Django's): one file per session in one directory, named `<cookie_name><session_key>`,
// e.g. `sessionid0a1b2c...`. The file holds exactly the payload bytes, no trailing newline.
//
// The file's modification time encodes the record's expiry instant (`Record::expires_at`), set with
// nanosecond precision (futimens/utimensat), so load(), exists() and clear_expired() decide expiry
// from a stat, without reading or decoding anything. A file system with coarser timestamps
// truncates the instant, so a record can only expire a little earlier, never later. How the mtime
// encodes it is Options::mtime_meaning:
//
//   expiry (the default): the mtime IS the expiry instant. Use it when no Django process shares the
//     directory. Every expiry policy is enforced exactly (set_expiry(), Idle, Absolute, ...). A
//     Django process reading such a directory computes `mtime + SESSION_COOKIE_AGE` (or uses
//     `_session_expiry` from the data); since our mtime is at or after the last write, it keeps
//     sessions at least as long as we do: longer, never shorter. The other way round does not work:
//     a file Django wrote has mtime = time of the write, which this mode reads as "already expired"
//     (and clear_expired() deletes it).
//
//   last_write: Django's convention, for a directory shared with Django's file backend. The mtime
//     is the instant of the last write and the record lives Options::cookie_age after it (Django's
//     SESSION_COOKIE_AGE; Settings::cookie_age when the store is built from Settings): live iff
//     mtime + cookie_age > now, for load(), exists(), update(), touch(), create() and
//     clear_expired() alike. A write (create/update) or touch() with `expires_at` stamps
//     mtime = expires_at - cookie_age. For a session whose lifetime is cookie_age (Django's rule
//     without set_expiry(), the usual case) that IS the time of the write, as read from the
//     session layer's clock, exactly what Django would have stamped, provided the session's
//     Settings::cookie_age is the store's cookie_age (build both from the same Settings). Any
//     other lifetime moves the mtime back (set_expiry(300), Idle, Absolute) or forward
//     (set_expiry() beyond cookie_age) so that mtime + cookie_age == expires_at: the `expires_at`
//     the session layer passes is kept exactly, for this store and for Django reading our files
//     (Django uses `_session_expiry` when the data has one, else mtime + SESSION_COOKIE_AGE, which
//     is then our expiry; an int `_session_expiry` Django takes as an age that never runs out). Options::cookie_age must therefore equal the Django side's
//     SESSION_COOKIE_AGE.
//     The trade-off is in the files Django writes: their mtime is the real write time, and this
//     store cannot decode payloads, so it cannot see a per-session `_session_expiry` in them. A
//     Django-written file is live for exactly cookie_age after Django's last write, whatever
//     set_expiry() said, for load(), exists() and clear_expired() alike, whereas Django's own
//     load and clear_expired (`manage.py clearsessions`) decode the data and go by
//     `_session_expiry` when there is one:
//       - a shorter expiry set as a date (set_expiry(timedelta or datetime)) is not applied here:
//         the file stays until cookie_age after its last write, and load() returns it. The session
//         layer does NOT make up for it: Session<FileStore, ...> trusts the store's answer for
//         server-side stores and never re-checks `_session_expiry` on load (it applies the expiry
//         policy only to cookie stores). A C++ request presenting such a key gets the data back
//         after Django would have refused it.
//       - a longer expiry set as a date (a 30-day "remember me") ends here cookie_age after the last
//         write: load() deletes the file (and the middleware the cookie), and clear_expired()
//         deletes it although Django would keep it. When the Django side sets expiries beyond
//         cookie_age, run Django's clearsessions rather than this clear_expired().
//       - an expiry set in seconds (set_expiry(300)) is one that Django's file backend itself never
//         applies: it takes the int as the remaining age and ignores the mtime, so its load and
//         clearsessions keep such a file forever (checked with Django 3.2). Here it lives
//         cookie_age after the last write.
//     (Files this store wrote carry their exact expiry in the mtime, until Django rewrites them.)
//     Other things to know when sharing a directory with Django: files are only sessions when they
//     belong to this process's user (Options::require_same_owner), so run both as the same user or
//     turn that off for a private directory; and Django's create() briefly leaves an empty file at
//     the name (its O_CREAT|O_EXCL placeholder), which Django reads as `{}` and the session layer
//     reads as undecodable, i.e. empty data and a "Session data corrupted" warning.
//
// Every write goes to a temporary file in the same directory, named
// `<cookie_name><key>_out_XXXXXX` (a `_` can never occur in a valid key, so a temporary file is
// never mistaken for a session), written fully, stamped with its expiry, then published atomically:
//   create  link(temp, target): atomic and never overwrites. If an entry is already there and is not
//           a live session (expired, a symlink, a FIFO, ...), it is taken away with rename() to a
//           private name and checked once more there (a create that raced us may have put a live
//           session in its place: that one is put back and create returns false), then the link is
//           retried.
//   update  renameat2(temp, target, RENAME_EXCHANGE): the swap fails with ENOENT when the target
//           is gone, so a session deleted by a concurrent logout is never brought back; the old
//           content ends up under the temporary name and is unlinked. On a file system without
//           RENAME_EXCHANGE (EINVAL/ENOSYS/EOPNOTSUPP: NFS, CIFS, many FUSE file systems) it falls
//           back to check-then-rename(): a remove() landing between the check and the rename()
//           (a window of microseconds) is then undone. A logout racing ordinary requests rarely
//           meets it, but a key hammered by concurrent updates while it is removed does.
// (Where hard links are not supported, create publishes with renameat2(RENAME_NOREPLACE), which is
// just as atomic and non-overwriting.)
// A reader opens either the old or the new inode and reads it whole: it never sees a mix, and a
// failed write (disk full, EIO) leaves the previous file untouched and no temporary file behind.
// The common paths take no lock; replacing or removing an existing entry (create over an expired
// file, removal of an expired file by load() or clear_expired()) holds an flock on
// `<cookie_name>.lock` in the directory, so that no two of them interleave and a create never
// wins twice. The object holds only immutable state, so one instance serves every thread.
//
// Expired files are removed by load() (the one it found) and by clear_expired() (all of them, plus
// temporary files of crashed writers, by change time, after Options::stale_temp_age). The removal
// re-checks the entry with lstat() right before unlink(): an update that re-stamps the file at the
// very instant it expires can still lose that race (the session was expiring anyway).
//
// Hostile directory contents (the default directory is the shared system temp dir, as in Django):
// nothing is ever opened through a symlink (O_NOFOLLOW, lstat); a symlink, FIFO, device or
// directory at a session name is no session (load logs a warning and returns nullopt); a file
// owned by another user is no session either (Options::require_same_owner, on by default), so a
// local user cannot plant a forged session in /tmp; files larger than Options::max_file_bytes are
// treated as corrupted. A private directory (mode 0700) is still the recommended setup; the files
// themselves are created 0600.
//
// Durability: by default nothing is fsync'ed, as in Django. A crash of the machine (not of the
// process) can then lose the latest writes or, depending on the file system, leave an empty or
// truncated file, which the session layer reads as an undecodable, i.e. empty, session. (ext4's
// auto_da_alloc flushes a file renamed over another one, which protects Django's rename(); it
// does not apply to RENAME_EXCHANGE, and it is also what makes the fallback update much slower.)
// Options::durable fsyncs the file before publishing it and the directory after create, update and
// remove, at the cost of two disk flushes per write.
//
// Keys are validated with is_valid_session_key() before any path is built: path_for() throws
// InvalidSessionKey, every other operation treats an invalid key as absent and touches nothing.

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

namespace sessions {

namespace detail::file_store {

inline constexpr std::string_view kLogCategory = "sessions.storage.file";
/// Longest file name on Linux file systems (NAME_MAX).
inline constexpr std::size_t kNameMax = 255;
/// The part a temporary file adds after the key: "_out_" + mkstemp's six characters.
inline constexpr std::size_t kTempSuffixLength = 11;

#ifdef RENAME_EXCHANGE
inline constexpr unsigned kRenameExchange = RENAME_EXCHANGE;
#else
inline constexpr unsigned kRenameExchange = 1u << 1;
#endif
#ifdef RENAME_NOREPLACE
inline constexpr unsigned kRenameNoReplace = RENAME_NOREPLACE;
#else
inline constexpr unsigned kRenameNoReplace = 1u << 0;
#endif

/// renameat2(2) with AT_FDCWD on both sides; -1 and errno as the system call.
inline int rename2(const char* from, const char* to, unsigned flags) noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
  return ::renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
#elif defined(SYS_renameat2)
  return static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags));
#else
  (void)from;
  (void)to;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

/// True when renameat2 failed because the kernel or the file system lacks the flag.
[[nodiscard]] inline bool unsupported(int err) noexcept { return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP; }

[[nodiscard]] inline std::string errno_text(int err) { return std::generic_category().message(err); }

/// `t` as a timespec, floored to the second with 0 <= tv_nsec < 1e9 (never UTIME_NOW/UTIME_OMIT).
[[nodiscard]] inline timespec to_timespec(TimePoint t) noexcept {
  using std::chrono::duration_cast;
  const TimePoint::duration d = t.time_since_epoch();
  auto secs = duration_cast<std::chrono::seconds>(d);  // towards zero: |secs| <= |d|, no overflow
  auto rest = d - duration_cast<TimePoint::duration>(secs);
  if (rest < TimePoint::duration::zero()) {
    secs -= std::chrono::seconds{1};
    rest += duration_cast<TimePoint::duration>(std::chrono::seconds{1});
  }
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>(duration_cast<std::chrono::nanoseconds>(rest).count());
  return ts;
}

/// A file time as a TimePoint, saturated to the representable range.
[[nodiscard]] inline TimePoint from_timespec(const timespec& ts) noexcept {
  using Dur = TimePoint::duration;
  using std::chrono::duration_cast;
  constexpr auto kMaxSeconds = duration_cast<std::chrono::seconds>(Dur::max()).count() - 1;
  constexpr auto kMinSeconds = duration_cast<std::chrono::seconds>(Dur::min()).count() + 1;
  if (ts.tv_sec >= kMaxSeconds) return TimePoint::max();
  if (ts.tv_sec <= kMinSeconds) return TimePoint::min();
  return TimePoint{duration_cast<Dur>(std::chrono::seconds{ts.tv_sec}) +
                   duration_cast<Dur>(std::chrono::nanoseconds{ts.tv_nsec})};
}

[[nodiscard]] inline TimePoint mtime_of(const struct stat& st) noexcept { return from_timespec(st.st_mtim); }
[[nodiscard]] inline TimePoint ctime_of(const struct stat& st) noexcept { return from_timespec(st.st_ctim); }

/// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// Closes now and reports close(2)'s errno (0 when fine). EINTR is not an error on Linux: the
  /// descriptor is released either way and must not be closed again.
  int close() noexcept {
    if (fd_ < 0) return 0;
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc != 0 && errno != EINTR ? errno : 0;
  }
  void reset() noexcept { (void)close(); }

 private:
  int fd_;
};

/// A file in the store's directory that is unlinked when this object dies, unless released.
class ScratchFile {
 public:
  ScratchFile() = default;
  explicit ScratchFile(std::string path) noexcept : path_(std::move(path)) {}
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ScratchFile(ScratchFile&& other) noexcept : path_(std::exchange(other.path_, std::string{})) {}
  ScratchFile& operator=(ScratchFile&&) = delete;
  ~ScratchFile() {
    if (!path_.empty()) (void)::unlink(path_.c_str());
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const char* c_str() const noexcept { return path_.c_str(); }
  /// The file was consumed (renamed onto its destination): nothing left to unlink.
  void release() noexcept { path_.clear(); }

 private:
  std::string path_;
};

/// `rest` (a directory entry name after the cookie-name prefix) is `<valid key>_out_<suffix>` or
/// `<valid key>_old_<suffix>`: a temporary file of ours, or of Django (whose suffix is mkstemp's
/// eight characters of [a-z0-9_]).
[[nodiscard]] inline bool is_temp_name(std::string_view rest) noexcept {
  const std::size_t us = rest.find('_');
  if (us == std::string_view::npos || !is_valid_session_key(rest.substr(0, us))) return false;
  const std::string_view tail = rest.substr(us);
  if (!tail.starts_with("_out_") && !tail.starts_with("_old_")) return false;
  const std::string_view suffix = tail.substr(5);
  if (suffix.empty() || suffix.size() > 16) return false;
  for (const char c : suffix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// An exclusive flock on the directory's lock file, held for its lifetime. Taken only on the rare
/// paths that replace or remove an existing entry (create over a dead file, removal of an expired
/// one), so that two of them never interleave their check and their change. The common paths
/// (a create into a free name, update, load of a live file) stay lock-free.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& path) noexcept
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  /// False when the lock file could not be opened (e.g. a read-only directory): the caller goes
  /// on unlocked, as the store did before locks existed.
  [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace detail::file_store

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
    directory_ = resolve_directory(std::move(directory));
    dir_string_ = directory_.string();
    lock_path_ = dir_string_ + "/" + prefix_ + ".lock";
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
    detail::file_store::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT) return std::nullopt;
      if (err == ELOOP || err == ENXIO) {  // a symlink; a socket or an absent FIFO/device reader
        warn(key, "is a symlink or a special file; ignored");
        return std::nullopt;
      }
      if (err == EACCES && foreign(path)) {  // planted unreadable by another user
        warn(key, "is owned by another user; ignored");
        return std::nullopt;
      }
      fail("load", key, "cannot open the session file", err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("load", key, "cannot stat the session file", errno);
    if (!S_ISREG(st.st_mode)) {
      warn(key, "is not a regular file; ignored");
      return std::nullopt;
    }
    if (!owned(st)) {
      warn(key, "is owned by another user; ignored");
      return std::nullopt;
    }
    const TimePoint now = clock_.now();
    const TimePoint expires_at = expiry_of(st);
    if (expires_at <= now) {
      fd.reset();
      remove_if_unchanged(path, st, now);
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
      if (!lock) lock.emplace(lock_path_);
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
    if (options_.use_rename_exchange) {
      if (detail::file_store::rename2(temp.c_str(), target.c_str(), detail::file_store::kRenameExchange) == 0) {
        // `temp` now names the previous content; its destructor unlinks it.
        sync_directory("update", key);
        return true;
      }
      const int err = errno;
      if (err == ENOENT) return false;  // deleted meanwhile: never resurrected
      if (!detail::file_store::unsupported(err)) fail("update", key, "cannot replace the session file", err);
    }
    // Fallback without RENAME_EXCHANGE: a remove() between this check and rename() is undone.
    if (!is_live(target, "update", key)) return false;
    if (::rename(temp.c_str(), target.c_str()) != 0) fail("update", key, "cannot replace the session file", errno);
    temp.release();
    sync_directory("update", key);
    return true;
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
    const detail::file_store::DirectoryLock lock(lock_path_);
    detail::file_store::Fd fd(::open(target.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT || err == ELOOP || err == ENXIO) return CasResult::missing;
      if (err == EACCES && foreign(target)) return CasResult::missing;
      fail("update_if", key, "cannot open the session file", err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("update_if", key, "cannot stat the session file", errno);
    if (!live(st, clock_.now())) return CasResult::missing;
    const auto size = static_cast<std::size_t>(st.st_size < 0 ? 0 : st.st_size);
    if (size != expected.size()) return CasResult::conflict;
    std::string current;
    if (!read_bounded(fd.get(), size, key, current) || current != expected) return CasResult::conflict;
    fd.reset();
    detail::file_store::ScratchFile temp = write_temp("update_if", key, payload, expires_at);
    if (options_.use_rename_exchange) {
      if (detail::file_store::rename2(temp.c_str(), target.c_str(), detail::file_store::kRenameExchange) == 0) {
        sync_directory("update_if", key);
        return CasResult::written;
      }
      const int err = errno;
      if (err == ENOENT) return CasResult::missing;  // deleted meanwhile: never resurrected
      if (!detail::file_store::unsupported(err)) fail("update_if", key, "cannot replace the session file", err);
    }
    if (!is_live(target, "update_if", key)) return CasResult::missing;
    if (::rename(temp.c_str(), target.c_str()) != 0) fail("update_if", key, "cannot replace the session file", errno);
    temp.release();
    sync_directory("update_if", key);
    return CasResult::written;
  }

  /// Moves the expiry of the live session `key` to `expires_at`; false when there is none.
  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    const std::string path = file_path(key);
    // Through a descriptor, so the file checked is the file stamped.
    detail::file_store::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT || err == ELOOP || err == ENXIO) return false;
      if (err == EACCES && foreign(path)) return false;
      fail("touch", key, "cannot open the session file", err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("touch", key, "cannot stat the session file", errno);
    if (!live(st, clock_.now())) return false;
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
        lock.emplace(lock_path_);
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
  void remove_if_unchanged(const std::string& path, const struct stat& seen, TimePoint now) const noexcept {
    const detail::file_store::DirectoryLock lock(lock_path_);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (st.st_dev != seen.st_dev || st.st_ino != seen.st_ino || !S_ISREG(st.st_mode)) return;
    if (expiry_of(st) > now) return;
    (void)::unlink(path.c_str());
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
