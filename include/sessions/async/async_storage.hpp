#pragma once
// AsyncStorage: a server-side store with a native non-blocking path. The async API uses it
// without the BlockingPool for the plain reads and writes of a request (a load, create-if-absent,
// update-if-present, touch, remove); it still is a ServerStorage, so the blocking API works with
// it, and the async API falls back to the pool for what the native path does not cover
// (compare-and-set saves under Settings::lost_update fail/merge, a UserIndexed store's per-user
// index, clear_expired, flush and cycle_key).
//
// Each operation is a template taking an Asio completion token; the store completes it on the
// handler's associated executor, never inline in the initiating call:
//   s.async_load(key, token)          void(std::exception_ptr, std::optional<Record<payload_type>>)
//   s.async_create(key, p, t, token)  void(std::exception_ptr, bool)   as create()
//   s.async_update(key, p, t, token)  void(std::exception_ptr, bool)   as update()
//   s.async_touch(key, t, token)      void(std::exception_ptr, bool)   as touch()
//   s.async_remove(key, token)        void(std::exception_ptr)
// Errors are the blocking API's (StorageError, StorageTimeout, ...), as the exception_ptr.

#include <exception>
#include <optional>
#include <string_view>

#include "../concepts.hpp"
#include "../record.hpp"

namespace sessions {

namespace detail {
// Handlers of the signatures above, for the concept's checks (any callable would do for a store
// whose operations take a token generically).
template <class Payload>
using async_load_archetype = void (*)(std::exception_ptr, std::optional<Record<Payload>>);
using async_bool_archetype = void (*)(std::exception_ptr, bool);
using async_void_archetype = void (*)(std::exception_ptr);
}  // namespace detail

template <class S>
concept AsyncStorage = ServerStorage<S> &&
    requires(S& s, std::string_view key, const typename S::payload_type& p, TimePoint t,
             detail::async_load_archetype<typename S::payload_type> on_load, detail::async_bool_archetype on_bool,
             detail::async_void_archetype on_void) {
  s.async_load(key, on_load);
  s.async_create(key, p, t, on_bool);
  s.async_update(key, p, t, on_bool);
  s.async_touch(key, t, on_bool);
  s.async_remove(key, on_void);
};

}  // namespace sessions
