#pragma once
// Requests under fault: several threads run full session request cycles through
// sessions::Middleware in a loop (open the cookie's session, read and bump a counter, finish with
// 200, keep the Set-Cookie) while a test stops, pauses, fills or corrupts what is under the store.
// Each request's outcome is tallied by type, so a test can assert that every failure was a typed
// sessions error within a time bound, that requests succeed again afterwards, and that nothing
// else (another exception, a crash, a hang) happened.

#include <sessions/sessions.hpp>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fault_test {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// The session cookie's value in a Set-Cookie line ("" for a deletion or another cookie).
inline std::string session_cookie_value(std::string_view set_cookie, std::string_view name = "sessionid") {
  const std::string prefix = std::string(name) + "=";
  if (set_cookie.substr(0, prefix.size()) != prefix) return "";
  std::string_view value = set_cookie.substr(prefix.size());
  value = value.substr(0, value.find(';'));
  if (value == "\"\"") return "";
  return std::string(value);
}

template <class Store>
class RequestLoad {
 public:
  using SessionT = sessions::Session<Store>;

  struct Counts {
    long ok = 0;
    long storage_errors = 0;  // sessions::StorageError (typed: what a failing store must give)
    long interrupted = 0;     // sessions::SessionInterrupted (the record vanished under the request)
    long other = 0;           // anything else: always a bug
    /// Requests that found less than their thread's last acknowledged write of the same session
    /// (an older counter, or the session gone): a write the store said it made did not last.
    long lost_acknowledged = 0;
  };

  /// `blob_bytes`: each request also stores a value of that many bytes (to fill a disk).
  /// `fresh_sessions`: every request starts a new session instead of continuing its thread's one,
  /// so that the store must keep growing (a database rewriting pages it has already allocated
  /// would not notice a full disk).
  RequestLoad(Store& store, const sessions::Settings& settings, int threads, std::size_t blob_bytes = 0,
              bool fresh_sessions = false)
      : middleware_(store, settings),
        last_ok_(static_cast<std::size_t>(threads)),
        last_acknowledged_(static_cast<std::size_t>(threads)),
        blob_bytes_(blob_bytes),
        fresh_sessions_(fresh_sessions) {
    for (auto& t : last_ok_) t.store(Steady::time_point{}.time_since_epoch().count());
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this, i] { run(i); });
  }
  RequestLoad(const RequestLoad&) = delete;
  RequestLoad& operator=(const RequestLoad&) = delete;
  ~RequestLoad() { stop(); }

  void stop() {
    stopping_ = true;
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }

  [[nodiscard]] Counts counts() const {
    return Counts{ok_.load(), storage_errors_.load(), interrupted_.load(), other_.load(), lost_acknowledged_.load()};
  }
  /// After stop(): how many threads' last acknowledged write cannot be read back (the counter it
  /// wrote, or a later one, under the key its cookie names). Acknowledged means durable: a write
  /// that answered success and then vanished made the success a lie.
  [[nodiscard]] int unreadable_last_writes(const sessions::Settings& settings) {
    int missing = 0;
    for (const Acknowledged& last : last_acknowledged_) {
      if (last.cookie.empty()) continue;
      SessionT session(middleware_.store(), last.cookie, settings);
      if (session.get("n", -1L) < last.n) ++missing;
    }
    return missing;
  }
  /// Threads with at least one acknowledged write (what unreadable_last_writes() checks).
  [[nodiscard]] int threads_with_acknowledged_writes() const {
    return static_cast<int>(std::count_if(last_acknowledged_.begin(), last_acknowledged_.end(),
                                          [](const Acknowledged& a) { return !a.cookie.empty(); }));
  }
  /// When the last request that failed with StorageError ended (the epoch when none failed): for
  /// a failover, how long clients saw failures.
  [[nodiscard]] Steady::time_point last_failure() const {
    return Steady::time_point(Steady::duration(last_failure_.load()));
  }
  /// The slowest request so far, failed or not.
  [[nodiscard]] std::chrono::milliseconds slowest() const { return std::chrono::milliseconds(slowest_ms_.load()); }
  /// True when every thread had a successful request after `since`.
  [[nodiscard]] bool every_thread_succeeded_since(Steady::time_point since) const {
    return std::all_of(last_ok_.begin(), last_ok_.end(),
                       [&](const auto& t) { return t.load() > since.time_since_epoch().count(); });
  }
  /// Waits up to `limit` for every_thread_succeeded_since(since).
  [[nodiscard]] bool wait_for_success_since(Steady::time_point since, std::chrono::milliseconds limit) const {
    const auto deadline = Steady::now() + limit;
    while (Steady::now() < deadline) {
      if (every_thread_succeeded_since(since)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return every_thread_succeeded_since(since);
  }
  /// Messages of the untyped failures (empty when all is well) and a sample of the typed ones.
  [[nodiscard]] std::vector<std::string> other_messages() const {
    std::lock_guard lock(mutex_);
    return other_messages_;
  }
  [[nodiscard]] std::string sample_storage_error() const {
    std::lock_guard lock(mutex_);
    return sample_;
  }

 private:
  void run(int index) {
    std::string cookie;
    while (!stopping_) {
      const auto start = Steady::now();
      try {
        SessionT session = middleware_.open(cookie.empty() ? std::string() : "sessionid=" + cookie);
        const long n = session.get("n", 0L);
        Acknowledged& acked = last_acknowledged_[static_cast<std::size_t>(index)];
        if (!cookie.empty() && cookie == acked.cookie && n < acked.n) ++lost_acknowledged_;
        session.set("n", n + 1);
        session.set("thread", index);
        if (blob_bytes_ > 0) session.set("blob", std::string(blob_bytes_, static_cast<char>('a' + n % 26)));
        for (const auto& header : middleware_.finish(session, 200)) {
          if (header.name == "Set-Cookie") cookie = session_cookie_value(header.value);
        }
        if (!cookie.empty()) acked = Acknowledged{cookie, n + 1};
        if (fresh_sessions_) cookie.clear();
        ++ok_;
        last_ok_[static_cast<std::size_t>(index)].store(Steady::now().time_since_epoch().count());
      } catch (const sessions::StorageError& e) {
        ++storage_errors_;
        last_failure_.store(Steady::now().time_since_epoch().count());
        std::lock_guard lock(mutex_);
        if (sample_.empty()) sample_ = e.what();
      } catch (const sessions::SessionInterrupted&) {
        ++interrupted_;
        cookie.clear();  // as a browser would after the 400: start again
      } catch (const std::exception& e) {
        ++other_;
        std::lock_guard lock(mutex_);
        if (other_messages_.size() < 10) other_messages_.emplace_back(e.what());
      }
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start).count();
      long long seen = slowest_ms_.load();
      while (took > seen && !slowest_ms_.compare_exchange_weak(seen, took)) {
      }
      std::this_thread::sleep_for(2ms);  // a client's think time; also keeps a failing loop cool
    }
  }

  struct Acknowledged {
    std::string cookie;  // the session the write went to ("" before the first one)
    long n = 0;          // the counter it wrote
  };

  sessions::Middleware<SessionT> middleware_;
  std::vector<std::atomic<Steady::rep>> last_ok_;
  std::vector<Acknowledged> last_acknowledged_;  // each thread's own entry, read after stop()
  std::size_t blob_bytes_ = 0;
  bool fresh_sessions_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<long> ok_{0}, storage_errors_{0}, interrupted_{0}, other_{0}, lost_acknowledged_{0};
  std::atomic<long long> slowest_ms_{0};
  std::atomic<Steady::rep> last_failure_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> other_messages_;
  std::string sample_;
  std::vector<std::thread> workers_;
};

/// A small tmpfs mounted on a fresh directory for the life of the object: a real file system that
/// fills up (ENOSPC), for the disk-full tests. Mounting needs root (CAP_SYS_ADMIN), which the test
/// machines (CI, tools/test.sh) have; without it the constructor throws with an explanation.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(std::size_t bytes) {
    std::string pattern = (std::filesystem::temp_directory_path() / "sessions-tmpfs-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    const std::string data = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) != 0) {
      const int err = errno;
      std::filesystem::remove(path_);
      throw std::runtime_error("cannot mount a tmpfs for the disk-full test (" + std::string(std::strerror(err)) +
                               "): run the tests as root, as CI does");
    }
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  ~SmallTmpfs() {
    ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// Writes `name` until the file system is full; returns the bytes written.
  std::size_t fill(const std::string& name) const {
    const std::string chunk(4096, 'f');
    std::FILE* f = std::fopen((path_ / name).c_str(), "wb");
    if (f == nullptr) return 0;
    std::setvbuf(f, nullptr, _IONBF, 0);
    std::size_t written = 0;
    while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) written += chunk.size();
    // The last partial chunk: one byte at a time until nothing more fits.
    while (std::fwrite("f", 1, 1, f) == 1) ++written;
    std::fclose(f);
    return written;
  }

 private:
  std::filesystem::path path_;
};

/// Sessions written before a fault, with their data, to check afterwards that they are intact.
template <class Store>
struct WrittenSessions {
  std::vector<std::pair<std::string, sessions::Data>> sessions;

  WrittenSessions(Store& store, const sessions::Settings& settings, int count) {
    for (int i = 0; i < count; ++i) {
      sessions::Session<Store> s(store, settings);
      const sessions::Data data = {{"owner", "user" + std::to_string(i)}, {"cart", {i, i + 1, i + 2}}};
      s.update(data);
      s.save();
      sessions.emplace_back(*s.session_key(), data);
    }
  }

  /// How many of them load with exactly their data.
  [[nodiscard]] int intact(Store& store, const sessions::Settings& settings) const {
    int n = 0;
    for (const auto& [key, data] : sessions) {
      sessions::Session<Store> s(store, key, settings);
      if (s.data() == data) ++n;
    }
    return n;
  }
};

}  // namespace fault_test
