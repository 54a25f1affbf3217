#pragma once
// FileStore's file mechanics (storage/file.hpp describes the behaviour): a session's path, which
// entries are sessions of ours, opening without following symlinks, the temporary file and its
// atomic publication, the directory lock's messages, and the store's error format. A base of
// FileStore (CRTP): it reads the store's options, directory and lock path, which FileStore keeps
// (a copy of the store is the same store).

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <chrono>
#include <cstdlib>  // mkostemp
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../../log.hpp"
#include "../../session_key.hpp"
#include "../../user_index.hpp"
#include "file_io.hpp"
#include "store_options.hpp"

namespace sessions::detail::file_store {

template <class Store>
class FileOps {
 protected:
  [[nodiscard]] const Store& self() const noexcept { return static_cast<const Store&>(*this); }

  // clear_expired(): expired session files and stale temporary files, each session re-checked
  // under the directory lock (a create may have replaced it meanwhile).
  std::size_t clear_expired_files() const {
    const TimePoint now = self().options_.clock.now();
    const TimePoint stale_before = std::chrono::system_clock::now() - self().options_.stale_temp_age;
    std::size_t removed = 0;
    std::size_t failures = 0;
    int last_failure = 0;
    const int err = for_each_entry(self().dir_string_, [&](std::string_view name) {
      if (!name.starts_with(self().options_.cookie_name)) return;
      const std::string_view rest = name.substr(self().options_.cookie_name.size());
      const bool session = is_valid_session_key(rest);
      if (!session && !is_temp_name(rest)) return;
      const std::string path = self().dir_string_ + '/' + std::string(name);
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
      if (session ? expiry_of(st) > now : ctime_of(st) > stale_before) return;
      std::optional<DirectoryLock> lock;
      if (session) {
        // Re-check under the lock: a create may have replaced the expired file meanwhile.
        lock.emplace(self().lock_path_, self().options_.lock_timeout, locked("clear_expired", {}));
        struct stat again {};
        if (::lstat(path.c_str(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev ||
            expiry_of(again) > now) {
          return;
        }
      }
      if (::unlink(path.c_str()) == 0) {
        if (session) ++removed;
        if (session && self().index_in_use()) (void)self().index_->take(rest);
      } else if (errno != ENOENT) {
        ++failures;
        last_failure = errno;
      }
    });
    if (err != 0) fail("clear_expired", {}, "cannot list the directory", err);
    if (failures != 0) {
      self().options_.logger(LogLevel::warning, kLogCategory,
                             message("clear_expired", {},
                                     std::to_string(failures) + " expired file(s) could not be deleted", last_failure));
    }
    return removed;
  }

  // purge_expired(): at most `batch` expired session files with their entries, then entries whose
  // file went without them.
  std::vector<PurgedSession> purge_expired_files(std::size_t batch, TimePoint now) const {
    std::vector<std::string> expired;
    const int err = for_each_entry(self().dir_string_, [&](std::string_view name) {
      if (expired.size() >= batch || !name.starts_with(self().options_.cookie_name)) return;
      const std::string_view rest = name.substr(self().options_.cookie_name.size());
      if (!is_valid_session_key(rest)) return;
      struct stat st {};
      const std::string path = self().dir_string_ + '/' + std::string(name);
      if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && expiry_of(st) <= now) expired.emplace_back(rest);
    });
    if (err != 0) fail("purge_expired", {}, "cannot list the directory", err);
    std::vector<PurgedSession> purged;
    for (std::string& key : expired) {
      const std::string path = file_path(key);
      const DirectoryLock lock(self().lock_path_, self().options_.lock_timeout, locked("purge_expired", key));
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || expiry_of(st) > now) continue;
      if (::unlink(path.c_str()) != 0) continue;
      std::string user = self().index_in_use() ? self().index_->take(key) : std::string();
      purged.push_back(PurgedSession{std::move(key), std::move(user)});
    }
    if (purged.size() < batch && self().index_in_use()) {
      for (PurgedSession& s :
           self().index_->purge(batch - purged.size(), now, [this](std::string_view k) { return self().exists(k); }))
        purged.push_back(std::move(s));
    }
    return purged;
  }

  // The full path of `key`'s file; `key` has been validated.
  [[nodiscard]] std::string file_path(std::string_view key) const {
    std::string path;
    path.reserve(self().dir_string_.size() + 1 + self().options_.cookie_name.size() + key.size());
    path += self().dir_string_;
    if (path.empty() || path.back() != '/') path += '/';
    path += self().options_.cookie_name;
    path += key;
    return path;
  }

  [[nodiscard]] bool owned(const struct stat& st) const noexcept {
    return !self().options_.require_same_owner || st.st_uid == ::geteuid();
  }

  // An entry at `path` that owned() rejects (so open()'s EACCES is about a planted file).
  [[nodiscard]] bool foreign(const std::string& path) const noexcept {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && !owned(st);
  }

  [[nodiscard]] TimePoint expiry_of(const struct stat& st) const noexcept {
    return self().expiry_from_mtime(mtime_of(st));
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
    return lstat_or_absent(path, st, op, key) && live(st, self().options_.clock.now());
  }

  // Unlinks the expired file `seen` unless the entry changed since (another inode, or re-stamped).
  // Without the lock the file stays for clear_expired(): load() has its answer (no session) either
  // way, and removing unlocked could delete a session a concurrent create just published.
  void remove_if_unchanged(std::string_view key, const std::string& path, const struct stat& seen,
                           TimePoint now) const {
    std::optional<DirectoryLock> lock;
    try {
      lock.emplace(self().lock_path_, self().options_.lock_timeout, locked("load", key));
    } catch (const StorageError& e) {
      warn("load", key, std::string("is expired but was not deleted: ") + e.what());
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
  Fd open_session(const char* op, std::string_view key, const std::string& path, struct stat& st,
                  Noticed noticed) const {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    const auto ignore = [&](std::string_view why) {
      if (noticed == Noticed::warn) warn(op, key, why);
      return Fd{};
    };
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT) return Fd{};
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
  bool swap_in(const char* op, std::string_view key, ScratchFile& temp, const std::string& target) const {
    if (self().options_.use_rename_exchange) {
      if (rename2(temp.c_str(), target.c_str(), kRenameExchange) == 0) {
        sync_directory(op, key);
        return true;
      }
      const int err = errno;
      if (err == ENOENT) return false;
      if (!unsupported(err)) fail(op, key, "cannot replace the session file", err);
    }
    if (!is_live(target, op, key)) return false;
    if (::rename(temp.c_str(), target.c_str()) != 0) fail(op, key, "cannot replace the session file", errno);
    temp.release();
    sync_directory(op, key);
    return true;
  }

  // Reads the whole file, at most max_file_bytes; false when it holds more.
  bool read_bounded(int fd, std::size_t size_hint, std::string_view key, std::string& out) const {
    const int err = file_store::read_bounded(fd, size_hint, self().options_.max_file_bytes, out);
    if (err > 0) fail("load", key, "cannot read the session file", err);
    return err == 0;
  }

  void check_size(const char* op, std::string_view key, std::string_view payload) const {
    if (payload.size() > self().options_.max_file_bytes) {
      throw LimitExceeded(message(op, key,
                                  "a payload of " + std::to_string(payload.size()) + " bytes exceeds max_file_bytes (" +
                                      std::to_string(self().options_.max_file_bytes) + ")",
                                  0));
    }
  }

  // mkostemp() in the store's directory: `<prefix><key><tag>XXXXXX`, mode 0600.
  ScratchFile make_scratch(const char* op, std::string_view key, std::string_view tag, Fd& fd) const {
    std::string name = file_path(key);
    name += tag;
    name += "XXXXXX";
    const int raw = ::mkostemp(name.data(), O_CLOEXEC);
    if (raw < 0) fail(op, key, "cannot create a temporary file", errno);
    fd = Fd(raw);
    return ScratchFile(std::move(name));
  }

  // The temporary file holding `payload`, stamped with `expires_at`, closed; unlinked on failure.
  ScratchFile write_temp(const char* op, std::string_view key, std::string_view payload, TimePoint expires_at) const {
    Fd fd;
    ScratchFile temp = make_scratch(op, key, "_out_", fd);
    if (const int err = write_all(fd.get(), payload); err != 0) {
      fail(op, key, "cannot write the session file", err);
    }
    // After the last write, which moves the mtime to "now".
    const timespec times[2] = {omit_time(), to_timespec(self().mtime_for_expiry(expires_at))};
    if (::futimens(fd.get(), times) != 0) fail(op, key, "cannot set the expiry", errno);
    if (self().options_.durable && ::fsync(fd.get()) != 0) fail(op, key, "cannot sync the session file", errno);
    if (const int err = fd.close(); err != 0) fail(op, key, "cannot write the session file", err);
    return temp;
  }

  // create() met an existing entry: true when it was not a live session and is gone now (retry the
  // link), false when a live session is there (or the entry cannot be moved).
  bool clear_dead_entry(std::string_view key, const std::string& target) const {
    struct stat st {};
    if (!lstat_or_absent(target, st, "create", key)) return true;
    if (live(st, self().options_.clock.now())) return false;
    // Take the entry away atomically and look at what was taken: a create that raced us may have
    // put a live session there after our lstat, and that one goes back.
    Fd fd;
    ScratchFile grave = make_scratch("create", key, "_old_", fd);
    fd.reset();
    if (::rename(target.c_str(), grave.c_str()) != 0) return errno == ENOENT;
    struct stat taken {};
    if (::lstat(grave.c_str(), &taken) == 0 && live(taken, self().options_.clock.now())) {
      (void)::link(grave.c_str(), target.c_str());  // EEXIST: a third create won; it keeps the name
      return false;
    }
    return true;  // `grave` unlinks what was taken
  }

  void sync_directory(const char* op, std::string_view key) const {
    if (!self().options_.durable) return;
    Fd dir(::open(self().dir_string_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
      // The change is made and visible; only its durability is in doubt. Throwing would make the
      // caller believe it failed.
      self().options_.logger(LogLevel::error, kLogCategory, message(op, key, "cannot sync the directory", errno));
    }
  }

  // What the directory lock reports in its errors, for operation `op` on `key`.
  struct LockMessage {
    const FileOps* ops;
    const char* op;
    std::string_view key;
    std::string operator()(const std::string& what) const { return ops->message(op, key, what, 0); }
  };
  [[nodiscard]] LockMessage locked(const char* op, std::string_view key) const { return {this, op, key}; }

  // `FileStore::op: what: errno text (directory, session abcd...)`, the stores' error format.
  [[nodiscard]] std::string message(const char* op, std::string_view key, std::string_view what, int err) const {
    std::string text(what);
    if (err != 0) text += ": " + errno_text(err);
    return store_message("FileStore", op, self().dir_string_, key, text);
  }

  [[noreturn]] void fail(const char* op, std::string_view key, std::string_view what, int err) const {
    throw StorageError(message(op, key, what, err));
  }

  void warn(const char* op, std::string_view key, std::string_view what) const {
    self().options_.logger(LogLevel::warning, kLogCategory,
                           message(op, key, "the session file " + std::string(what), 0));
  }

  void warn_oversized(std::string_view key) const {
    warn("load", key,
         "is larger than max_file_bytes (" + std::to_string(self().options_.max_file_bytes) +
             " bytes); treated as corrupted");
  }
};

}  // namespace sessions::detail::file_store
