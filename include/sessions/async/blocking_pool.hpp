#pragma once
// BlockingPool: the threads on which the async API runs a store's blocking calls (every store
// without a native non-blocking path, and what that path does not cover). The application owns
// it and sizes it: a request waiting on the store holds a pool thread, not an I/O thread.
//
// Bounded: at most `max_queued` operations wait for a thread; one more is refused at once with
// StorageTimeout("the blocking pool's queue is full") rather than queued without end (a store
// that stalls would otherwise grow the queue, and every request's latency, without limit).
// stop() refuses new operations and completes the queued ones with OperationAborted (those
// running finish: a blocking call cannot be interrupted); the destructor stops and joins.

#include <atomic>
#include <cstddef>
#include <exception>
#include <utility>

#include "../errors.hpp"
#include "config.hpp"

namespace sessions {

class BlockingPool {
 public:
  using executor_type = boost::asio::thread_pool::executor_type;

  /// `threads` at least 1 (ConfigurationError otherwise: nothing would ever run).
  explicit BlockingPool(std::size_t threads, std::size_t max_queued = 1024)
      : pool_(checked(threads)), max_queued_(max_queued) {}
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  ~BlockingPool() {
    stop();
    join();
  }

  /// The pool's own executor (work posted there directly bypasses the bound and stop()).
  [[nodiscard]] executor_type executor() noexcept { return pool_.get_executor(); }

  /// Refuses new operations; the queued ones complete with OperationAborted as the threads reach them.
  void stop() noexcept { stopped_.store(true, std::memory_order_release); }
  /// Waits until every queued operation has run or been aborted and the threads have ended.
  void join() { pool_.join(); }

  [[nodiscard]] bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }
  /// Operations waiting for a thread now.
  [[nodiscard]] std::size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }
  /// Operations a pool thread has run so far (aborted ones not counted).
  [[nodiscard]] std::size_t jobs_run() const noexcept { return run_.load(std::memory_order_relaxed); }

  /// Queues `job` (a callable with run() and abort(std::exception_ptr)), or calls its abort() at
  /// once: StorageTimeout when the queue is full, OperationAborted when stopped. Each job gets
  /// exactly one of the two calls, on a pool thread or in this call; never both.
  template <class Job>
  void submit(Job job) {
    if (stopped()) {
      job.abort(std::make_exception_ptr(OperationAborted("the blocking pool is stopped")));
      return;
    }
    if (queued_.fetch_add(1, std::memory_order_relaxed) >= max_queued_) {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      job.abort(std::make_exception_ptr(StorageTimeout("the blocking pool's queue is full")));
      return;
    }
    boost::asio::post(pool_, [this, job = std::move(job)]() mutable {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      if (stopped()) {
        job.abort(std::make_exception_ptr(OperationAborted("the blocking pool was stopped")));
        return;
      }
      run_.fetch_add(1, std::memory_order_relaxed);
      job.run();
    });
  }

 private:
  static std::size_t checked(std::size_t threads) {
    if (threads == 0) throw ConfigurationError("a BlockingPool needs at least one thread");
    return threads;
  }

  boost::asio::thread_pool pool_;
  std::size_t max_queued_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::size_t> run_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace sessions
