#pragma once
// What the async API's tests share: a site (a store, deterministic settings and a middleware) whose
// twin, built the same way, gives the blocking Middleware's answers to compare with, and one
// sequence of requests run through either.
//
// Every file that includes this starts threads: each BlockingPool runs its own (Asio's thread_pool,
// a std::thread each), so the ThreadSanitizer build (SESSIONS_THREADED_TESTS_ONLY) keeps them.

#include <sessions/async.hpp>
#include <sessions/sessions.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/delaying_store.hpp"

namespace async_test {

/// Session keys from a counter: two sites built alike issue the same keys (atomic: pool threads
/// draw keys at once).
inline void counting_bytes(void* context, std::span<unsigned char> out) {
  auto& counter = *static_cast<std::atomic<std::uint64_t>*>(context);
  for (unsigned char& b : out) b = static_cast<unsigned char>((counter.fetch_add(1) * 37U + 11U) & 0xFFU);
}

template <class Store>
struct Site {
  sessions::ManualClock clock;
  std::atomic<std::uint64_t> counter{0};
  sessions::Settings settings;
  Store store;
  sessions::Middleware<sessions::Session<Store>> middleware{store, settings};

  template <class... Args>
  explicit Site(Args&&... args) : store(std::forward<Args>(args)..., sessions::Clock(clock)) {
    settings.clock = sessions::Clock(clock);
    settings.random = sessions::RandomSource(&counting_bytes, &counter);
  }
};

inline std::string cookie_of(const sessions::HeaderFields& headers) {
  for (const auto& h : headers) {
    if (h.name == "Set-Cookie") return "sessionid=" + h.value.substr(10, h.value.find(';') - 10);
  }
  return {};
}

/// The cookie of a session (n = 1) saved through `site`'s blocking middleware.
template <class Store>
std::string saved_cookie(Site<Store>& site) {
  auto session = site.middleware.open("");
  session.set("n", 1);
  return cookie_of(site.middleware.finish(session, 200));
}

/// Five requests: a new session written, changed, read, a stale cookie left alone, a stale cookie
/// read (deleted); `request(cookie, use)` answers each with its headers.
template <class Request>
std::vector<sessions::HeaderFields> five_requests(Request&& request) {
  std::vector<sessions::HeaderFields> out;
  out.push_back(request("", [](auto& s) { s.set("n", 1); }));
  const std::string cookie = cookie_of(out.back());
  out.push_back(request(cookie, [](auto& s) { s.set("n", s.get("n", 0) + 1); }));
  out.push_back(request(cookie, [](auto& s) { (void)s.get("n", 0); }));
  out.push_back(request("sessionid=abcdefghijklmnopqrstuvwxyz012345", [](auto&) {}));
  out.push_back(request("sessionid=abcdefghijklmnopqrstuvwxyz012345", [](auto& s) { (void)s.get("n", 0); }));
  return out;
}

/// The blocking Middleware's answers to five_requests on a fresh site.
template <class Store, class... Args>
std::vector<sessions::HeaderFields> blocking_answers(Args&&... args) {
  Site<Store> site(std::forward<Args>(args)...);
  return five_requests([&](const std::string& cookie, auto use) {
    auto session = site.middleware.open(cookie);
    use(session);
    return site.middleware.finish(session, 200);
  });
}

}  // namespace async_test
