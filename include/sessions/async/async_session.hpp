#pragma once
// The Session operations that reach the store, as asynchronous operations:
//
//   async_load(session, pool, token)       the record read (if not read yet), processed at first use
//   async_save(session, pool, token)       save()
//   async_cycle_key(session, pool, token)  cycle_key()
//   async_flush(session, pool, token)      flush()
//
// each completing with void(std::exception_ptr, SessionT). The session is MOVED in and handed
// back: no thread ever touches a session its caller still holds. After an error the session
// comes back as the failed call left it (as the blocking call leaves it); after a timeout
// (StorageTimeout) or an abort (OperationAborted) it is gone with the operation, and an empty
// stand-in over the same store and settings comes back instead. Completion is on the token's
// associated executor (else `executor`, else Asio's system executor), never on a pool thread.

#include <exception>
#include <utility>

#include "../detail/session_access.hpp"
#include "blocking_pool.hpp"
#include "config.hpp"
#include "detail/fetch.hpp"
#include "detail/run_blocking.hpp"
#include "options.hpp"

namespace sessions {

namespace detail {
template <class SessionT, class Op, class Token>
auto session_operation(SessionT session, BlockingPool& pool, const AsyncOptions& options,
                       const asio::any_io_executor& executor, Op op, Token&& token) {
  SessionT blank = SessionAccess::blank_like(session);
  return run_blocking(pool, options, executor, std::move(blank), SessionWork<SessionT, Op>{std::move(session), op},
                      std::forward<Token>(token));
}
struct SaveOp {
  template <class SessionT>
  void operator()(SessionT& s) const {
    s.save();
  }
};
struct CycleKeyOp {
  template <class SessionT>
  void operator()(SessionT& s) const {
    s.cycle_key();
  }
};
struct FlushOp {
  template <class SessionT>
  void operator()(SessionT& s) const {
    s.flush();
  }
};
}  // namespace detail

template <class SessionT, class Token>
auto async_load(SessionT session, BlockingPool& pool, const AsyncOptions& options,
                const boost::asio::any_io_executor& executor, Token&& token) {
  return detail::fetch_record(std::move(session), pool, options, executor, std::forward<Token>(token));
}
template <class SessionT, class Token>
auto async_save(SessionT session, BlockingPool& pool, const AsyncOptions& options,
                const boost::asio::any_io_executor& executor, Token&& token) {
  return detail::session_operation(std::move(session), pool, options, executor, detail::SaveOp{},
                                   std::forward<Token>(token));
}
template <class SessionT, class Token>
auto async_cycle_key(SessionT session, BlockingPool& pool, const AsyncOptions& options,
                     const boost::asio::any_io_executor& executor, Token&& token) {
  return detail::session_operation(std::move(session), pool, options, executor, detail::CycleKeyOp{},
                                   std::forward<Token>(token));
}
template <class SessionT, class Token>
auto async_flush(SessionT session, BlockingPool& pool, const AsyncOptions& options,
                 const boost::asio::any_io_executor& executor, Token&& token) {
  return detail::session_operation(std::move(session), pool, options, executor, detail::FlushOp{},
                                   std::forward<Token>(token));
}

// The short forms: no deadline, the token's own executor (Asio's system executor when it has none).
template <class SessionT, class Token>
auto async_load(SessionT session, BlockingPool& pool, Token&& token) {
  return async_load(std::move(session), pool, {}, boost::asio::system_executor(), std::forward<Token>(token));
}
template <class SessionT, class Token>
auto async_save(SessionT session, BlockingPool& pool, Token&& token) {
  return async_save(std::move(session), pool, {}, boost::asio::system_executor(), std::forward<Token>(token));
}
template <class SessionT, class Token>
auto async_cycle_key(SessionT session, BlockingPool& pool, Token&& token) {
  return async_cycle_key(std::move(session), pool, {}, boost::asio::system_executor(), std::forward<Token>(token));
}
template <class SessionT, class Token>
auto async_flush(SessionT session, BlockingPool& pool, Token&& token) {
  return async_flush(std::move(session), pool, {}, boost::asio::system_executor(), std::forward<Token>(token));
}

}  // namespace sessions
