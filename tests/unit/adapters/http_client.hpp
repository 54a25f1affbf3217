#pragma once
// A tiny browser for the adapter tests: httplib::Client plus the session cookie, sent back as a
// browser would. Both adapters' servers are driven over real HTTP with it.

#include <httplib.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace adapters_test {

struct Reply {
  int status = 0;
  std::string body;
  std::vector<std::string> set_cookies;  // every Set-Cookie header, in order
  std::vector<std::string> vary;         // every Vary header
};

class Browser {
 public:
  explicit Browser(int port) : client_("127.0.0.1", port) { client_.set_read_timeout(10, 0); }

  Reply get(const std::string& path) {
    httplib::Headers headers;
    if (session_cookie) headers.emplace("Cookie", "sessionid=" + *session_cookie);
    const httplib::Result result = client_.Get(path.c_str(), headers);
    if (!result) throw std::runtime_error("request to " + path + " failed: " + httplib::to_string(result.error()));
    Reply reply;
    reply.status = result->status;
    reply.body = result->body;
    for (std::size_t i = 0; i < result->get_header_value_count("Set-Cookie"); ++i) {
      reply.set_cookies.push_back(result->get_header_value("Set-Cookie", i));
    }
    for (std::size_t i = 0; i < result->get_header_value_count("Vary"); ++i) {
      reply.vary.push_back(result->get_header_value("Vary", i));
    }
    for (const std::string& cookie : reply.set_cookies) {
      if (cookie.rfind("sessionid=", 0) != 0) continue;
      const std::string value = cookie.substr(10, cookie.find(';') - 10);
      if (cookie.find("Max-Age=0") != std::string::npos) {
        session_cookie.reset();
      } else {
        session_cookie = value;
      }
    }
    return reply;
  }

  std::optional<std::string> session_cookie;

 private:
  httplib::Client client_;
};

}  // namespace adapters_test
