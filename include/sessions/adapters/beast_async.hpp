#pragma once
// Boost.Beast adapter, asynchronous: Django's SessionMiddleware around a Beast request handler in
// a coroutine server, the session read and saved through sessions::AsyncMiddleware (the blocking
// pool, or the store's own non-blocking path), so that the I/O thread never waits on the store.
//
//   sessions::BlockingPool pool{16};
//   sessions::AsyncMiddleware async_middleware{middleware, pool};
//   ...  // in a coroutine serving one connection:
//   http::response<http::string_body> res = co_await sessions::beast_adapter::async_handle(
//       async_middleware, req,
//       [](const auto& req, auto& session) {  // or a coroutine returning awaitable<response>
//         const auto visits = session.get("num_visits", 0) + 1;
//         session.set("num_visits", visits);
//         http::response<http::string_body> res{http::status::ok, req.version()};
//         res.body() = "Visits: " + std::to_string(visits);
//         res.prepare_payload();
//         return res;
//       },
//       asio::use_awaitable);
//
// The same contract as beast_adapter::handle() (adapters/beast.hpp): the handler gets the
// request's session, already read, and returns its response; the middleware's headers go onto it;
// a 5xx saves nothing; a session deleted meanwhile turns the response into a 400; a handler that
// throws saves nothing and its exception completes the operation. Errors of the store complete it
// too, typed as the blocking API's (StorageError, StorageTimeout, OperationAborted, ...): a
// caller answers 503 for them as it would around handle().
//
// Completion signature: void(std::exception_ptr, Response). The handler runs, and the operation
// completes, on the completion handler's associated executor (use_awaitable: the coroutine's; a
// callback: the one asio::bind_executor gave it), else on the AsyncMiddleware's executor (give it
// the io_context's): never on a pool thread. `request` (and the handler's captures) must outlive
// the operation, as the message of Beast's own async_write must.
//
// Not included by <sessions/sessions.hpp>: it needs Boost (Debian: libboost-dev) and the async
// API (<sessions/async.hpp>).

// The async API first: it sets up Asio's coroutine support before any Asio header is read.
#include "../async.hpp"
#include "beast.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace sessions::beast_adapter {

namespace async_detail {

template <class T>
inline constexpr bool is_awaitable = false;
template <class T, class Executor>
inline constexpr bool is_awaitable<boost::asio::awaitable<T, Executor>> = true;

// The handler's response: what it returns, or what its awaitable yields.
template <class Result>
struct awaited {
  using type = Result;
};
template <class T, class Executor>
struct awaited<boost::asio::awaitable<T, Executor>> {
  using type = T;
};

template <class AsyncMiddlewareT>
using session_of = typename std::remove_cvref_t<AsyncMiddlewareT>::session_type;

template <class Handler, class Request, class AsyncMiddlewareT>
using handler_result = std::invoke_result_t<Handler&, const Request&, session_of<AsyncMiddlewareT>&>;

template <class Handler, class Request, class AsyncMiddlewareT>
using response_of = std::remove_cvref_t<typename awaited<handler_result<Handler, Request, AsyncMiddlewareT>>::type>;

// One request, start to end, as a coroutine on the caller's executor. The session lives in this
// frame while the handler runs (a handler coroutine borrows it) and is then moved into
// async_finish, so no other thread ever sees it while this frame can.
template <class Response, class AsyncMiddlewareT, class Request, class Handler>
boost::asio::awaitable<Response> run_request(AsyncMiddlewareT& async_middleware, const Request& request,
                                             Handler handler, bool secure) {
  // Every co_await is a statement of its own, its operands named: clang++ 14 miscompiles a
  // co_await inside a larger expression (a call's argument next to a reference into the frame).
  std::string cookie_header = joined_header(request, http::field::cookie, "; ");
  std::optional<std::string> token = session_header(async_middleware.middleware(), request);
  auto session = co_await async_middleware.async_open(std::move(cookie_header), secure, std::move(token),
                                                      boost::asio::use_awaitable);
  Response response;
  if constexpr (is_awaitable<handler_result<Handler, Request, AsyncMiddlewareT>>) {
    response = co_await std::invoke(handler, request, session);
  } else {
    response = std::invoke(handler, request, session);
  }
  const int status = static_cast<int>(response.result_int());
  HeaderFields headers;
  std::optional<Response> interrupted;
  try {
    headers = co_await async_middleware.async_finish(std::move(session), status, boost::asio::use_awaitable);
  } catch (const SessionInterrupted& e) {
    interrupted.emplace(interrupted_response<Response>(request, e));  // no co_return in a handler
  }
  if (interrupted) co_return std::move(*interrupted);
  apply_headers(response.base(), headers);
  co_return response;
}

}  // namespace async_detail

/// Runs `handler(request, session)` with the request's session, read through `async_middleware`
/// (a sessions::AsyncMiddleware), and completes with the handler's response, the middleware's
/// headers applied (see the top of this file). `handler` returns a Beast response or an
/// asio::awaitable of one.
template <class AsyncMiddlewareT, class RequestBody, class RequestFields, class Handler, class CompletionToken>
requires std::is_invocable_v < Handler&, const http::request<RequestBody, RequestFields>
&, async_detail::session_of<AsyncMiddlewareT>& >
       auto async_handle(AsyncMiddlewareT& async_middleware, const http::request<RequestBody, RequestFields>& request,
                         Handler handler, CompletionToken&& token, bool secure = false) {
  using Request = http::request<RequestBody, RequestFields>;
  using Response = async_detail::response_of<Handler, Request, AsyncMiddlewareT>;
  static_assert(is_beast_response<Response>,
                "the handler must return a boost::beast::http::response (or an awaitable of one)");
  return boost::asio::async_initiate<CompletionToken, void(std::exception_ptr, Response)>(
      [&async_middleware, &request, secure](auto completion, Handler request_handler) {
        const auto executor = boost::asio::get_associated_executor(completion, async_middleware.get_executor());
        boost::asio::co_spawn(
            executor,
            async_detail::run_request<Response>(async_middleware, request, std::move(request_handler), secure),
            std::move(completion));
      },
      token, std::move(handler));
}

}  // namespace sessions::beast_adapter
