#pragma once
// One request written byte for byte on a fresh connection, for requests a client library would
// not send as they are: a POST with no body and no Content-Length (curl -X POST, and some HTTP
// client libraries, send exactly that). The connection stays open for the whole exchange, as a
// keep-alive client's does, so a server that waits for the client to close before answering shows
// up as a timeout (a failed test, never a hang).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace adapters_test {

struct RawReply {
  int status = 0;
  std::string head;  // the status line and headers, as received
  std::string body;
};

// Sends `request` to 127.0.0.1:`port` and reads one response (its body by Content-Length), waiting
// at most `timeout_seconds` for each read.
inline RawReply raw_request(int port, const std::string& request, int timeout_seconds = 5) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval timeout{};
  timeout.tv_sec = timeout_seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<unsigned short>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("connect() failed");
  }
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    throw std::runtime_error("send() failed");
  }
  std::string received;
  std::size_t header_end = std::string::npos;
  std::size_t wanted = std::string::npos;
  char buffer[4096];
  while (wanted == std::string::npos || received.size() < wanted) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      if (header_end != std::string::npos && wanted == std::string::npos) break;  // body up to close
      throw std::runtime_error(n == 0 ? "connection closed before the response" : "no response in time");
    }
    received.append(buffer, static_cast<std::size_t>(n));
    if (header_end == std::string::npos && (header_end = received.find("\r\n\r\n")) != std::string::npos) {
      std::string lower = received.substr(0, header_end);
      for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      const std::size_t length = lower.find("\r\ncontent-length:");
      if (length != std::string::npos) wanted = header_end + 4 + std::stoul(lower.substr(length + 17));
    }
  }
  RawReply reply;
  reply.head = received.substr(0, header_end);
  reply.body = received.substr(header_end + 4);
  if (reply.head.size() < 12) throw std::runtime_error("not an HTTP response: " + reply.head);
  reply.status = std::stoi(reply.head.substr(9, 3));
  return reply;
}

}  // namespace adapters_test
