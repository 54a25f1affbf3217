#pragma once
// The asynchronous API (Boost.Asio completion tokens: callbacks, use_future, use_awaitable):
// AsyncMiddleware, the Session operations, the BlockingPool they run blocking stores on, and the
// AsyncStorage concept of stores with a native non-blocking path. Needs Boost (Debian:
// libboost-dev, 1.74 or later); not included by <sessions/sessions.hpp>. See docs/async.md.

#include "async/async_middleware.hpp"
#include "async/async_session.hpp"
#include "async/async_storage.hpp"
#include "async/blocking_pool.hpp"
#include "async/config.hpp"
#include "async/options.hpp"
