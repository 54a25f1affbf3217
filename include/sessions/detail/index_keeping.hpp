#pragma once
// How a Session keeps the per-user index in step over a UserIndexed store (user_indexed.hpp):
// what it remembers between its load and its save (the user the record was indexed under, the
// expiry of its last write, the client it was asked to record), and what each save, key change
// and delete tells the store. Over any other store IndexKeeper is empty and every call is an
// inline no-op: the request path of an application without the index is unchanged.

#include <string>
#include <string_view>
#include <utility>

#include "../clock.hpp"
#include "../events.hpp"
#include "../settings.hpp"
#include "../user_index.hpp"
#include "../user_indexed.hpp"
#include "lifecycle_check.hpp"
#include "payload.hpp"
#include "session_events.hpp"

namespace sessions::detail {

template <class Storage, bool Keeps = KeepsUserIndex<Storage>>
class IndexKeeper {
 public:
  void loaded(const Loaded&) noexcept {}
  void forget() noexcept {}
  void wrote(TimePoint) noexcept {}
  void record_client(std::string_view, std::string_view) noexcept {}
  template <class UserOf>
  bool after_write(Storage&, const Settings&, std::string_view, UserOf&&) noexcept {
    return false;
  }
  void removed(Storage&, std::string_view) noexcept {}
};

template <class Storage>
class IndexKeeper<Storage, true> {
 public:
  /// The session's own load found `loaded`: its user is the one the record is indexed under.
  void loaded(const Loaded& loaded) {
    if (loaded.members) {
      user_ = user_id_of(loaded.members);
    } else if (loaded.shared) {
      user_ = user_id_of(loaded.shared);
    } else {
      user_ = user_id_of(loaded.owned);
    }
  }
  /// The record is gone or was never there: nothing is indexed under the key.
  void forget() noexcept { user_.clear(); }

  /// The expiry the last write gave the record (the entry carries it).
  void wrote(TimePoint expires_at) noexcept { expires_at_ = expires_at; }

  void record_client(std::string_view user_agent, std::string_view address) {
    user_agent_.assign(user_agent);
    address_.assign(address);
  }

  /// After a successful write of `key`: indexes it under its user (`user_of()`, the current
  /// `_auth_user_id`), with Settings::max_sessions_per_user, moving it from a previous user. True
  /// when the limit refused it: the record is then deleted and the refusal told; the caller drops
  /// the key and throws.
  template <class UserOf>
  bool after_write(Storage& store, const Settings& settings, std::string_view key, UserOf&& user_of) {
    std::string user = user_of();
    if (!user_.empty() && user_ != user) store.unindex_session(user_, key);
    user_ = std::move(user);
    if (user_.empty()) return false;
    const TimePoint now = settings.clock.now();
    const IndexOutcome outcome =
        store.index_session(user_, key, SessionDetails{now, now, expires_at_, user_agent_, address_},
                            UserSessionLimit{settings.max_sessions_per_user, settings.at_session_limit});
    if (settings.on_event) {
      for (const std::string& evicted : outcome.evicted)
        tell_event<Storage>(settings, SessionEventKind::destroyed, "evicted", evicted, user_);
    }
    if (!outcome.refused) return false;
    store.remove(key);
    if (settings.on_event) tell_event<Storage>(settings, SessionEventKind::rejected, "session limit", key, user_);
    user_.clear();
    return true;
  }

  /// The record of `key` was deleted (delete, flush, or the old key of cycle_key).
  void removed(Storage& store, std::string_view key) {
    if (!user_.empty()) store.unindex_session(user_, key);
  }

 private:
  std::string user_;
  TimePoint expires_at_{};
  std::string user_agent_;
  std::string address_;
};

}  // namespace sessions::detail
