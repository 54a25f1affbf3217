#pragma once
// The connection pool every store that holds connections uses (SQLite, PostgreSQL, Redis,
// memcached): at most `pool_size` connections, opened on demand and shared by every thread; a
// caller that finds none free waits up to `pool_timeout` and then gets StorageTimeout. A
// connection is lent as a Lease (RAII): it goes back to the pool when the lease ends, or is
// closed when the lease was discard()ed because the connection broke. Optionally, failed connects
// start a back-off (doubling up to a maximum) during which no new connection is attempted, so an
// unreachable server costs one connect timeout per back-off period, not one per request.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../errors.hpp"
#include "../../log.hpp"
#include "store_options.hpp"

namespace sessions::detail {

/// The pool settings every connection-holding store's Options carries, under these names.
struct PoolSettings {
  /// Most connections open at once (in use or idle). At least 1.
  std::size_t pool_size = 8;
  /// Longest wait for a free connection when all pool_size are in use. Positive.
  std::chrono::milliseconds pool_timeout{1000};
  /// After a failed connect, no new one for this long, doubling per consecutive failure up to
  /// backoff_max. Zero: no back-off.
  std::chrono::milliseconds backoff{0};
  std::chrono::milliseconds backoff_max{0};
};

/// The one validation rule for pool sizes and timeouts; `store` names the store in the message.
inline void validate_pool_settings(std::string_view store, const PoolSettings& s) {
  require_at_least_one(store, "pool_size", s.pool_size);
  require_positive(store, "pool_timeout", s.pool_timeout);
  if (s.backoff < std::chrono::milliseconds::zero() || s.backoff_max < s.backoff) {
    throw ConfigurationError(std::string(store) + ": the reconnect back-off must be 0 <= backoff <= backoff_max");
  }
}

/// `Conn` is a movable, pointer-like handle that closes its connection when destroyed (a
/// unique_ptr, possibly with a custom deleter).
template <class Conn>
class ConnectionPool {
 public:
  using SteadyClock = std::chrono::steady_clock;

  /// `store` names the store in configuration errors; `logger` and `category` receive the back-off
  /// warnings, prefixed with `server` ("RedisStore: 127.0.0.1:6379").
  ConnectionPool(std::string_view store, PoolSettings settings, Logger logger = {}, std::string_view category = {},
                 std::string server = {})
      : settings_(settings), logger_(logger), category_(category), server_(std::move(server)) {
    validate_pool_settings(store, settings_);
  }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// A lent connection: back to the pool when the lease ends, unless discard()ed.
  class Lease {
   public:
    Lease(ConnectionPool& pool, Conn conn, bool fresh) noexcept : pool_(&pool), conn_(std::move(conn)), fresh_(fresh) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)), fresh_(other.fresh_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->give_back(std::move(conn_));
    }
    // Conn is pointer-like: these reach the connection it owns.
    [[nodiscard]] auto get() const noexcept { return conn_.get(); }
    [[nodiscard]] auto operator->() const noexcept { return conn_.get(); }
    [[nodiscard]] auto& operator*() const noexcept { return *conn_; }
    /// True when the connection was opened for this lease (not reused from the pool).
    [[nodiscard]] bool fresh() const noexcept { return fresh_; }
    /// The connection broke: it is closed instead of going back, and its slot is freed.
    void discard() noexcept {
      if (pool_ == nullptr) return;
      { Conn closed = std::move(conn_); }
      std::exchange(pool_, nullptr)->forget_one();
    }

   private:
    ConnectionPool* pool_;
    Conn conn_;
    bool fresh_;
  };

  /// An idle connection (dropped first when `healthy(conn)` says it died while idle), or a new one
  /// from `connect()` (which throws StorageError when it cannot). When all pool_size are lent,
  /// waits up to pool_timeout, then throws StorageTimeout(`context(what)`); during a back-off,
  /// StorageError(`context(what)`). `context` turns "what" into the store's full message.
  template <class Connect, class Healthy, class Context>
  Lease acquire(Connect&& connect, Healthy&& healthy, Context&& context) {
    const auto deadline = SteadyClock::now() + settings_.pool_timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
      while (!idle_.empty()) {
        Conn conn = std::move(idle_.back());
        idle_.pop_back();
        if (healthy(conn)) return Lease(*this, std::move(conn), false);
        --open_;  // closed by the server meanwhile: replaced below
      }
      if (open_ < settings_.pool_size) {
        const auto now = SteadyClock::now();
        if (now < retry_at_) {
          const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now);
          throw StorageError(context("the server is unreachable (" + last_error_ + "); next connection attempt in " +
                                     std::to_string(wait.count() + 1) + " ms"));
        }
        ++open_;  // reserved; connected outside the lock
        lock.unlock();
        return Lease(*this, connect_reserved(connect, context), true);
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= settings_.pool_size) {
        throw StorageTimeout(context("no free connection within " + std::to_string(settings_.pool_timeout.count()) +
                                     " ms (pool_size " + std::to_string(settings_.pool_size) + ")"));
      }
    }
  }

  /// acquire() with every idle connection taken as healthy.
  template <class Connect, class Context>
  Lease acquire(Connect&& connect, Context&& context) {
    return acquire(
        std::forward<Connect>(connect), [](const Conn&) { return true; }, std::forward<Context>(context));
  }

  /// Adds a connection opened outside the pool (a store's constructor opens one to check its
  /// configuration); ignored when the pool is full.
  void adopt(Conn conn) {
    std::lock_guard lock(mutex_);
    if (open_ >= settings_.pool_size) return;
    idle_.push_back(std::move(conn));
    ++open_;
  }

  /// Connections open (lent, idle or being connected) and idle, at this instant.
  struct State {
    std::size_t open = 0;
    std::size_t idle = 0;
  };
  [[nodiscard]] State state() const {
    std::lock_guard lock(mutex_);
    return State{open_, idle_.size()};
  }
  [[nodiscard]] const PoolSettings& settings() const noexcept { return settings_; }
  /// The prefix of back-off messages, for a store that knows its server only after validating.
  void set_server(std::string server) { server_ = std::move(server); }

 private:
  // connect() for a slot already counted in open_: on failure the slot is freed, the back-off
  // starts (or grows), and the error is rethrown with the store's context.
  template <class Connect, class Context>
  Conn connect_reserved(Connect& connect, Context& context) {
    try {
      Conn conn = connect();
      std::unique_lock lock(mutex_);
      if (failures_ != 0) {
        const int failures = std::exchange(failures_, 0);
        retry_at_ = {};
        lock.unlock();
        logger_(LogLevel::info, category_,
                server_ + ": connected again after " + std::to_string(failures) + " failed attempt(s)");
      }
      return conn;
    } catch (const StorageError& e) {
      const std::string why = e.what();
      std::chrono::milliseconds pause{};
      {
        std::lock_guard lock(mutex_);
        --open_;
        ++failures_;
        pause = settings_.backoff;
        for (int i = 1; i < failures_ && pause < settings_.backoff_max; ++i) pause *= 2;
        if (pause > settings_.backoff_max) pause = settings_.backoff_max;
        retry_at_ = SteadyClock::now() + pause;
        last_error_ = why;
      }
      cv_.notify_one();
      if (pause > std::chrono::milliseconds::zero()) {
        logger_(LogLevel::warning, category_,
                server_ + ": " + why + "; no new attempt for " + std::to_string(pause.count()) + " ms");
      }
      throw StorageError(context(why));
    } catch (...) {
      forget_one();
      throw;
    }
  }

  void give_back(Conn conn) noexcept {
    {
      std::lock_guard lock(mutex_);
      try {
        idle_.push_back(std::move(conn));
      } catch (...) {
        --open_;  // no room to keep it: closed (conn's destructor, after the lock)
      }
    }
    cv_.notify_one();
  }

  void forget_one() noexcept {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    cv_.notify_one();
  }

  PoolSettings settings_;
  Logger logger_;
  std::string_view category_;
  std::string server_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Conn> idle_;
  std::size_t open_ = 0;  // idle + lent + being connected
  int failures_ = 0;      // consecutive failed connects
  SteadyClock::time_point retry_at_{};
  std::string last_error_;
};

}  // namespace sessions::detail
