#pragma once
// FileStore's system-call mechanics: descriptors, scratch files, renameat2, file times, temporary
// file names, and the directory lock with a deadline. FileStore (storage/file.hpp) composes them.

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
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../../log.hpp"
#include "../../session_key.hpp"

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

/// Reads all of `fd` into `out`, at most `limit` bytes (`size_hint`: what fstat said). 0 when
/// read, -1 when the file holds more than `limit`, else read(2)'s errno.
[[nodiscard]] inline int read_bounded(int fd, std::size_t size_hint, std::size_t limit, std::string& out) {
  out.resize(size_hint + 1);  // one spare byte notices a file that grew
  std::size_t len = 0;
  for (;;) {
    if (len == out.size()) {
      if (len > limit) return -1;
      out.resize(std::min(out.size() * 2, limit + 1));
    }
    const ssize_t n = ::read(fd, out.data() + len, out.size() - len);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return err;
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
    if (len > limit) return -1;
  }
  out.resize(len);
  return 0;
}

/// Writes all of `bytes` to `fd`: 0, or write(2)'s errno (EIO when it wrote nothing).
[[nodiscard]] inline int write_all(int fd, std::string_view bytes) noexcept {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return err;
    }
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

/// Publishes `from` as `to` unless `to` exists: 0, EEXIST, or another errno. link(2) first; where
/// the file system has no hard links, renameat2(RENAME_NOREPLACE) (then `consumed` is set).
[[nodiscard]] inline int publish_noreplace(const std::string& from, const std::string& to, bool& consumed) noexcept {
  if (::link(from.c_str(), to.c_str()) == 0) return 0;
  const int err = errno;
  if (err != EPERM && err != EOPNOTSUPP && err != ENOSYS) return err;
  if (rename2(from.c_str(), to.c_str(), kRenameNoReplace) == 0) {
    consumed = true;
    return 0;
  }
  const int err2 = errno;
  return unsupported(err2) ? err : err2;
}

/// Calls `visit(name)` for every entry of the directory `dir` (`.` and `..` included); 0 when
/// every entry was visited, else opendir's or readdir's errno. `visit` may throw.
template <class Visit>
[[nodiscard]] int for_each_entry(const std::string& dir, Visit&& visit) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errno;
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }
  } closer{d};
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(d);
    if (entry == nullptr) return errno;
    visit(std::string_view(entry->d_name));
  }
}

/// UTIME_OMIT for futimens's access time: only the mtime carries meaning.
[[nodiscard]] constexpr timespec omit_time() noexcept {
  timespec ts{};
  ts.tv_nsec = UTIME_OMIT;
  return ts;
}

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
/// one, update_if), so that two of them never interleave their check and their change.
///
/// The lock file lives in a directory other local users may reach (the default is the system temp
/// directory), so anyone able to open it could hold it forever. The lock is therefore taken with a
/// deadline: StorageTimeout when it is still held when the deadline passes, and StorageError when
/// the file cannot be opened (e.g. fs.protected_regular refusing a file another user planted).
/// Going on unlocked would let two replacements interleave, which the design rules out.
class DirectoryLock {
 public:
  /// `message(what)` turns "what" into the store's full error message.
  template <class Message>
  DirectoryLock(const std::string& path, std::chrono::milliseconds timeout, Message&& message)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600)) {
    if (fd_.get() < 0) {
      const int err = errno;
      throw StorageError(message("cannot open the lock file " + path + ": " + errno_text(err)));
    }
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      throw StorageError(message("the lock file " + path + " is not a regular file"));
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds{100};
    for (;;) {
      if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return;
      const int err = errno;
      if (err == EINTR) continue;
      if (err != EWOULDBLOCK) throw StorageError(message("cannot lock " + path + ": " + errno_text(err)));
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        throw StorageTimeout(message("the lock file " + path + " is still held by another process after " +
                                     std::to_string(timeout.count()) + " ms (Options::lock_timeout)"));
      }
      // flock has no timed form: poll with a growing pause, never sleeping past the deadline.
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::microseconds{20'000});
    }
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  // Closing the descriptor (Fd's destructor) releases the lock.

 private:
  Fd fd_;
};
// ------------------------------------------------------------------ configuration checks
// Each failure is a ConfigurationError from FileStore's constructor, so that nothing fails later
// at a request.

/// `dir` normalised, without a trailing '/'. It must be absolute (a relative one would depend on
/// the working directory of whoever constructs the store) and name an existing directory.
[[nodiscard]] inline std::filesystem::path checked_directory(const std::filesystem::path& dir) {
  if (dir.empty()) {
    throw ConfigurationError(
        "FileStore: no session directory given (Options::directory); "
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
    throw ConfigurationError(
        "FileStore: with MtimeMeaning::last_write the cookie age must be positive and "
        "representable (got " +
        std::to_string(age.count()) + " s)");
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

}  // namespace detail::file_store

}  // namespace sessions
