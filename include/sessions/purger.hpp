#pragma once
// Purger<Store>: removes expired sessions in the background, a bounded batch at a time, with
// their per-user index entries in the same step, and tells each as `expired`, reason "purged".
//
//   sessions::Purger purger{store, {.interval = std::chrono::minutes(1), .batch_size = 500}, settings};
//   purger.start();   // a thread of its own; stop() (or the destructor) ends it promptly
//
// How it relates to clear_expired(): clear_expired() (Django's) removes everything expired in
// one call and tells nobody; keep it for cron. The purger calls the store's purge_expired(batch),
// which removes at most `batch` records per step (one short transaction on SQL stores, so no
// long table lock), until a step finds fewer than `batch`; it cleans the index as it goes, which
// clear_expired() does too, and tells events, which clear_expired() does not. run_once() is one
// such pass, on the caller's thread (tests, or a cron job that wants the events).
//
// A pass that fails (the server is down) is logged on "sessions.purger" and tried again at the
// next interval; the thread never dies of it.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "clock.hpp"
#include "detail/lifecycle_check.hpp"
#include "detail/session_events.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "settings.hpp"
#include "user_index.hpp"

namespace sessions {

struct PurgerOptions {
  /// Time between two passes of the background thread.
  std::chrono::milliseconds interval{std::chrono::seconds(60)};
  /// The most sessions one step removes (one store call, one short transaction); at least 1.
  std::size_t batch_size = 1000;
};

template <class Store>
class Purger {
  static_assert(detail::LifecycleCheck<Store>::ok);

 public:
  /// `store` and `settings` (its clock, logger and on_event) must outlive the purger.
  explicit Purger(Store& store, PurgerOptions options = {}, const Settings& settings = default_settings())
      : store_(&store), settings_(&settings), options_(options) {
    if (options_.batch_size == 0) throw ConfigurationError("PurgerOptions::batch_size must be at least 1");
    if (options_.interval <= std::chrono::milliseconds::zero())
      throw ConfigurationError("PurgerOptions::interval must be positive");
  }
  // Not a temporary: the settings are held by reference.
  Purger(Store&, PurgerOptions, const Settings&&) = delete;

  Purger(const Purger&) = delete;
  Purger& operator=(const Purger&) = delete;
  ~Purger() { stop(); }

  /// Starts the background thread (no effect when it runs already). Its first pass comes at once.
  void start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
  }

  /// Ends the background thread: it wakes at once (a pass under way finishes its current step)
  /// and is joined before stop() returns.
  void stop() {
    std::thread thread;
    {
      std::lock_guard lock(mutex_);
      if (!thread_.joinable()) return;
      stopping_ = true;
      thread = std::move(thread_);
    }
    wake_.notify_all();
    thread.join();
  }

  [[nodiscard]] bool running() const {
    std::lock_guard lock(mutex_);
    return thread_.joinable();
  }

  /// One pass on the caller's thread, at `now`: steps of batch_size until one removes fewer;
  /// returns how many sessions it removed. Store errors propagate. Not cut short by stop(), which
  /// ends the background thread only.
  std::size_t run_once(TimePoint now) { return pass(now, /*background=*/false); }
  std::size_t run_once() { return run_once(settings_->clock.now()); }

  /// Sessions removed by every pass so far.
  [[nodiscard]] std::size_t purged_total() const {
    std::lock_guard lock(mutex_);
    return total_;
  }

 private:
  // One pass; the background thread's ends after the current step once stop() was called.
  std::size_t pass(TimePoint now, bool background) {
    std::size_t removed = 0;
    for (;;) {
      std::vector<PurgedSession> purged = store_->purge_expired(options_.batch_size, now);
      removed += purged.size();
      if (settings_->on_event) {
        for (const PurgedSession& s : purged)
          detail::tell_event<Store>(*settings_, SessionEventKind::expired, "purged", s.key, s.user_id);
      }
      if (purged.size() < options_.batch_size || (background && stop_requested())) break;
    }
    std::lock_guard lock(mutex_);
    total_ += removed;
    return removed;
  }

  bool stop_requested() const {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        (void)pass(settings_->clock.now(), /*background=*/true);
      } catch (const std::exception& e) {
        settings_->logger(LogLevel::warning, "sessions.purger", std::string("purge failed: ") + e.what());
      }
      lock.lock();
      wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    }
  }

  Store* store_;
  const Settings* settings_;
  PurgerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  bool stopping_ = false;
  std::size_t total_ = 0;
};

}  // namespace sessions
