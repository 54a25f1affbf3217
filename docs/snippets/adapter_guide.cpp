// docs/adapters.md: an adapter for an HTTP library the project does not ship one for, written
// against `minihttp`, a stand-in for any library whose handler takes a request and returns a
// response. Then the checks every adapter must pass. Run by CTest (docs_snippet_adapter_guide).
#include <sessions/sessions.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The library: headers in the order they came (a name may repeat), status and body.
namespace minihttp {
using Headers = std::vector<std::pair<std::string, std::string>>;
struct Request {
  std::string target = "/";
  Headers headers;
  bool tls = false;  // whether the connection was HTTPS
};
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};
}  // namespace minihttp

namespace minihttp_sessions {

inline bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// Every Cookie line of the request, as one header (a client may split its cookies over lines).
inline std::string cookie_header(const minihttp::Request& request) {
  std::string out;
  for (const auto& [name, value] : request.headers) {
    if (!iequals(name, "Cookie") || value.empty()) continue;
    if (!out.empty()) out += "; ";
    out += value;
  }
  return out;
}

// The middleware's headers onto the response: Vary merged with the handler's (one line),
// Set-Cookie added next to the handler's own cookies, never replacing them.
inline void apply_headers(minihttp::Response& response, const sessions::HeaderFields& headers) {
  for (const sessions::HeaderField& header : headers) {
    if (header.name != "Vary") {
      response.headers.emplace_back(header.name, header.value);
      continue;
    }
    std::string vary;
    std::erase_if(response.headers, [&vary](const auto& field) {
      if (!iequals(field.first, "Vary")) return false;
      vary += (vary.empty() ? "" : ", ") + field.second;
      return true;
    });
    response.headers.emplace_back("Vary", vary.empty() ? header.value : sessions::patch_vary(vary, header.value));
  }
}

// Around the handler: open the session, run the handler, finish with the status it chose.
template <class MiddlewareT, class Handler>
minihttp::Response handle(const MiddlewareT& middleware, const minihttp::Request& request, Handler&& handler) {
  auto session = middleware.open(cookie_header(request), request.tls);
  minihttp::Response response = handler(request, session);  // throws: nothing saved
  try {
    apply_headers(response, middleware.finish(session, response.status));
  } catch (const sessions::SessionInterrupted& e) {  // deleted meanwhile: Django answers 400
    return {400, {{"Content-Type", "text/plain"}}, std::string(e.what()) + "\n"};
  }
  return response;
}

}  // namespace minihttp_sessions

namespace {

using SessionT = sessions::Session<sessions::MemoryStore>;

int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

std::vector<std::string> values(const minihttp::Response& response, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [field, value] : response.headers) {
    if (minihttp_sessions::iequals(field, name)) out.push_back(value);
  }
  return out;
}

// The session cookie's value in a Set-Cookie line.
std::string cookie_value(const std::string& set_cookie) { return set_cookie.substr(10, set_cookie.find(';') - 10); }

}  // namespace

int main() {
  sessions::MemoryStore store;
  const sessions::Middleware<SessionT> middleware{store};

  // The visit counter; /vary adds headers of its own, /fail answers 503, /race loses its session.
  const auto counter = [&store](const minihttp::Request& request, SessionT& session) {
    const auto visits = session.get("num_visits", 0) + 1;
    session.set("num_visits", visits);
    minihttp::Response response{200, {{"Content-Type", "text/plain"}}, "Visits: " + std::to_string(visits)};
    if (request.target == "/vary") {
      response.headers.emplace_back("Vary", "Accept-Encoding");
      response.headers.emplace_back("Set-Cookie", "theme=dark");
    } else if (request.target == "/fail") {
      response.status = 503;
    } else if (request.target == "/race") {
      store.remove(*session.session_key());  // a logout in another request, meanwhile
    }
    return response;
  };
  const auto visit = [&](std::string target, const std::string& cookie) {
    minihttp::Request request{std::move(target), {}, false};
    if (!cookie.empty()) request.headers.emplace_back("Cookie", "sessionid=" + cookie);
    return minihttp_sessions::handle(middleware, request, counter);
  };

  // A new visitor gets a session and Django's cookie.
  const minihttp::Response first = visit("/", "");
  check(first.body == "Visits: 1", "a new session starts at 1");
  check(values(first, "Vary") == std::vector<std::string>{"Cookie"}, "Vary: Cookie");
  const std::vector<std::string> set_cookie = values(first, "Set-Cookie");
  check(set_cookie.size() == 1 && set_cookie[0].rfind("sessionid=", 0) == 0, "one session cookie");
  const std::string key = set_cookie.empty() ? "" : cookie_value(set_cookie[0]);
  check(set_cookie.size() == 1 &&
            set_cookie[0].find("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax") != std::string::npos,
        "Django's cookie attributes");

  // The cookie brings the session back; the handler's Vary and cookies stay.
  const minihttp::Response second = visit("/vary", key);
  check(second.body == "Visits: 2", "the cookie is read back");
  check(values(second, "Vary") == std::vector<std::string>{"Accept-Encoding, Cookie"}, "Vary merged");
  check(values(second, "Set-Cookie").size() == 2 && values(second, "Set-Cookie")[0] == "theme=dark",
        "the handler's cookie stays");

  // A 5xx saves nothing; a tampered cookie is a new session; a session deleted meanwhile is a 400.
  check(values(visit("/fail", key), "Set-Cookie").empty(), "a 5xx sets no cookie");
  check(visit("/", key).body == "Visits: 3", "a 5xx saved nothing");
  std::string tampered = key;
  if (!tampered.empty()) tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  check(visit("/", tampered).body == "Visits: 1", "a tampered cookie is a new session");
  check(visit("/race", key).status == 400, "a session deleted during the request answers 400");

  if (failures == 0) std::puts("adapter guide: OK");
  return failures == 0 ? 0 : 1;
}
