#pragma once
// AsyncOptions: how long an asynchronous operation may take, queue wait included.

#include <chrono>

namespace sessions {

struct AsyncOptions {
  /// The whole operation's deadline, from its start (time queued for the pool included); past it
  /// the operation completes with StorageTimeout and the session moved into it is gone with it.
  /// Zero: no deadline (the store's own timeouts still apply).
  std::chrono::milliseconds timeout{0};
};

}  // namespace sessions
