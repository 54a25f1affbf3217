#pragma once
// AsyncMiddleware: Middleware's open() and finish() as asynchronous operations, for servers whose
// I/O threads must not wait on a store.
//
//   sessions::BlockingPool pool{4};
//   sessions::AsyncMiddleware async{middleware, pool, {.timeout = 200ms}, io.get_executor()};
//   auto session = co_await async.async_open(cookie_header, secure, std::nullopt, use_awaitable);
//   ... the handler reads and changes the session ...
//   HeaderFields headers = co_await async.async_finish(std::move(session), status, use_awaitable);
//
// async_open completes with the session, its record already read (the blocking store's load on
// the pool, or a native store's async_load), so the handler's reads do not block; async_finish
// with Middleware::finish's headers, its save made on the pool (or natively). The decisions and
// the headers are Middleware's own, byte for byte; so are the errors (SessionInterrupted,
// ConflictError, LimitExceeded, StorageError, ...), delivered as the exception_ptr (rethrown by
// use_awaitable and use_future). A deadline past (AsyncOptions::timeout) is StorageTimeout, a
// stopped pool OperationAborted. The session is moved into each operation and handed back (or,
// after a timeout or abort, gone).

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "../concepts.hpp"
#include "../detail/session_access.hpp"
#include "../header_fields.hpp"
#include "blocking_pool.hpp"
#include "config.hpp"
#include "detail/fetch.hpp"
#include "detail/native_finish.hpp"
#include "detail/run_blocking.hpp"
#include "options.hpp"

namespace sessions {

template <class MiddlewareT>
class AsyncMiddleware {
 public:
  using session_type = typename MiddlewareT::session_type;
  using executor_type = boost::asio::any_io_executor;

  /// `executor`: where a completion whose token names no executor of its own runs (Asio's system
  /// executor by default; pass the connection's or the io_context's).
  AsyncMiddleware(const MiddlewareT& middleware, BlockingPool& pool, AsyncOptions options = {},
                  executor_type executor = boost::asio::system_executor())
      : middleware_(&middleware), pool_(&pool), options_(options), executor_(std::move(executor)) {}
  AsyncMiddleware(const MiddlewareT&&, BlockingPool&, AsyncOptions = {}, executor_type = {}) = delete;

  /// Middleware::open(), then the session's record read: void(std::exception_ptr, session_type).
  template <class Token>
  auto async_open(std::string cookie_header, bool secure, std::optional<std::string> session_header,
                  Token&& token) const {
    session_type session = session_header ? middleware_->open(cookie_header, secure, std::string_view(*session_header))
                                          : middleware_->open(cookie_header, secure);
    return detail::fetch_record(std::move(session), *pool_, options_, executor_, std::forward<Token>(token));
  }

  /// Middleware::finish(session, status): void(std::exception_ptr, HeaderFields). Over an
  /// AsyncStorage store a plain write is made natively; a compare-and-set save (lost_update fail
  /// or merge) and a store's per-user index go to the pool; a cookie store completes at once.
  template <class Token>
  auto async_finish(session_type session, int status, Token&& token) const {
    using Storage = typename session_type::storage_type;
    if constexpr (ClientStorage<Storage>) {
      return detail::complete_now(executor_, HeaderFields{}, Finish{middleware_, std::move(session), status},
                                  std::forward<Token>(token));
    } else if constexpr (detail::native_finish_store<session_type>) {
      using Native = detail::NativeFinish<MiddlewareT, void (*)(std::exception_ptr, HeaderFields)>;
      if (Native::covers(session)) {
        return boost::asio::async_initiate<Token, void(std::exception_ptr, HeaderFields)>(
            [this, status](auto handler, session_type s) {
              using Op = detail::NativeFinish<MiddlewareT, decltype(handler)>;
              auto completion = detail::Completion<HeaderFields, decltype(handler)>::make(std::move(handler), executor_,
                                                                                          HeaderFields{});
              completion->start_deadline(options_.timeout);
              std::make_shared<Op>(std::move(completion), *middleware_, std::move(s), status)->start();
            },
            token, std::move(session));
      }
    }
    if (detail::SessionAccess::key_to_fetch(session) != nullptr) {
      // The record is still to be read (a session async_open did not open): all of finish() on the pool.
      return detail::run_blocking(*pool_, options_, executor_, HeaderFields{},
                                  Finish{middleware_, std::move(session), status}, std::forward<Token>(token));
    }
    // The record is read: finish()'s decision is CPU work, made on this thread, and only a save
    // goes to the pool (a request that saves nothing, most of them, never leaves this thread).
    HeaderFields headers;
    std::exception_ptr error;
    bool save = false;
    try {
      save = middleware_->decide_finish(session, status, headers);
    } catch (...) {
      error = std::current_exception();
    }
    if (error || !save) {
      return detail::complete_now(
          executor_, HeaderFields{},
          [error, decided = std::move(headers)]() mutable {
            if (error) std::rethrow_exception(error);
            return std::move(decided);
          },
          std::forward<Token>(token));
    }
    return detail::run_blocking(*pool_, options_, executor_, HeaderFields{},
                                Save{middleware_, std::move(session), std::move(headers)}, std::forward<Token>(token));
  }

  [[nodiscard]] const MiddlewareT& middleware() const noexcept { return *middleware_; }
  [[nodiscard]] BlockingPool& pool() const noexcept { return *pool_; }
  [[nodiscard]] const AsyncOptions& options() const noexcept { return options_; }
  [[nodiscard]] const executor_type& get_executor() const noexcept { return executor_; }

 private:
  struct Finish {
    const MiddlewareT* middleware;
    session_type session;
    int status;
    HeaderFields operator()() { return middleware->finish(session, status); }
  };
  // finish() after its decision (made on the I/O thread): the save and the headers it completes.
  struct Save {
    const MiddlewareT* middleware;
    session_type session;
    HeaderFields headers;
    HeaderFields operator()() {
      middleware->save_and_finish(session, headers);
      return std::move(headers);
    }
  };

  const MiddlewareT* middleware_;
  BlockingPool* pool_;
  AsyncOptions options_;
  executor_type executor_;
};

}  // namespace sessions
