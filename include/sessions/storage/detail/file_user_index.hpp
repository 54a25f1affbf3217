#pragma once
// FileStore's per-user index: a directory `<directory>/<cookie_name>.user_index` (not a session
// name: a key has no dot) beside the session files, created on first use with mode 0700:
//
//   k<key>             the entry of one session: its user and details, one field a line (user,
//                      user agent and address hex-encoded, instants in microseconds)
//   u<sha256(user)>/   one empty file per key of the user, for the listing
//   lock               flock'ed by every change, so that the count, the eviction and the write of
//                      a login are one step for every process sharing the directory
//
// A user id becomes a path only as the hex SHA-256 of itself (fixed length, nothing to escape,
// whatever bytes the session data held); a key only after is_valid_session_key. Nothing is
// opened through a symlink. An entry is believed only as far as the session file agrees: a
// listing shows only keys whose session is live.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../crypto/sha256.hpp"
#include "../../errors.hpp"
#include "../../session_key.hpp"
#include "../../user_index.hpp"
#include "../sql_common.hpp"
#include "file_io.hpp"

namespace sessions::detail::file_store {

class FileUserIndex {
 public:
  FileUserIndex(const std::string& directory, const std::string& cookie_name, std::chrono::milliseconds timeout)
      : root_(directory + "/" + cookie_name + ".user_index"), timeout_(timeout) {}

  /// The index directory exists (it is created by the first index()).
  [[nodiscard]] bool exists() const {
    struct stat st {};
    return ::lstat(root_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  /// exists(), remembered once true: what a removal asks before it looks for an entry.
  [[nodiscard]] bool in_use() const {
    if (seen_.load(std::memory_order_relaxed)) return true;
    if (!exists()) return false;
    seen_ = true;
    return true;
  }

  /// index_session of the contract; `live(key)`: the session file is live; `remove_session(key)`
  /// deletes an evicted session's file.
  template <class Live, class RemoveSession>
  IndexOutcome index(std::string_view user, std::string_view key, const SessionDetails& d,
                     const UserSessionLimit& limit, TimePoint now, Live&& live, RemoveSession&& remove_session) const {
    ensure();
    seen_ = true;
    const DirectoryLock lock = locked();
    IndexOutcome outcome;
    SessionDetails details = d;
    std::optional<Entry> previous = read(key);
    if (previous && previous->user != user) {
      erase(key, previous->user);
      previous.reset();
    }
    if (previous) {
      details.created = previous->details.created;
      if (details.user_agent.empty()) details.user_agent = previous->details.user_agent;
      if (details.address.empty()) details.address = previous->details.address;
    } else if (limit.max_sessions != 0) {
      std::vector<UserSession> others = sessions_of(user, now, live);
      if (others.size() >= limit.max_sessions) {
        if (limit.at_limit == UserSessionLimit::AtLimit::refuse_new) {
          outcome.refused = true;
          return outcome;
        }
        std::sort(others.begin(), others.end(), [](const UserSession& a, const UserSession& b) {
          return a.details.last_seen != b.details.last_seen ? a.details.last_seen < b.details.last_seen : a.key < b.key;
        });
        const std::size_t excess = others.size() - limit.max_sessions + 1;
        for (std::size_t n = 0; n < excess; ++n) {
          remove_session(others[n].key);
          erase(others[n].key, std::string(user));
          outcome.evicted.push_back(std::move(others[n].key));
        }
      }
    }
    write(key, user, details);
    return outcome;
  }

  void unindex(std::string_view user, std::string_view key) const {
    if (!is_valid_session_key(key) || !exists()) return;
    const DirectoryLock lock = locked();
    const std::optional<Entry> entry = read(key);
    if (entry && entry->user == user) erase(key, entry->user);
  }

  /// Removes the entry of `key`, whoever's it is; the user it was under (empty when none).
  std::string take(std::string_view key) const {
    if (!is_valid_session_key(key)) return {};
    const DirectoryLock lock = locked();
    std::optional<Entry> entry = read(key);
    if (!entry) return {};
    erase(key, entry->user);
    return std::move(entry->user);
  }

  template <class Live>
  std::vector<UserSession> list(std::string_view user, TimePoint now, Live&& live) const {
    if (!exists()) return {};
    const DirectoryLock lock = locked();
    std::vector<UserSession> out = sessions_of(user, now, live);
    std::sort(out.begin(), out.end(), [](const UserSession& a, const UserSession& b) {
      return a.details.created != b.details.created ? a.details.created < b.details.created : a.key < b.key;
    });
    return out;
  }

  /// At most `batch` entries whose expiry is past `now` and whose session is not live, removed.
  template <class Live>
  std::vector<PurgedSession> purge(std::size_t batch, TimePoint now, Live&& live) const {
    std::vector<PurgedSession> out;
    if (batch == 0 || !exists()) return out;
    const DirectoryLock lock = locked();
    for (const std::string& key : keys()) {
      if (out.size() >= batch) break;
      const std::optional<Entry> entry = read(key);
      if (!entry || entry->details.expires_at > now || live(key)) continue;
      erase(key, entry->user);
      out.push_back(PurgedSession{key, entry->user});
    }
    return out;
  }

  /// Entries held (expired ones not yet purged included).
  [[nodiscard]] std::size_t size() const { return exists() ? keys().size() : 0; }

 private:
  struct Entry {
    std::string user;
    SessionDetails details;
  };
  static constexpr std::size_t kMaxEntryBytes = 4096;

  DirectoryLock locked() const {
    return DirectoryLock(root_ + "/lock", timeout_,
                         [](const std::string& what) { return "FileStore: the per-user index: " + what; });
  }

  [[noreturn]] void fail(const std::string& what, int err) const {
    throw StorageError("FileStore: the per-user index (" + root_ + "): " + what + ": " + errno_text(err));
  }

  void ensure() const {
    if (::mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create the directory", errno);
    struct stat st {};
    if (::lstat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
      throw StorageError("FileStore: " + root_ + " is not a directory of this user; the per-user index cannot use it");
    }
  }

  [[nodiscard]] static std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
      const auto b = static_cast<unsigned char>(c);
      out += kDigits[b >> 4];
      out += kDigits[b & 15];
    }
    return out;
  }
  [[nodiscard]] static std::string unhex(std::string_view text) {
    std::string out;
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i + 1 < text.size(); i += 2)
      out += static_cast<char>((nibble(text[i]) << 4) | nibble(text[i + 1]));
    return out;
  }

  [[nodiscard]] std::string user_dir(std::string_view user) const {
    const crypto::Sha256Digest digest = crypto::sha256(user);
    return root_ + "/u" + hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  }
  [[nodiscard]] std::string entry_path(std::string_view key) const { return root_ + "/k" + std::string(key); }

  std::optional<Entry> read(std::string_view key) const {
    Fd fd(::open(entry_path(key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0) {
      if (errno == ENOENT) return std::nullopt;
      fail("cannot open an entry", errno);
    }
    std::string text;
    if (read_bounded(fd.get(), 256, kMaxEntryBytes, text) != 0) return std::nullopt;  // not ours: ignored
    std::vector<std::string_view> fields;
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t end = text.find('\n', start);
      if (end == std::string::npos) break;
      fields.emplace_back(text.data() + start, end - start);
      start = end + 1;
    }
    if (fields.size() != 6) return std::nullopt;
    const auto at = [&](std::size_t i) { return sql::from_unix_micros(sql::int_of(fields[i])); };
    return Entry{unhex(fields[0]), SessionDetails{at(1), at(2), at(3), unhex(fields[4]), unhex(fields[5])}};
  }

  void write(std::string_view key, std::string_view user, const SessionDetails& d) const {
    const std::string text = hex(user) + "\n" + std::to_string(sql::unix_micros(d.created)) + "\n" +
                             std::to_string(sql::unix_micros(d.last_seen)) + "\n" +
                             std::to_string(sql::unix_micros(d.expires_at)) + "\n" + hex(d.user_agent) + "\n" +
                             hex(d.address) + "\n";
    const std::string dir = user_dir(user);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create a user's directory", errno);
    const std::string member = dir + "/" + std::string(key);
    Fd mark(::open(member.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (mark.get() < 0) fail("cannot write a user's entry", errno);
    const std::string temp = entry_path(key) + ".tmp";  // under the lock: one writer at a time
    {
      Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
      if (fd.get() < 0) fail("cannot write an entry", errno);
      if (const int err = write_all(fd.get(), text); err != 0) fail("cannot write an entry", err);
    }
    if (::rename(temp.c_str(), entry_path(key).c_str()) != 0) fail("cannot publish an entry", errno);
  }

  void erase(std::string_view key, const std::string& user) const {
    (void)::unlink(entry_path(key).c_str());
    const std::string dir = user_dir(user);
    (void)::unlink((dir + "/" + std::string(key)).c_str());
    (void)::rmdir(dir.c_str());  // only when it is empty
  }

  // The user's entries whose session is live (under the lock); dead ones removed on the way.
  template <class Live>
  std::vector<UserSession> sessions_of(std::string_view user, TimePoint now, Live&& live) const {
    std::vector<UserSession> out;
    const std::string dir = user_dir(user);
    std::vector<std::string> keys_of_user;
    (void)for_each_entry(dir, [&](std::string_view name) {
      if (is_valid_session_key(name)) keys_of_user.emplace_back(name);
    });
    for (std::string& key : keys_of_user) {
      std::optional<Entry> entry = read(key);
      if (!entry || entry->user != user) {
        (void)::unlink((dir + "/" + key).c_str());
        continue;
      }
      if (entry->details.expires_at <= now || !live(key)) continue;  // the purge's to remove and tell
      out.push_back(UserSession{std::move(key), std::move(entry->details)});
    }
    return out;
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    (void)for_each_entry(root_, [&](std::string_view name) {
      if (name.size() > 1 && name[0] == 'k' && is_valid_session_key(name.substr(1))) out.emplace_back(name.substr(1));
    });
    return out;
  }

  std::string root_;
  std::chrono::milliseconds timeout_;
  mutable std::atomic<bool> seen_{false};
};

}  // namespace sessions::detail::file_store
