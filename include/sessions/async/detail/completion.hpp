#pragma once
// The completion plumbing every asynchronous operation shares, pool path and native path alike:
// the caller's handler, the executor it completes on, the deadline, and the one-shot flag that
// the result, the deadline and an abort race for. Whichever settles the operation first wins;
// the others find it settled and drop what they hold (a result that comes after the deadline is
// destroyed where it arrives: the caller has had its StorageTimeout).
//
// The handler always runs on its associated executor (else the operation's I/O executor) and is
// always posted there: never run on a pool thread, never inside the initiating call. The work
// guard keeps that executor's context running until then.

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "../../errors.hpp"
#include "../config.hpp"

#include <boost/asio/executor_work_guard.hpp>

namespace sessions::detail {

// Outstanding work on an executor, standard (Asio 1.18's execution::executor: the tracked
// property) or of the older kind (use_future's): keeps its context running until released.
template <class Executor, bool Standard = asio::execution::is_executor<Executor>::value>
class WorkGuard {
 public:
  explicit WorkGuard(const Executor& executor)
      : work_(asio::prefer(executor, asio::execution::outstanding_work.tracked)) {}
  void reset() { work_.reset(); }

 private:
  std::optional<
      std::decay_t<decltype(asio::prefer(std::declval<const Executor&>(), asio::execution::outstanding_work.tracked))>>
      work_;
};
template <class Executor>
class WorkGuard<Executor, false> {
 public:
  explicit WorkGuard(const Executor& executor) : work_(executor) {}
  void reset() { work_.reset(); }

 private:
  asio::executor_work_guard<Executor> work_;
};

template <class T, class Handler>
class Completion : public std::enable_shared_from_this<Completion<T, Handler>> {
  struct Private {};

 public:
  /// `fallback`: what the handler gets beside an error when nothing better is at hand (an empty
  /// stand-in session, no headers).
  Completion(Private, Handler handler, const asio::any_io_executor& io_executor, T fallback)
      : handler_(std::move(handler)),
        executor_(asio::get_associated_executor(handler_, io_executor)),
        work_(executor_),
        io_executor_(io_executor),
        value_(std::move(fallback)) {}

  static std::shared_ptr<Completion> make(Handler handler, const asio::any_io_executor& io_executor, T fallback) {
    return std::make_shared<Completion>(Private{}, std::move(handler), io_executor, std::move(fallback));
  }

  using executor_type = asio::associated_executor_t<Handler, asio::any_io_executor>;

  /// The executor the handler runs on (the native path's store completes there too).
  [[nodiscard]] const executor_type& executor() const noexcept { return executor_; }

  /// Arms the deadline (none when zero): past it the operation completes with StorageTimeout.
  void start_deadline(std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) return;
    timer_.emplace(io_executor_, timeout);  // an I/O executor (a handler's may host no timer)
    timer_->async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
      if (!ec)
        self->fail(std::make_exception_ptr(StorageTimeout("the operation took longer than AsyncOptions::timeout")));
    });
  }

  /// Settled already (completed, failed, timed out or aborted): work not started yet need not run.
  [[nodiscard]] bool settled() const noexcept { return settled_.load(std::memory_order_acquire); }

  /// The result; false (and `value` dropped) when the operation was settled already.
  bool succeed(T value) { return settle(nullptr, std::move(value)); }

  /// An error; with `value` when the operation can hand something back (the session as the failed
  /// call left it), else the fallback. False when settled already.
  bool fail(std::exception_ptr error, std::optional<T> value = std::nullopt) {
    return settle(std::move(error), std::move(value));
  }

 private:
  bool settle(std::exception_ptr error, std::optional<T> value) {
    if (settled_.exchange(true, std::memory_order_acq_rel)) return false;
    error_ = std::move(error);
    if (value) value_ = std::move(*value);
    // Work of this thread's own until the post has returned: the handler may run (and release the
    // operation's work) before post() is done with the context, whose owner may then destroy it.
    const WorkGuard<executor_type> posting(executor_);
    asio::post(executor_, [self = this->shared_from_this()]() mutable { self->deliver(); });
    return true;
  }

  // On the handler's executor, once.
  void deliver() {
    if (timer_) timer_->cancel();  // its wait would hold the context until the deadline
    Handler handler = std::move(handler_);
    std::move(handler)(std::move(error_), std::move(*value_));
    work_.reset();
  }

  Handler handler_;
  executor_type executor_;
  WorkGuard<executor_type> work_;  // until the handler has run
  asio::any_io_executor io_executor_;
  std::optional<T> value_;
  std::exception_ptr error_;
  std::optional<asio::steady_timer> timer_;
  std::atomic<bool> settled_{false};
};

/// A pool job: runs `work` (T(), or an object with T operator()() and std::optional<T> salvage()
/// that hands back what it holds after a throw) unless the operation is settled already.
template <class T, class Handler, class Work>
struct PoolJob {
  std::shared_ptr<Completion<T, Handler>> completion;
  Work work;

  void run() {
    if (completion->settled()) return;  // timed out while queued: the blocking call is not made
    try {
      completion->succeed(work());
    } catch (...) {
      completion->fail(std::current_exception(), salvage());
    }
  }
  void abort(std::exception_ptr error) { completion->fail(std::move(error)); }

 private:
  std::optional<T> salvage() {
    if constexpr (requires { work.salvage(); }) {
      return work.salvage();
    } else {
      return std::nullopt;
    }
  }
};

}  // namespace sessions::detail
