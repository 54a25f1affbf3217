#pragma once
// POCO HTTPServer adapter: Django's SessionMiddleware around a Poco::Net request handler.
//
//   sessions::Middleware<sessions::Session<sessions::MemoryStore>> middleware{store};
//   void handleRequest(HTTPServerRequest& req, HTTPServerResponse& res) override {
//     sessions::poco_adapter::handle(middleware, req, res,
//         [](HTTPServerRequest&, HTTPServerResponse& res, auto& session, std::ostream& body) {
//           const auto visits = session.get("num_visits", 0) + 1;
//           session.set("num_visits", visits);
//           res.setContentType("text/plain");
//           body << "Visits: " << visits;
//         });
//   }
//
// POCO sends a response's headers with its first byte of body (response.send()), and the session's
// cookie can only be known once the handler is done with the session. So the handler does not send:
// it sets the status and headers on `response` and writes its body into `body`; the adapter then
// adds the middleware's headers (Set-Cookie added, other cookies stay; Vary merged into the
// handler's own Vary with patch_vary) and sends status, headers and body in one go. A handler that
// sends the response itself anyway leaves no room for the cookie: nothing is saved and the adapter
// throws std::logic_error (POCO logs it), rather than losing the session's changes silently.
//
// The status is the one the handler set, so a 5xx saves nothing (Settings::no_save_status_from); a
// session deleted meanwhile (a concurrent logout) turns the response into a 400, as Django's
// SessionInterrupted does. A handler that throws saves nothing; the exception goes on to POCO,
// which answers 500 (with the middleware's Vary, as Django's error responses have).
//
// A request with no Content-Length and no chunked body has no body (RFC 9112, 6.3), but POCO reads
// the body of such a POST or PUT until the client closes the connection: a handler reading it (an
// HTMLForm, say) would wait for a client that waits for the answer. The adapter hands such a
// request to the handler with an empty body stream instead.
//
// request.secure() (a SecureServerSocket) says whether the request came over TLS
// (Settings::cookie_secure_auto). Needs POCO's Net library (Debian: libpoco-dev); not included by
// <sessions/sessions.hpp>.

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>

#include <exception>
#include <istream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../middleware.hpp"
#include "handled.hpp"

namespace sessions::poco_adapter {

/// Every value of header `name` (case-insensitive), joined with `separator` (a client may split
/// Cookie over several header lines).
[[nodiscard]] inline std::string joined_header(const ::Poco::Net::NameValueCollection& headers, const std::string& name,
                                               std::string_view separator) {
  std::string out;
  for (const auto& [field, value] : headers) {
    if (value.empty() || ::Poco::icompare(field, name) != 0) continue;
    if (!out.empty()) out += separator;
    out += value;
  }
  return out;
}

/// Adds the middleware's headers to `response`: Vary merged into the existing Vary (one header),
/// anything else (Set-Cookie) added next to what is there.
inline void apply_headers(::Poco::Net::HTTPServerResponse& response, const HeaderFields& headers) {
  for (const HeaderField& header : headers) {
    if (header.name == "Vary") {
      const std::string existing = joined_header(response, "Vary", ", ");
      response.set("Vary", existing.empty() ? header.value : patch_vary(existing, header.value));
    } else {
      response.add(header.name, header.value);
    }
  }
}

namespace detail {

/// The request as the handler sees it when it has no body but POCO would read one until the
/// connection closes (see the top of this file): the same request line and headers, an empty
/// body stream, everything else asked of the real request.
class EmptyBodyRequest final : public ::Poco::Net::HTTPServerRequest {
 public:
  explicit EmptyBodyRequest(::Poco::Net::HTTPServerRequest& request) : request_(&request) {
    ::Poco::Net::HTTPRequest::operator=(request);
  }
  std::istream& stream() override { return body_; }
  const ::Poco::Net::SocketAddress& clientAddress() const override { return request_->clientAddress(); }
  const ::Poco::Net::SocketAddress& serverAddress() const override { return request_->serverAddress(); }
  const ::Poco::Net::HTTPServerParams& serverParams() const override { return request_->serverParams(); }
  ::Poco::Net::HTTPServerResponse& response() const override { return request_->response(); }
  bool secure() const override { return request_->secure(); }

 private:
  ::Poco::Net::HTTPServerRequest* request_;
  std::istringstream body_;
};

/// POCO reads a body until the connection closes when the request gives no length, except for GET,
/// HEAD and DELETE.
[[nodiscard]] inline bool body_read_until_close(const ::Poco::Net::HTTPServerRequest& request) {
  const std::string& method = request.getMethod();
  return !request.getChunkedTransferEncoding() && !request.hasContentLength() &&
         method != ::Poco::Net::HTTPRequest::HTTP_GET && method != ::Poco::Net::HTTPRequest::HTTP_HEAD &&
         method != ::Poco::Net::HTTPRequest::HTTP_DELETE;
}

}  // namespace detail

/// What a request did with its session (handled.hpp).
template <class SessionT>
using Handled = HandledRequest<SessionT>;

/// Runs `handler(request, response, session, body)` with the request's session, then sends
/// `response` with the middleware's headers and the body the handler wrote (see the top of this
/// file). Returns the finished session.
template <class MiddlewareT, class Handler>
requires std::is_invocable_v<Handler&, ::Poco::Net::HTTPServerRequest&, ::Poco::Net::HTTPServerResponse&,
                             typename MiddlewareT::session_type&, std::ostream&>
    Handled<typename MiddlewareT::session_type> handle(const MiddlewareT& middleware,
                                                       ::Poco::Net::HTTPServerRequest& request,
                                                       ::Poco::Net::HTTPServerResponse& response, Handler&& handler) {
  Handled<typename MiddlewareT::session_type> handled{
      middleware.open(joined_header(request, "Cookie", "; "), request.secure()), {}, 200, false};
  std::ostringstream body;
  try {
    if (detail::body_read_until_close(request)) {
      detail::EmptyBodyRequest bodyless{request};
      handler(bodyless, response, handled.session, body);
    } else {
      handler(request, response, handled.session, body);
    }
  } catch (...) {
    // POCO answers 500: nothing is saved, but the 500 still says Vary: Cookie (and deletes a
    // cookie that names no session), as Django's middleware does on an error response.
    handled.status = 500;
    try {
      handled.headers = middleware.finish(handled.session, handled.status);
      if (!response.sent()) apply_headers(response, handled.headers);
    } catch (const std::exception&) {  // the handler's exception is the one to report
    }
    throw;
  }
  if (response.sent()) {
    throw std::logic_error(
        "sessions::poco_adapter: the handler sent the response itself, so the session cookie could not be "
        "added and the session was not saved; write the body into the adapter's stream instead");
  }
  handled.status = static_cast<int>(response.getStatus());
  try {
    handled.headers = middleware.finish(handled.session, handled.status);
  } catch (const SessionInterrupted& e) {
    // A fresh response: nothing of the handler's (its cookies, its body) is sent.
    const bool keep_alive = response.getKeepAlive();
    response.clear();
    response.setKeepAlive(keep_alive);
    response.setStatusAndReason(::Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
    response.setContentType("text/plain; charset=utf-8");
    const std::string text = std::string(e.what()) + "\n";
    response.sendBuffer(text.data(), text.size());
    handled.status = 400;
    handled.interrupted = true;
    return handled;
  }
  apply_headers(response, handled.headers);
  const std::string out = std::move(body).str();
  response.sendBuffer(out.data(), out.size());
  return handled;
}

}  // namespace sessions::poco_adapter
