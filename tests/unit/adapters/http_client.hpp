#pragma once
// A tiny browser for the adapter tests: httplib::Client plus the session cookie, sent back as a
// browser would. Both adapters' servers are driven over real HTTP with it.

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
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
  httplib::Headers headers;              // all of them
};

/// Sends `request` (the exact bytes, e.g. a POST without Content-Length, which httplib::Client
/// never sends) to 127.0.0.1:`port` and returns everything the server wrote until it closed the
/// connection, or until 3 s passed without a byte (then what came so far: "" when nothing).
inline std::string raw_exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  timeval timeout{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

class Browser {
 public:
  explicit Browser(int port) : client_("127.0.0.1", port) { client_.set_read_timeout(10, 0); }

  /// An API client: the session id (when it has one) goes in this request header, not in a
  /// cookie, and a new one is taken from the response's header of that name. (httplib 0.11 drops
  /// a header with an empty value, on either side: the tests read "forget it" with raw_exchange.)
  std::optional<std::string> token_header;
  std::optional<std::string> token;

  Reply get(const std::string& path) {
    httplib::Headers headers;
    if (session_cookie) headers.emplace("Cookie", "sessionid=" + *session_cookie);
    if (token_header && token) headers.emplace(*token_header, *token);
    const httplib::Result result = client_.Get(path.c_str(), headers);
    if (!result) throw std::runtime_error("request to " + path + " failed: " + httplib::to_string(result.error()));
    Reply reply;
    reply.status = result->status;
    reply.body = result->body;
    reply.headers = result->headers;
    if (token_header && result->has_header(token_header->c_str()))
      token = result->get_header_value(token_header->c_str());
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
