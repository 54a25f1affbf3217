#pragma once
// The compile-time check that names the first operation of the per-user index (UserIndexStorage,
// user_index.hpp) a store lacks, written once for UserIndexed<Store> and for the functions that
// read the index (lifecycle.hpp, purger.hpp). A macro because a static_assert's message must be a
// string literal in C++20: a template could not put the asker's name in front of it.
//
//   SESSIONS_DETAIL_CHECK_USER_INDEX(Store, "UserIndexed<Store>: ")   inside a class or function

#include "../concepts.hpp"
#include "../user_index.hpp"

#define SESSIONS_DETAIL_CHECK_USER_INDEX(Store, who)                                                           \
  static_assert(::sessions::ServerStorage<Store>, who                                                          \
                "the store is not a server store: a cookie store keeps no sessions to index, list, revoke "    \
                "or purge");                                                                                   \
  static_assert(::sessions::requirement::index_session<Store>, who                                             \
                "the store lacks UserIndexStorage's index_session(std::string_view user, std::string_view "    \
                "key, const sessions::SessionDetails&, const sessions::UserSessionLimit&) -> "                 \
                "sessions::IndexOutcome (a store that cannot list its sessions, e.g. memcached or a cookie "   \
                "store, cannot keep the per-user index)");                                                     \
  static_assert(::sessions::requirement::unindex_session<Store>, who                                           \
                "the store lacks UserIndexStorage's unindex_session(std::string_view user, std::string_view "  \
                "key)");                                                                                       \
  static_assert(::sessions::requirement::user_sessions<Store>, who                                             \
                "the store lacks UserIndexStorage's user_sessions(std::string_view user, sessions::TimePoint " \
                "now) -> std::vector<sessions::UserSession>");                                                 \
  static_assert(::sessions::requirement::purge_expired<Store>, who                                             \
                "the store lacks UserIndexStorage's purge_expired(std::size_t batch, sessions::TimePoint "     \
                "now) -> std::vector<sessions::PurgedSession>");                                               \
  static_assert(::sessions::requirement::for_each_session<Store>,                                              \
                who "the store lacks UserIndexStorage's for_each_session(fn)")
