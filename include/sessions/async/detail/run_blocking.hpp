#pragma once
// The pool path of every operation: `work` (the blocking code) runs on a BlockingPool thread and
// the operation completes through the shared Completion (deadline, abort, caller's executor).

#include <exception>
#include <optional>
#include <utility>

#include "../blocking_pool.hpp"
#include "../options.hpp"
#include "completion.hpp"

namespace sessions::detail {

/// A Session operation's work: `op(session)` on the pool; the session is handed back, also after
/// `op` threw (as the failed call left it, as the blocking API leaves it in the caller's hands).
template <class SessionT, class Op>
struct SessionWork {
  SessionT session;
  Op op;
  SessionT operator()() {
    op(session);
    return std::move(session);
  }
  std::optional<SessionT> salvage() { return std::optional<SessionT>(std::move(session)); }
};

/// Starts `work` on `pool` for an operation of result T that completes `token` with
/// void(std::exception_ptr, T); `fallback` goes beside an error when the work cannot hand back
/// anything (timed out, aborted).
template <class T, class Work, class Token>
auto run_blocking(BlockingPool& pool, const AsyncOptions& options, const asio::any_io_executor& io_executor, T fallback,
                  Work work, Token&& token) {
  return asio::async_initiate<Token, void(std::exception_ptr, T)>(
      [&pool, timeout = options.timeout, io_executor](auto handler, T fallback_value, Work work_value) {
        using Handler = decltype(handler);
        auto completion = Completion<T, Handler>::make(std::move(handler), io_executor, std::move(fallback_value));
        completion->start_deadline(timeout);
        pool.submit(PoolJob<T, Handler, Work>{std::move(completion), std::move(work_value)});
      },
      token, std::move(fallback), std::move(work));
}

/// Completes `token` with `value`, or with the error `make` throws, at once (posted to the
/// handler's executor: never inside this call): for operations with nothing to wait for.
template <class T, class Make, class Token>
auto complete_now(const asio::any_io_executor& io_executor, T fallback, Make make, Token&& token) {
  return asio::async_initiate<Token, void(std::exception_ptr, T)>(
      [io_executor](auto handler, T fallback_value, Make make_value) {
        auto completion =
            Completion<T, decltype(handler)>::make(std::move(handler), io_executor, std::move(fallback_value));
        try {
          completion->succeed(make_value());
        } catch (...) {
          completion->fail(std::current_exception());
        }
      },
      token, std::move(fallback), std::move(make));
}

}  // namespace sessions::detail
