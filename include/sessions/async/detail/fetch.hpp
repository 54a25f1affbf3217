#pragma once
// Reading a session's record ahead, off the session: the store's own async_load when it has one
// (AsyncStorage), else a blocking load on the pool. The record is handed to the session
// (SessionAccess::fetched), which processes it at its first use exactly as if it had read it then,
// so an opened session behaves as the blocking one does (a stale key is dropped at that use, and
// a session nobody touches stays unread as far as the response is concerned).

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "../../detail/session_access.hpp"
#include "../async_storage.hpp"
#include "run_blocking.hpp"

#include <boost/asio/bind_executor.hpp>

namespace sessions::detail {

struct NoOp {
  template <class SessionT>
  void operator()(SessionT&) const noexcept {}
};

template <class SessionT>
struct FetchRecord {
  void operator()(SessionT& session) const {
    if (const std::string* key = SessionAccess::key_to_fetch(session)) {
      SessionAccess::fetched(session, session.store().load(*key));
    }
  }
};

/// Completes `token` with void(std::exception_ptr, SessionT): `session` with its record fetched.
template <class SessionT, class Token>
auto fetch_record(SessionT session, BlockingPool& pool, const AsyncOptions& options,
                  const asio::any_io_executor& io_executor, Token&& token) {
  using Storage = typename SessionT::storage_type;
  if (!SessionAccess::key_to_fetch(session)) {  // read already, no key, or a cookie store: nothing to wait for
    SessionT blank = SessionAccess::blank_like(session);
    return complete_now(io_executor, std::move(blank), SessionWork<SessionT, NoOp>{std::move(session), {}},
                        std::forward<Token>(token));
  }
  if constexpr (AsyncStorage<Storage>) {
    return asio::async_initiate<Token, void(std::exception_ptr, SessionT)>(
        [timeout = options.timeout, io_executor](auto handler, SessionT s) {
          using Handler = decltype(handler);
          SessionT blank = SessionAccess::blank_like(s);
          auto completion = Completion<SessionT, Handler>::make(std::move(handler), io_executor, std::move(blank));
          completion->start_deadline(timeout);
          const std::string key = *SessionAccess::key_to_fetch(s);  // the store copies what it keeps
          Storage& store = s.store();
          store.async_load(
              key, asio::bind_executor(completion->executor(),
                                       [completion, s = std::move(s)](std::exception_ptr error, auto record) mutable {
                                         if (error) {
                                           completion->fail(std::move(error), std::move(s));
                                           return;
                                         }
                                         SessionAccess::fetched(s, std::move(record));
                                         completion->succeed(std::move(s));
                                       }));
        },
        token, std::move(session));
  } else {
    SessionT blank = SessionAccess::blank_like(session);
    return run_blocking(pool, options, io_executor, std::move(blank),
                        SessionWork<SessionT, FetchRecord<SessionT>>{std::move(session), {}},
                        std::forward<Token>(token));
  }
}

}  // namespace sessions::detail
