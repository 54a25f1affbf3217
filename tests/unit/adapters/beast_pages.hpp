#pragma once
// What the Beast adapters' test servers (beast.test.cpp, beast_async.test.cpp) answer with: a
// plain-text response, and a visit counted in the session.

#include <boost/beast/http.hpp>
#include <sessions/sessions.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace beast_pages {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using SessionT = sessions::Session<sessions::MemoryStore>;

inline Response text(const Request& req, http::status status, std::string body) {
  Response res{status, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(http::field::content_type, "text/plain");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

inline std::int64_t count_visit(SessionT& session) {
  const std::int64_t visits = session.get("num_visits", std::int64_t{0}) + 1;
  session.set("num_visits", visits);
  return visits;
}

}  // namespace beast_pages
