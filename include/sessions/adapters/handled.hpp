#pragma once
// What an adapter's handle() returns: the request's session after the middleware finished with it,
// and what the middleware did, for the caller's logging. Shared by the adapters whose handle() runs
// the whole request (cpp-httplib, POCO, Pistache).

#include "../middleware.hpp"

namespace sessions {

template <class SessionT>
struct HandledRequest {
  /// The session after the middleware finished with it (its key is the one the cookie carries).
  SessionT session;
  /// The headers the middleware added to the response.
  HeaderFields headers{};
  /// The status the middleware saw: the handler's; 500 when the handler threw (where the adapter
  /// sees it); 400 when the session was interrupted.
  int status = 200;
  /// The session was deleted meanwhile: the response became a 400.
  bool interrupted = false;
};

}  // namespace sessions
