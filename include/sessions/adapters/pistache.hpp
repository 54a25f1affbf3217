#pragma once
// Pistache adapter: Django's SessionMiddleware around a Pistache request handler.
//
//   sessions::Middleware<sessions::Session<sessions::MemoryStore>> middleware{store};
//   void onRequest(const Http::Request& req, Http::ResponseWriter res) override {
//     sessions::pistache_adapter::handle(middleware, req, res,
//         [](const Http::Request&, Http::ResponseWriter& res, auto& session) {
//           const auto visits = session.get("num_visits", 0) + 1;
//           session.set("num_visits", visits);
//           res.setMime(MIME(Text, Plain));
//           return sessions::pistache_adapter::Reply{Http::Code::Ok, "Visits: " + std::to_string(visits)};
//         });
//   }
//
// ResponseWriter::send() writes the headers and the body at once, and the session's cookie can only
// be known once the handler is done with the session. So the handler does not send: it sets its
// headers, cookies and MIME type on the writer and returns the status and body (a Reply); the
// adapter adds the middleware's headers and sends. Set-Cookie joins the writer's cookies (the
// handler's own cookies stay); Vary is merged into the handler's own Vary (a header named Vary,
// e.g. pistache_adapter::Vary) with patch_vary. The status is the Reply's, so a 5xx saves nothing
// (Settings::no_save_status_from); a session deleted meanwhile (a concurrent logout) turns the
// response into a 400, as Django's SessionInterrupted does. A handler that throws saves nothing;
// the exception goes on to Pistache, which answers 500.
//
// Pistache keeps the first Cookie header line of a request as it came (a client that splits its
// cookies over several lines is read from the first). It does not tell a handler whether the bytes
// came over TLS: pass `secure = true` from an endpoint that useSSL()s (Settings::cookie_secure_auto).
//
// Needs Pistache (pkg-config libpistache; Debian: libpistache-dev); not included by
// <sessions/sessions.hpp>.

#include <pistache/cookie.h>
#include <pistache/http.h>
#include <pistache/http_header.h>
#include <pistache/http_headers.h>

#include <concepts>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../middleware.hpp"
#include "handled.hpp"

namespace sessions::pistache_adapter {

/// What the handler answers: the status and the body, sent by the adapter after the session's
/// headers were added (the rest of the response, headers, cookies, MIME type, is on the writer).
struct Reply {
  ::Pistache::Http::Code code = ::Pistache::Http::Code::Ok;
  std::string body{};
};

/// Pistache has no typed Vary header, and writes only typed headers: this one carries a Vary value
/// as it is (a handler may add its own: writer.headers().add<sessions::pistache_adapter::Vary>("Accept-Encoding")).
class Vary final : public ::Pistache::Http::Header::Header {
 public:
  NAME("Vary")

  Vary() = default;
  explicit Vary(std::string value) : value_(std::move(value)) {}
  void parse(const std::string& data) override { value_ = data; }
  void write(std::ostream& stream) const override { stream << value_; }
  [[nodiscard]] const std::string& value() const noexcept { return value_; }

 private:
  std::string value_;
};

/// The request's Cookie header as the client sent it (empty when absent).
[[nodiscard]] inline std::string cookie_header(const ::Pistache::Http::Request& request) {
  const std::optional<::Pistache::Http::Header::Raw> raw = request.headers().tryGetRaw("Cookie");
  return raw ? raw->value() : std::string();
}

/// Adds the middleware's headers to `writer`: Vary merged into the writer's Vary header (whatever
/// type the handler gave it), Set-Cookie written exactly as the middleware built it.
inline void apply_headers(::Pistache::Http::ResponseWriter& writer, const HeaderFields& headers) {
  for (const HeaderField& header : headers) {
    if (header.name == "Vary") {
      std::string existing;
      if (const auto present = writer.headers().tryGet("Vary")) {
        std::ostringstream out;
        present->write(out);
        existing = std::move(out).str();
        writer.headers().remove("Vary");
      }
      writer.headers().add(
          std::make_shared<Vary>(existing.empty() ? header.value : patch_vary(existing, header.value)));
    } else if (header.name == "Set-Cookie") {
      // Pistache writes a cookie as name=value plus the attributes it knows, in an order of its
      // own: the whole attribute list goes into the value, so that the line is the middleware's
      // (Django's) byte for byte.
      const auto eq = header.value.find('=');
      writer.cookies().add(::Pistache::Http::Cookie(header.value.substr(0, eq), header.value.substr(eq + 1)));
    } else {
      writer.headers().addRaw(::Pistache::Http::Header::Raw(header.name, header.value));
    }
  }
}

/// What a request did with its session (handled.hpp).
template <class SessionT>
using Handled = HandledRequest<SessionT>;

/// Runs `handler(request, writer, session)` with the request's session, then sends the Reply it
/// returns on `writer` with the middleware's headers (see the top of this file). `request` may be
/// a Rest::Request (Pistache's router). Returns the finished session.
template <class MiddlewareT, class RequestT, class Handler>
requires std::derived_from<RequestT, ::Pistache::Http::Request> &&
    std::is_invocable_r_v<Reply, Handler&, const RequestT&, ::Pistache::Http::ResponseWriter&,
                          typename MiddlewareT::session_type&>
        Handled<typename MiddlewareT::session_type> handle(const MiddlewareT& middleware, const RequestT& request,
                                                           ::Pistache::Http::ResponseWriter& writer, Handler&& handler,
                                                           bool secure = false) {
  Handled<typename MiddlewareT::session_type> handled{middleware.open(cookie_header(request), secure), {}, 200, false};
  Reply reply = handler(request, writer, handled.session);
  handled.status = static_cast<int>(reply.code);
  try {
    handled.headers = middleware.finish(handled.session, handled.status);
  } catch (const SessionInterrupted& e) {
    // A fresh response: nothing of the handler's (its cookies, its headers, its body) is sent.
    writer.cookies().removeAllCookies();
    writer.headers().clear();
    writer.setMime(::Pistache::Http::Mime::MediaType::fromString("text/plain; charset=utf-8"));
    writer.send(::Pistache::Http::Code::Bad_Request, std::string(e.what()) + "\n");
    handled.status = 400;
    handled.interrupted = true;
    return handled;
  }
  apply_headers(writer, handled.headers);
  writer.send(reply.code, reply.body);
  return handled;
}

}  // namespace sessions::pistache_adapter
