#pragma once
// A TCP proxy in front of a test server that can lose a reply on purpose: the server has executed
// the command, the client never hears back, and the connection is closed. That is the one case a
// retry has to reason about (was the failed command applied?), and no server fault produces it
// deterministically. Used by the Redis and memcached tests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace test_support {

class FaultProxy {
 public:
  explicit FaultProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw std::runtime_error("FaultProxy: socket failed");
    sockaddr_in addr = loopback(0);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 16) != 0) {
      ::close(listener_);
      throw std::runtime_error("FaultProxy: bind/listen failed");
    }
    socklen_t length = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~FaultProxy() {
    stop_ = true;
    thread_.join();
    for (const auto& [client, server] : pairs_) {
      ::close(client);
      ::close(server);
    }
    ::close(listener_);
  }
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// The next data the server sends (on any connection) is dropped and that connection closed.
  void drop_next_reply() noexcept { drop_ = true; }
  /// Replies dropped so far.
  [[nodiscard]] int dropped() const noexcept { return dropped_; }

 private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

  static bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  void run() {
    std::vector<char> buffer(64 * 1024);
    while (!stop_) {
      std::vector<pollfd> fds;
      fds.push_back({listener_, POLLIN, 0});
      for (const auto& [client, server] : pairs_) {
        fds.push_back({client, POLLIN, 0});
        fds.push_back({server, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      std::vector<std::size_t> closed;
      const std::size_t polled = pairs_.size();  // accept_one() below may add pairs
      for (std::size_t i = 0; i < polled; ++i) {
        const auto [client, server] = pairs_[i];
        bool open = true;
        if (fds[1 + 2 * i].revents != 0) {  // client -> server
          const ssize_t n = ::recv(client, buffer.data(), buffer.size(), 0);
          open = n > 0 && send_all(server, buffer.data(), static_cast<std::size_t>(n));
        }
        if (open && fds[2 + 2 * i].revents != 0) {  // server -> client
          const ssize_t n = ::recv(server, buffer.data(), buffer.size(), 0);
          if (n > 0 && drop_.exchange(false)) {
            ++dropped_;
            open = false;
          } else {
            open = n > 0 && send_all(client, buffer.data(), static_cast<std::size_t>(n));
          }
        }
        if (!open) closed.push_back(i);
      }
      for (auto it = closed.rbegin(); it != closed.rend(); ++it) {
        ::close(pairs_[*it].first);
        ::close(pairs_[*it].second);
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
      if ((fds[0].revents & POLLIN) != 0) accept_one();
    }
  }

  void accept_one() {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(upstream_port_);
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      return;
    }
    pairs_.emplace_back(client, server);
  }

  std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::vector<std::pair<int, int>> pairs_;  // touched by the proxy thread only (and the destructor)
  std::atomic<bool> stop_{false};
  std::atomic<bool> drop_{false};
  std::atomic<int> dropped_{0};
  std::thread thread_;
};

}  // namespace test_support
