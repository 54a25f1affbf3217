#pragma once
// Slow stores for the async API's tests and benchmark, over any server-side store.
//
// DelayingStore<Inner>: every call sleeps `delay` and then forwards (a blocking store with a
// server's latency: what the BlockingPool is for). TimerDelayedStore<Inner>: an AsyncStorage whose
// async operations wait on a steady_timer for `delay` and then forward, completing on the
// handler's executor (a native non-blocking store); its blocking calls forward at once.
//
// Both count the calls they are in now and the most ever in at once (overlap shows that requests
// waited together rather than in turn, without timing anything), and can be told to fail: every
// call then throws (or completes with) StorageError.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include <sessions/async/config.hpp>
#include <sessions/errors.hpp>
#include <sessions/record.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>

namespace async_test {

/// Calls in progress and the most ever in progress at once.
class Overlap {
 public:
  class Scope {
   public:
    explicit Scope(Overlap& o) : o_(o) {
      const int now = o_.now_.fetch_add(1) + 1;
      int seen = o_.most_.load();
      while (seen < now && !o_.most_.compare_exchange_weak(seen, now)) {
      }
      o_.calls_.fetch_add(1);
    }
    ~Scope() { o_.now_.fetch_sub(1); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Overlap& o_;
  };
  [[nodiscard]] int most() const noexcept { return most_.load(); }
  [[nodiscard]] int calls() const noexcept { return calls_.load(); }
  [[nodiscard]] int now() const noexcept { return now_.load(); }

 private:
  std::atomic<int> now_{0};
  std::atomic<int> most_{0};
  std::atomic<int> calls_{0};
};

/// The blocking calls of a ServerStorage, each forwarded to `inner()` through Derived's `call(f)`.
template <class Derived, class Inner>
class Forwarding {
 public:
  using payload_type = typename Inner::payload_type;

  std::optional<sessions::Record<payload_type>> load(std::string_view key) {
    return self().call([&] { return inner().load(key); });
  }
  bool create(std::string_view key, const payload_type& p, sessions::TimePoint t) {
    return self().call([&] { return inner().create(key, p, t); });
  }
  bool update(std::string_view key, const payload_type& p, sessions::TimePoint t) {
    return self().call([&] { return inner().update(key, p, t); });
  }
  bool touch(std::string_view key, sessions::TimePoint t) {
    return self().call([&] { return inner().touch(key, t); });
  }
  void remove(std::string_view key) {
    self().call([&] { inner().remove(key); });
  }
  bool exists(std::string_view key) {
    return self().call([&] { return inner().exists(key); });
  }
  std::size_t clear_expired() {
    return self().call([&] { return static_cast<std::size_t>(inner().clear_expired()); });
  }
  sessions::CasResult update_if(std::string_view key, const payload_type& p, sessions::TimePoint t,
                                const payload_type& expected) requires requires(Inner& i) {
    i.update_if(key, p, t, expected);
  }
  {
    return self().call([&] { return inner().update_if(key, p, t, expected); });
  }

  template <class... Args>
  explicit Forwarding(Args&&... args) : inner_(std::forward<Args>(args)...) {}
  Inner& inner() noexcept { return inner_; }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
  Inner inner_;
};

template <class Inner>
class DelayingStore : public Forwarding<DelayingStore<Inner>, Inner> {
  friend class Forwarding<DelayingStore<Inner>, Inner>;

 public:
  template <class... Args>
  explicit DelayingStore(std::chrono::milliseconds delay, Args&&... args)
      : Forwarding<DelayingStore<Inner>, Inner>(std::forward<Args>(args)...), delay_(delay) {}

  Overlap& overlap() noexcept { return overlap_; }
  /// Every call from now on throws StorageError (false: forwards again).
  void fail(bool on) noexcept { failing_.store(on); }
  /// Each call, after its delay, waits until `n` calls are in the store at once (5 s at most): a
  /// test of overlap then does not depend on how fast threads start on a loaded machine.
  void gather(int n) noexcept { gather_.store(n); }
  /// Calls from now on wait (after their delay) until release() (5 s at most): a test then
  /// decides when a call ends instead of guessing with a longer delay.
  void hold() noexcept { held_.store(true); }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_.store(false);
    }
    arrived_.notify_all();
  }

 private:
  template <class F>
  auto call(F&& f) {
    Overlap::Scope scope(overlap_);
    std::this_thread::sleep_for(delay_);
    if (const int n = gather_.load(); n > 0 || held_.load()) {
      std::unique_lock<std::mutex> lock(mutex_);
      arrived_.notify_all();
      arrived_.wait_for(lock, std::chrono::seconds(5), [&] { return !held_.load() && overlap_.most() >= n; });
    }
    if (failing_.load()) throw sessions::StorageError("the delaying store was told to fail");
    return f();
  }

  std::chrono::milliseconds delay_;
  Overlap overlap_;
  std::atomic<bool> failing_{false};
  std::atomic<int> gather_{0};
  std::atomic<bool> held_{false};
  std::mutex mutex_;
  std::condition_variable arrived_;
};

template <class R>
struct SignatureOf {
  using type = void(std::exception_ptr, R);
};
template <>
struct SignatureOf<void> {
  using type = void(std::exception_ptr);
};

template <class Inner>
class TimerDelayedStore : public Forwarding<TimerDelayedStore<Inner>, Inner> {
  friend class Forwarding<TimerDelayedStore<Inner>, Inner>;

 public:
  using payload_type = typename Inner::payload_type;
  using record_type = std::optional<sessions::Record<payload_type>>;

  /// `executor`: where the timers run (the store's I/O context).
  template <class... Args>
  TimerDelayedStore(boost::asio::any_io_executor executor, std::chrono::milliseconds delay, Args&&... args)
      : Forwarding<TimerDelayedStore<Inner>, Inner>(std::forward<Args>(args)...),
        executor_(std::move(executor)),
        delay_(delay) {}

  template <class Token>
  auto async_load(std::string_view key, Token&& token) {
    return later<record_type>(std::forward<Token>(token), [this, k = std::string(key)] { return inner().load(k); });
  }
  template <class Token>
  auto async_create(std::string_view key, const payload_type& p, sessions::TimePoint t, Token&& token) {
    return later<bool>(std::forward<Token>(token),
                       [this, k = std::string(key), p, t] { return inner().create(k, p, t); });
  }
  template <class Token>
  auto async_update(std::string_view key, const payload_type& p, sessions::TimePoint t, Token&& token) {
    return later<bool>(std::forward<Token>(token),
                       [this, k = std::string(key), p, t] { return inner().update(k, p, t); });
  }
  template <class Token>
  auto async_touch(std::string_view key, sessions::TimePoint t, Token&& token) {
    return later<bool>(std::forward<Token>(token), [this, k = std::string(key), t] { return inner().touch(k, t); });
  }
  template <class Token>
  auto async_remove(std::string_view key, Token&& token) {
    return later<void>(std::forward<Token>(token), [this, k = std::string(key)] { inner().remove(k); });
  }

  using Forwarding<TimerDelayedStore<Inner>, Inner>::inner;
  /// The async operations waiting now / at most at once, and how many were started.
  Overlap& overlap() noexcept { return overlap_; }
  /// Blocking calls made (the pool path's).
  [[nodiscard]] int blocking_calls() const noexcept { return blocking_.load(); }
  /// Every operation from now on fails with StorageError.
  void fail(bool on) noexcept { failing_.store(on); }

 private:
  // The blocking calls, at once (counted: a test of the native path checks none was made).
  template <class F>
  auto call(F&& f) {
    blocking_.fetch_add(1);
    if (failing_.load()) throw sessions::StorageError("the timer-delayed store was told to fail");
    return f();
  }

  // Waits `delay_` on a timer, then runs `f` and completes the handler on its executor.
  template <class R, class Token, class F>
  auto later(Token&& token, F f) {
    using Signature = typename SignatureOf<R>::type;
    return boost::asio::async_initiate<Token, Signature>(
        [this](auto handler, F work) {
          auto timer = std::make_shared<boost::asio::steady_timer>(executor_, delay_);
          auto scope = std::make_shared<Overlap::Scope>(overlap_);
          timer->async_wait([this, timer, scope, handler = std::move(handler),
                             work = std::move(work)](const boost::system::error_code&) mutable {
            std::exception_ptr error;
            std::optional<std::conditional_t<std::is_void_v<R>, int, R>> result;
            try {
              if (failing_.load()) throw sessions::StorageError("the timer-delayed store was told to fail");
              if constexpr (std::is_void_v<R>) {
                work();
                result.emplace(0);
              } else {
                result.emplace(work());
              }
            } catch (...) {
              error = std::current_exception();
            }
            scope.reset();
            auto ex = boost::asio::get_associated_executor(handler, executor_);
            boost::asio::dispatch(ex, [handler = std::move(handler), error, result = std::move(result)]() mutable {
              if constexpr (std::is_void_v<R>) {
                std::move(handler)(error);
              } else {
                std::move(handler)(error, result ? std::move(*result) : R{});
              }
            });
          });
        },
        token, std::move(f));
  }

  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds delay_;
  Overlap overlap_;
  std::atomic<int> blocking_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace async_test
