#pragma once
// Boost.Beast adapter: Django's SessionMiddleware around a Beast request handler.
//
//   sessions::Middleware<sessions::Session<sessions::MemoryStore>> middleware{store};
//   http::response<http::string_body> res = sessions::beast_adapter::handle(middleware, req,
//       [](const auto& req, auto& session) {
//         const auto visits = session.get("num_visits", 0) + 1;
//         session.set("num_visits", visits);
//         http::response<http::string_body> res{http::status::ok, req.version()};
//         res.body() = "Visits: " + std::to_string(visits);
//         res.prepare_payload();
//         return res;
//       });
//
// The handler gets the request's session and returns its response; the middleware's headers then
// go onto that response: Set-Cookie (or the session header, Settings::session_id_from) added
// (other cookies stay), Vary and Cache-Control merged into the handler's own (merge_header). The status is the response's, so a 5xx saves nothing
// (Settings::no_save_status_from); a session deleted meanwhile (a concurrent logout) turns the
// response into a 400, as Django's SessionInterrupted does. A handler that throws saves nothing;
// the exception goes on to the caller.
//
// Beast does not know whether the bytes came over TLS (that is the stream's business): pass
// `secure = true` when the request was read from an ssl_stream (Settings::cookie_secure_auto).
//
// Header-only like Beast itself (Debian: libboost-dev). Not included by <sessions/sessions.hpp>.

#include <boost/beast/http.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../middleware.hpp"

namespace sessions::beast_adapter {

namespace http = boost::beast::http;

/// Every value of header `field` (an http::field or a name), joined with `separator` (a client
/// may split Cookie over lines).
template <class Fields, class Field>
[[nodiscard]] std::string joined_header(const Fields& fields, Field field, std::string_view separator) {
  std::string out;
  const auto [first, last] = fields.equal_range(field);
  for (auto it = first; it != last; ++it) {
    const auto value = it->value();
    if (value.empty()) continue;
    if (!out.empty()) out += separator;
    out.append(value.data(), value.size());
  }
  return out;
}

/// Adds the middleware's headers to `response`: Vary and Cache-Control merged into the existing
/// field (one each), anything else (Set-Cookie, the session header) inserted next to what is there.
template <bool isRequest, class Fields>
void apply_headers(http::header<isRequest, Fields>& response, const HeaderFields& headers) {
  for (const HeaderField& header : headers) {
    if (merges_into_response(header.name)) {
      const boost::beast::string_view name{header.name.data(), header.name.size()};
      response.set(name, merge_header(header.name, joined_header(response, name, ", "), header.value));
    } else {
      response.insert(header.name, header.value);
    }
  }
}

/// The value of the session header the middleware reads (Settings::session_id_from), or nothing
/// when it reads none or the request has none (present but empty counts as present).
template <class MiddlewareT, class RequestBody, class RequestFields>
[[nodiscard]] std::optional<std::string> session_header(const MiddlewareT& middleware,
                                                        const http::request<RequestBody, RequestFields>& request) {
  if (const std::string* name = middleware.session_header_name()) {
    const boost::beast::string_view field{name->data(), name->size()};
    if (request.count(field) != 0) return joined_header(request, field, ", ");
  }
  return std::nullopt;
}

/// Opens the request's session: its Cookie header, and the session header when the middleware
/// reads one.
template <class MiddlewareT, class RequestBody, class RequestFields>
[[nodiscard]] typename MiddlewareT::session_type open(const MiddlewareT& middleware,
                                                      const http::request<RequestBody, RequestFields>& request,
                                                      bool secure = false) {
  return middleware.open(joined_header(request, http::field::cookie, "; "), secure,
                         beast_adapter::session_header(middleware, request));
}

/// The 400 that replaces the handler's response when the session was deleted while the request
/// ran (SessionInterrupted): nothing of the handler's response survives.
template <class Response, class RequestBody, class RequestFields>
[[nodiscard]] Response interrupted_response(const http::request<RequestBody, RequestFields>& request,
                                            const SessionInterrupted& error) {
  Response bad{http::status::bad_request, request.version()};
  bad.keep_alive(request.keep_alive());
  bad.set(http::field::content_type, "text/plain; charset=utf-8");
  if constexpr (requires { bad.body() = std::string(); }) {
    bad.body() = std::string(error.what()) + "\n";
    bad.prepare_payload();
  }
  return bad;
}

template <class Response>
inline constexpr bool is_beast_response = false;
template <class Body, class Fields>
inline constexpr bool is_beast_response<http::response<Body, Fields>> = true;

/// Runs `handler(request, session)` with the request's session and returns the handler's
/// response with the middleware's headers applied (see the top of this file).
template <class MiddlewareT, class RequestBody, class RequestFields, class Handler>
requires std::is_invocable_v < Handler&, const http::request<RequestBody, RequestFields>
&, typename MiddlewareT::session_type& >
       [[nodiscard]] auto handle(const MiddlewareT& middleware,
                                 const http::request<RequestBody, RequestFields>& request, Handler&& handler,
                                 bool secure = false) {
  using Response = std::remove_cvref_t<std::invoke_result_t<Handler&, const http::request<RequestBody, RequestFields>&,
                                                            typename MiddlewareT::session_type&>>;
  static_assert(is_beast_response<Response>, "the handler must return a boost::beast::http::response");

  auto session = beast_adapter::open(middleware, request, secure);
  Response response = handler(request, session);
  HeaderFields headers;
  try {
    headers = middleware.finish(session, static_cast<int>(response.result_int()));
  } catch (const SessionInterrupted& e) {
    return interrupted_response<Response>(request, e);
  }
  apply_headers(response.base(), headers);
  return response;
}

}  // namespace sessions::beast_adapter
