#pragma once
// Sessions created through a middleware as a browser's first requests create them, each holding
// its number, for tests that then look at what the store keeps (hashed_keys tests over a server
// or a database) and open the sessions again by their cookies.

#include <string>
#include <vector>

namespace test_support {

/// Saves `count` new sessions through `middleware` (a sessions::Middleware), the i-th holding
/// "n" = i; returns their keys, in that order.
template <class Middleware>
std::vector<std::string> save_numbered_sessions(Middleware& middleware, int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) {
    auto session = middleware.open("");
    session.set("n", i);
    (void)middleware.finish(session, 200);
    keys.push_back(*session.session_key());
  }
  return keys;
}

}  // namespace test_support
