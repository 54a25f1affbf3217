#pragma once
// How a session of a value store that shares members (MemoryValueStore's SharedMembers) holds its
// data, apart from the rest of the session's state (session_state.hpp):
//   stored  the list the store gave it, shared and unchanged: reads and an unchanged save use it
//           as it is (no copy)
//   listed  a list of the session's own: the first set() or erase() copies the stored list's
//           pointers (not the values) into it
//   neither the data is held whole by the session (after a change that is not a set or erase of
//           one key); list() is null then
// A read of the whole data (data(), keys(), ...) builds it from the members once and keeps it
// until the next change, so a reference it handed out stays valid until then.
//
// NoHeldMembers stands in for the other payload kinds: its list() is always null, so that the
// session's code needs no branch of its own for them.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "../concepts.hpp"
#include "../data.hpp"
#include "../member_list.hpp"
#include "value_counts.hpp"

namespace sessions::detail {

class HeldMembers {
 public:
  /// The members the data is held as (the stored list, or the session's own), or null when the
  /// data is held whole.
  [[nodiscard]] const MemberList* list() const noexcept {
    if (stored_) return stored_.get();
    if (listed_) return &list_;
    return nullptr;
  }

  /// The members as a list of the session's own (copying the stored list's pointers once).
  MemberList& own_list() {
    if (stored_) {
      list_ = *stored_;
      stored_.reset();
      listed_ = true;
    }
    whole_.reset();
    return list_;
  }

  /// The members built into one object (for a caller that reads the data whole), kept until the
  /// next change. Only called while list() is not null.
  [[nodiscard]] const Data& whole() const {
    if (!whole_) whole_ = list()->to_data();
    return *whole_;
  }

  /// Holds what a load found: the stored list, or (none stored) an empty list of the session's own.
  void hold_loaded(SharedMembers stored) {
    stored_ = std::move(stored);
    listed_ = !stored_;
    list_ = MemberList{};
    whole_.reset();
  }

  /// Holds an empty list of the session's own (clear(), flush()).
  void hold_empty() { hold_loaded(nullptr); }

  /// Holds `shared` as the stored list (after a save shared it with the store).
  void hold_stored(SharedMembers shared) {
    stored_ = std::move(shared);
    listed_ = false;
    list_ = MemberList{};
    whole_.reset();
  }

  /// Lets go of the members (the session now holds the data whole, or a change made the whole
  /// object built for a read stale).
  void drop() {
    stored_.reset();
    listed_ = false;
    list_ = MemberList{};
    whole_.reset();
  }

  /// A change is about to be made to the data held whole: the object built for reads is stale.
  void forget_whole() noexcept { whole_.reset(); }

  /// The members to save, as a shared list: the stored one when unchanged (no copy); else the
  /// session's own list, or `whole` split into members, moved into a new list; the session holds
  /// that list as stored from then on. `keep_whole`: a reference into `whole` was handed out and
  /// must stay valid, so `whole` is copied, not moved, and the session goes on holding it whole
  /// (a list of its own is not that data: at() was followed by clear(), which started the list).
  SharedMembers share(Data& whole, bool keep_whole, const std::optional<ValueCounts>& counts) {
    if (stored_) return stored_;
    MemberList members;
    const bool from_list = listed_;
    if (from_list) {
      members = std::move(list_);
      list_ = MemberList{};
      listed_ = false;
    } else if (keep_whole) {
      members = MemberList::from(whole);
    } else {
      members = MemberList::from(std::move(whole));
      whole = Data();
    }
    members.set_counts(counts);
    auto shared = std::make_shared<const MemberList>(std::move(members));
    if (from_list || !keep_whole) hold_stored(shared);
    return shared;
  }

  /// The expiry policy's data_keys that the members hold, as one object (null when none is there:
  /// an object is allocated only when a key is there), for the policy's read hooks.
  template <class ExpiryT>
  const Data& expiry_view() requires ExpiryDataKeys<ExpiryT> {
    expiry_view_ = Data();
    copy_keys<ExpiryT>(*list(), expiry_view_);
    static const Data empty = Data::object();
    return expiry_view_.is_null() ? empty : expiry_view_;
  }

  /// The keys ExpiryT names, copied from `list` into `out` (null or an object).
  template <class ExpiryT>
  static void copy_keys(const MemberList& list, Data& out) requires ExpiryDataKeys<ExpiryT> {
    for (const auto k : ExpiryT::data_keys) {
      if (const Data* v = list.find(k)) out[std::string(k)] = *v;
    }
  }

 private:
  SharedMembers stored_;
  MemberList list_;
  bool listed_ = false;
  mutable std::optional<Data> whole_;  // the members built whole for a read, until a change
  Data expiry_view_;                   // the expiry policy's keys, for its read hooks
};

/// For payload kinds that do not share members: nothing held, list() always null.
struct NoHeldMembers {
  [[nodiscard]] static constexpr const MemberList* list() noexcept { return nullptr; }
};

}  // namespace sessions::detail
