#pragma once
// What one Session holds, and the lazy, copy-on-write access to its data that both flows (server
// and client side) share. Each flow derives from SessionState and supplies read_record(), the
// one thing that differs in how data arrives.
//
// The data is in one of three states, each with one accessor:
//   not read yet      read_data()/write_data() read the record first (Django's lazy _session)
//   shared, unchanged read_data() hands out the store's (or cookie cache's) shared value, no copy
//   the session's own write_data() copies shared data once (copy-on-write), then changes it
// data_without_load() is Django's _get_session(no_load=True): the data if read, else empty.
//
// Copy-on-write: data a cookie store's cache of verified values shares is held as that shared
// pointer, and copied into data of the session's own only by the first change. A value store's
// members (MemoryValueStore's SharedMembers) are held as the shared list (held_members.hpp); the
// first set() or erase() copies the list of pointers, not the values, and a save shares that
// list again. Any other change (at(), pop, update, clear) makes the data whole, as a read of it
// whole does (data(), keys(), items(), an expiry policy without ExpiryDataKeys). Reads of single
// keys (get, contains) never copy, and saving an unchanged session writes the same pointer back.
//
// Value stores also get the data's size and node count kept up to date through set()
// (value_counts.hpp), so that their save need not walk the whole data for the limits.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../concepts.hpp"
#include "../data.hpp"
#include "../member_list.hpp"
#include "../record.hpp"
#include "../settings.hpp"
#include "held_members.hpp"
#include "merge.hpp"
#include "payload.hpp"
#include "session_events.hpp"
#include "value_counts.hpp"

namespace sessions::detail {

/// What the middleware learnt from the request and the handler's promise not to write. Not part
/// of a Session's public API: the middleware reaches it through SessionAccess.
struct RequestState {
  bool cookie_received = false;  // the request carried a session id (cookie or session header)
  bool secure = false;
  bool read_only = false;
  bool answer_in_header = false;  // the response carries the id in Settings::session_header
  // This request gave the session a key it did not have (create, cycle_key; a cookie store's
  // every save): the one a session header must send back.
  bool key_issued = false;
};

template <class Flow, class Storage, class SerializerT, class ExpiryT>
class SessionState {
 public:
  using codec = PayloadCodec<Storage, SerializerT>;
  using payload_type = typename codec::payload_type;
  /// A value store's members, shared per key (MemoryValueStore).
  static constexpr bool members = codec::kind == PayloadKind::members;
  /// Only a value store's save checks the limits by walking values, so only it keeps counts.
  static constexpr bool keeps_counts = members;

  SessionState(Storage& store, const Settings& settings, SerializerT serializer, ExpiryT expiry)
      : store_(&store), settings_(&settings), serializer_(std::move(serializer)), expiry_(std::move(expiry)) {}

  // --- the data, by state ----------------------------------------------------------------------

  /// The data to read (loads on first use, marks the session accessed); never copies.
  const Data& read_data() {
    ensure_loaded();
    return current();
  }

  /// The data to change (loads on first use, marks accessed): the session's own.
  Data& write_data() {
    ensure_loaded();
    return own();
  }

  /// Django's _get_session(no_load=True): the data if loaded, otherwise a fresh empty object.
  const Data& data_without_load() {
    start_without_load();
    return current();
  }

  /// data_without_load() for a caller that does not read the data.
  void start_without_load() {
    accessed_ = true;
    if (!loaded_) replace_with_empty();
  }

  /// The value under `key`, or null (loads on first use, marks accessed); never copies.
  const Data* find(std::string_view key) {
    ensure_loaded();
    return lookup(key);
  }

  /// The data the expiry policy's hooks read: only its data_keys when it names them and the
  /// members are kept apart (no whole copy), else the data itself.
  const Data& expiry_data() {
    ensure_loaded();
    if constexpr (members && ExpiryDataKeys<ExpiryT>) {
      if (member_list()) return held_.template expiry_view<ExpiryT>();
    }
    return current();
  }

  /// The expiry policy's on_create(): on the keys it names when it names them (written back
  /// key by key), else on the whole data.
  void expiry_on_create(TimePoint now) {
    if constexpr (members && ExpiryDataKeys<ExpiryT>) {
      if (const MemberList* list = member_list()) {
        // One object per thread, emptied and refilled: a new session allocates nothing for it.
        thread_local Data keys = Data::object();
        keys.clear();
        HeldMembers::copy_keys<ExpiryT>(*list, keys);
        expiry_.on_create(keys, now);
        for (const auto k : ExpiryT::data_keys) {
          const auto it = keys.find(k);
          const Data* before = find(k);
          if (it == keys.end()) {
            if (before) erase(k);
          } else if (!before || *before != *it) {
            assign(k, *it);
          }
        }
        return;
      }
    }
    expiry_.on_create(own(), now);
  }

  /// Reads the record if not read yet without marking the session accessed (the middleware does
  /// this before deciding whether a stale key left the session empty).
  void load_without_access() {
    const bool was_accessed = accessed_;
    ensure_loaded();
    accessed_ = was_accessed;
  }

  /// Empty data, loaded (clear(), flush(), a destroyed cookie session).
  void replace_with_empty() {
    owned_ = members ? Data() : Data::object();  // members: the empty list below holds the data
    shared_.reset();
    loaded_ = true;
    counts_.reset();
    if constexpr (members) held_.hold_empty();
    if (keeps_counts && counts_wanted(*settings_)) counts_.emplace();
  }

  /// Django's session[key] = value; the counts follow without a walk of the whole data.
  void assign(std::string_view key, Data value) {
    ensure_loaded();
    const std::optional<ValueCounts> before = counts_;
    std::optional<ValueCounts> counts;
    if constexpr (members) {
      if (member_list()) {
        MemberList& list = held_.own_list();
        const std::size_t at = list.position(key);
        if (before) {
          const Data* replaced = at == list.size() ? nullptr : &list.value_at(at);
          counts = counts_after_set(*settings_, *before, replaced, list.empty(), key, value);
        }
        list.set_at(at, key, std::move(value));
        counts_ = counts;
        return;
      }
    }
    Data& data = own();  // forgets the counts: the set below is a change they do not follow
    if constexpr (keeps_counts) {
      if (before && data.is_object()) {
        const auto it = data.find(key);
        counts = counts_after_set(*settings_, *before, it == data.end() ? nullptr : &*it, data.empty(), key, value);
      }
    }
    data[std::string(key)] = std::move(value);
    counts_ = counts;
  }

  /// Django's del session[key] (the caller checked that `key` is there).
  void erase(std::string_view key) {
    ensure_loaded();
    if constexpr (members) {
      if (member_list()) {
        (void)held_.own_list().erase(key);
        counts_.reset();
        return;
      }
    }
    Data& data = own();
    data.erase(data.find(key));
  }

  /// The counts of the current data when known (never while at() handed out a reference, through
  /// which the data may change unseen).
  [[nodiscard]] const std::optional<ValueCounts>& known_counts() const noexcept {
    static const std::optional<ValueCounts> unknown;
    return exposed_ ? unknown : counts_;
  }

  /// The counts of the current data, walked by a save (nullopt: over a limit).
  void remember_counts(const std::optional<ValueCounts>& counts) noexcept { counts_ = counts; }

  /// Whatever holds it (no load): for code that knows the data was read already. Members kept
  /// apart are built into a whole object here, kept until the next change.
  [[nodiscard]] const Data& current() const {
    if constexpr (members) {
      if (member_list()) return held_.whole();
    }
    return shared_ ? *shared_ : owned_;
  }

  [[nodiscard]] bool is_empty() const noexcept { return !key_ && (!loaded_ || data_empty()); }

  /// The data holds exactly `list`'s members (pointers shared with it compare without a look
  /// at their values).
  [[nodiscard]] bool same_members(const MemberList& list) const requires members {
    if (const MemberList* mine = member_list()) return mine == &list || *mine == list;
    return owned_ == list.to_data();
  }

  /// The number of top-level keys.
  [[nodiscard]] std::size_t key_count() const {
    if (const MemberList* list = member_list()) return list->size();
    const Data& data = shared_ ? *shared_ : owned_;
    return data.is_object() ? data.size() : 0;
  }

  /// The counts of the current data by walking it (nullopt: over a limit).
  [[nodiscard]] std::optional<ValueCounts> walk_current_counts() const {
    if (const MemberList* list = member_list()) return walk_member_counts(*settings_, *list);
    return walk_counts(*settings_, shared_ ? *shared_ : owned_);
  }

  /// True when a save would change the stored record: modified, or changed in place through a
  /// reference from at() (compared by fingerprint with what was loaded).
  [[nodiscard]] bool needs_save() const {
    if (modified_) return true;
    if (!exposed_ || !loaded_) return false;
    return !baseline_ || *baseline_ != fingerprint_of(current());
  }

  /// A mutable reference into the data is handed out (at()): remember the state before any
  /// in-place change, unless set() etc. changed it already.
  Data& expose() {
    Data& data = write_data();
    if (!baseline_ && !modified_) baseline_ = fingerprint_of(data);
    exposed_ = true;
    return data;
  }

  [[nodiscard]] std::uint64_t fingerprint_of(const Data& data) const {
    return codec::fingerprint_of(serializer_, data);
  }

  /// The user id an event names: the session's `_auth_user_id` when a hook is set and the data
  /// was read, else empty (nothing is looked up, and nothing loaded, for an event).
  [[nodiscard]] std::string event_user_id() const {
    if (!settings_->on_event || !loaded_) return {};
    return user_id_text(lookup(kAuthUserIdKey));
  }

  /// Tells Settings::on_event, when set, that `kind` happened to the session under `key`.
  void tell(SessionEventKind kind, std::string_view reason, std::string_view key) const {
    if (settings_->on_event) tell_event<Storage>(*settings_, kind, reason, key, event_user_id());
  }
  /// The same for the session's own key, with `user_id` gathered before the data changed.
  void tell_with_user(SessionEventKind kind, std::string_view reason, const std::string& user_id) const {
    if (settings_->on_event) tell_event<Storage>(*settings_, kind, reason, key_ ? *key_ : "", user_id);
  }

  /// Settings::lost_update asks for protection (the flow says whether the store can give it).
  [[nodiscard]] bool protecting() const noexcept {
    return Flow::has_compare_and_set && settings_->lost_update != LostUpdate::last_write_wins;
  }

  // Public to the Session and the flows (this is a detail type; the Session holds it privately).
  Storage* store_;
  const Settings* settings_;
  [[no_unique_address]] SerializerT serializer_;
  [[no_unique_address]] ExpiryT expiry_;
  std::optional<std::string> key_;
  std::optional<std::uint64_t> baseline_;  // fingerprint of the stored payload, when known
  LoadedVersion<payload_type> version_;    // lost-update protection only
  RequestState request_;
  bool loaded_ = false;
  bool accessed_ = false;
  bool modified_ = false;
  bool exposed_ = false;  // a mutable reference was handed out by at()

 protected:
  // The data, made the session's own before a change (copy-on-write: the one deep copy).
  Data& own() {
    counts_.reset();
    if constexpr (members) {
      if (const MemberList* list = member_list()) {
        owned_ = list->to_data();
        held_.drop();
      }
      held_.forget_whole();
    }
    if (shared_) {
      owned_ = *shared_;
      shared_.reset();
    }
    return owned_;
  }

  void adopt(Loaded loaded) {
    owned_ = std::move(loaded.owned);
    shared_ = std::move(loaded.shared);
    counts_.reset();
    if constexpr (members) {
      if (loaded.members) {
        counts_ = loaded.members->counts();
      } else if (counts_wanted(*settings_)) {
        counts_.emplace();
      }
      held_.hold_loaded(std::move(loaded.members));  // none stored: an empty list of its own
    }
  }

  // The members as a shared list (HeldMembers::share); when at() handed out a reference into
  // the whole data, which must stay valid, the data is copied and stays whole.
  SharedMembers share() requires members { return held_.share(owned_, exposed_, counts_); }

  // After a merge wrote `payload` (holding `merged`): it is now the session's data.
  void adopt_written(Data merged, const SharedMembers& payload) {
    counts_.reset();
    if constexpr (members) {
      if (payload && !exposed_) {
        held_.hold_stored(payload);
        owned_ = Data();
        return;
      }
      held_.drop();
    }
    owned_ = std::move(merged);
    shared_.reset();
  }

  // Loads on first use and marks the session accessed (Django's _session).
  void ensure_loaded() {
    accessed_ = true;
    if (!loaded_) {
      adopt(static_cast<Flow&>(*this).read_record(baseline_, /*own_load=*/true));
      loaded_ = true;
    }
  }

 private:
  // The value under `key` in the data as it is held (members or whole), or null; never loads and
  // never builds the members into one object.
  [[nodiscard]] const Data* lookup(std::string_view key) const {
    if (const MemberList* list = member_list()) return list->find(key);
    const Data& data = shared_ ? *shared_ : owned_;
    const auto it = data.find(key);
    return it == data.end() ? nullptr : &*it;
  }

  [[nodiscard]] bool data_empty() const noexcept {
    if (const MemberList* list = member_list()) return list->empty();
    return (shared_ ? *shared_ : owned_).empty();
  }

  // The members the data is held as, or null when it is held whole (always for other kinds).
  [[nodiscard]] const MemberList* member_list() const noexcept { return held_.list(); }

  Data owned_;                         // the data, when the session owns it whole
  SharedData shared_;                  // the data, while it is shared and unchanged (copy-on-write)
  std::optional<ValueCounts> counts_;  // of the current data, when known (value stores)
  [[no_unique_address]] std::conditional_t<members, HeldMembers, NoHeldMembers> held_;
};

}  // namespace sessions::detail
