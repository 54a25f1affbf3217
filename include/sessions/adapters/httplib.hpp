#pragma once
// cpp-httplib adapter: Django's SessionMiddleware around an httplib handler.
//
//   sessions::Middleware<sessions::Session<sessions::FileStore>> middleware{store, settings};
//   server.Get("/", sessions::httplib_adapter::with_session(middleware,
//       [](const httplib::Request&, httplib::Response& res, auto& session) {
//         const auto visits = session.get("num_visits", 0) + 1;
//         session.set("num_visits", visits);
//         res.set_content("Visits: " + std::to_string(visits), "text/plain");
//       }));
//
// The handler runs with the request's session; afterwards the middleware's headers go onto the
// response: Set-Cookie (or the session header, Settings::session_id_from) appended (other cookies
// the handler set stay), Vary and Cache-Control merged into the handler's own (merge_header). The response status is read after the handler, so a 5xx
// saves nothing (Settings::no_save_status_from); a session deleted meanwhile (a concurrent logout)
// turns the response into a 400, as Django's SessionInterrupted does. A handler that throws
// saves nothing either: the headers of a 500 (Vary, a deleted cookie) are applied and the
// exception goes on to httplib, which answers 500.
//
// cpp-httplib 0.11 answers a POST without Content-Length (`curl -X POST URL`) with 400 after a
// 5 s wait, before any handler runs: accept_requests_without_length(server) fixes that.
//
// Not included by <sessions/sessions.hpp>: it needs <httplib.h>. With an httplib built with
// OpenSSL (CPPHTTPLIB_OPENSSL_SUPPORT), a request that came through an httplib::SSLServer opens
// its session as secure (Settings::cookie_secure_auto).

#include <httplib.h>

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../middleware.hpp"
#include "handled.hpp"

namespace sessions::httplib_adapter {

/// Whether the request came over TLS. httplib marks requests of an SSLServer with their SSL
/// connection; without OpenSSL support there is no TLS, so false.
[[nodiscard]] inline bool is_secure(const ::httplib::Request& request) noexcept {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  return request.ssl != nullptr;
#else
  (void)request;
  return false;
#endif
}

/// RFC 9112 section 6.3: a request with neither Content-Length nor Transfer-Encoding has an empty
/// body. cpp-httplib 0.11 instead reads the body of such a POST, PUT, PATCH or DELETE until the
/// client closes the connection, and answers 400 when its read timeout ends it (5 s by default):
/// `curl -X POST URL` and an HTML form without fields send exactly that. Called from a pre-routing
/// handler, this gives such a request the `Content-Length: 0` it implies, so that httplib reads no
/// body and routes it at once. Later cpp-httplib versions read no body there anyway; the header then
/// changes nothing. (The pre-routing handler sees the request as const, but the object is httplib's
/// own mutable one, created for this request, so adding a header to it is well defined.)
inline void frame_empty_body(const ::httplib::Request& request) {
  if (request.method == "GET" || request.method == "HEAD") return;  // httplib never reads their body
  if (request.has_header("Content-Length") || request.has_header("Transfer-Encoding")) return;
  const_cast<::httplib::Request&>(request).headers.emplace("Content-Length", "0");
}

/// Installs frame_empty_body() as `server`'s pre-routing handler, followed by `next` when given
/// (httplib keeps one pre-routing handler: pass yours here rather than setting it afterwards).
inline void accept_requests_without_length(::httplib::Server& server,
                                           ::httplib::Server::HandlerWithResponse next = nullptr) {
  server.set_pre_routing_handler(
      [next = std::move(next)](const ::httplib::Request& request, ::httplib::Response& response) {
        frame_empty_body(request);
        return next ? next(request, response) : ::httplib::Server::HandlerResponse::Unhandled;
      });
}

/// Every value of header `name`, joined with `separator` (clients may split Cookie or Vary over
/// several header lines).
[[nodiscard]] inline std::string joined_header(const ::httplib::Headers& headers, const std::string& name,
                                               std::string_view separator) {
  std::string out;
  const auto [first, last] = headers.equal_range(name);
  for (auto it = first; it != last; ++it) {
    if (it->second.empty()) continue;
    if (!out.empty()) out += separator;
    out += it->second;
  }
  return out;
}

/// Adds the middleware's headers to `response`: Vary and Cache-Control merged into the existing
/// field (one header each), anything else (Set-Cookie, the session header) appended.
inline void apply_headers(::httplib::Response& response, const HeaderFields& headers) {
  for (const HeaderField& header : headers) {
    if (merges_into_response(header.name)) {
      const std::string merged =
          merge_header(header.name, joined_header(response.headers, header.name, ", "), header.value);
      response.headers.erase(header.name);
      response.set_header(header.name, merged);
    } else {
      response.set_header(header.name, header.value);
    }
  }
}

/// Opens the request's session: its Cookie header, TLS, and the session header when the
/// middleware reads one (present but empty counts as present).
template <class MiddlewareT>
[[nodiscard]] typename MiddlewareT::session_type open(const MiddlewareT& middleware,
                                                      const ::httplib::Request& request) {
  std::optional<std::string> token;
  if (const std::string* name = middleware.session_header_name(); name && request.has_header(name->c_str())) {
    token = joined_header(request.headers, *name, ", ");
  }
  return middleware.open(joined_header(request.headers, "Cookie", "; "), is_secure(request), token);
}

/// The response Django gives when the session was deleted while the request ran.
inline void answer_session_interrupted(::httplib::Response& response, const SessionInterrupted& e) {
  response = ::httplib::Response{};
  response.status = 400;
  response.set_content(std::string(e.what()) + "\n", "text/plain; charset=utf-8");
}

/// What a request did with its session, for the caller's logging (handled.hpp; `status` is
/// httplib's default 200 when the handler set none).
template <class SessionT>
using Handled = HandledRequest<SessionT>;

/// Runs `handler(request, response, session)` with the request's session and applies the
/// middleware's headers to `response` (see the top of this file). Returns the finished session.
template <class MiddlewareT, class Handler>
requires std::is_invocable_v<Handler&, const ::httplib::Request&, ::httplib::Response&,
                             typename MiddlewareT::session_type&>
    Handled<typename MiddlewareT::session_type> handle(const MiddlewareT& middleware, const ::httplib::Request& request,
                                                       ::httplib::Response& response, Handler&& handler) {
  Handled<typename MiddlewareT::session_type> handled{httplib_adapter::open(middleware, request), {}, 200, false};
  try {
    handler(request, response, handled.session);
  } catch (...) {
    // httplib answers 500: nothing is saved, but the 500 still says Vary: Cookie (and deletes a
    // cookie that names no session), as Django's middleware does on an error response.
    handled.status = 500;
    try {
      handled.headers = middleware.finish(handled.session, handled.status);
      apply_headers(response, handled.headers);
    } catch (const std::exception&) {  // the handler's exception is the one to report
    }
    throw;
  }
  // cpp-httplib sets the default status (200) only after the handler returned.
  handled.status = response.status == -1 ? 200 : response.status;
  try {
    handled.headers = middleware.finish(handled.session, handled.status);
  } catch (const SessionInterrupted& e) {
    answer_session_interrupted(response, e);
    handled.status = response.status;
    handled.interrupted = true;
    return handled;
  }
  apply_headers(response, handled.headers);
  return handled;
}

/// An httplib::Server::Handler that runs `handler(request, response, session)` through handle().
/// `middleware` must outlive the server.
template <class MiddlewareT, class Handler>
requires std::is_invocable_v<Handler&, const ::httplib::Request&, ::httplib::Response&,
                             typename MiddlewareT::session_type&>
[[nodiscard]] ::httplib::Server::Handler with_session(const MiddlewareT& middleware, Handler handler) {
  return [&middleware, handler = std::move(handler)](const ::httplib::Request& request,
                                                     ::httplib::Response& response) mutable {
    (void)handle(middleware, request, response, handler);
  };
}

}  // namespace sessions::httplib_adapter
