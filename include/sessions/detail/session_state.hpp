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
// Copy-on-write: data loaded from a store that shares it (MemoryValueStore's SharedData, a cookie
// store's cache of verified values) is held as that shared pointer, and copied into data of the
// session's own only by the first change (set, erase, pop, update, at()...). Reads never copy, and
// saving an unchanged session writes the same pointer back; a value store's save hands the
// session's data over (moved into a new SharedData, which the session then shares). A reference
// from data() stays valid until the next change.
//
// Value stores also get the data's size and node count kept up to date through set()
// (value_counts.hpp), so that their save need not walk the whole data for the limits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../data.hpp"
#include "../record.hpp"
#include "../settings.hpp"
#include "merge.hpp"
#include "payload.hpp"
#include "value_counts.hpp"

namespace sessions::detail {

/// What the middleware learnt from the request and the handler's promise not to write. Not part
/// of a Session's public API: the middleware reaches it through SessionAccess.
struct RequestState {
  bool cookie_received = false;
  bool secure = false;
  bool read_only = false;
};

template <class Flow, class Storage, class SerializerT, class ExpiryT>
class SessionState {
 public:
  using codec = PayloadCodec<Storage, SerializerT>;
  using payload_type = typename codec::payload_type;
  /// Only a value store's save checks the limits by walking values, so only it keeps counts.
  static constexpr bool keeps_counts = codec::kind == PayloadKind::shared;

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
    accessed_ = true;
    if (!loaded_) replace_with_empty();
    return current();
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
    owned_ = Data::object();
    shared_.reset();
    loaded_ = true;
    counts_.reset();
    if (keeps_counts && counts_wanted(*settings_)) counts_.emplace();
  }

  /// Django's session[key] = value; the counts follow without a walk of the whole data.
  void assign(std::string_view key, Data value) {
    ensure_loaded();
    const std::optional<ValueCounts> before = counts_;
    Data& data = own();  // forgets the counts: the set below is a change they do not follow
    std::optional<ValueCounts> counts;
    if constexpr (keeps_counts) {
      if (before) counts = counts_after_set(*settings_, *before, data, key, value);
    }
    data[std::string(key)] = std::move(value);
    counts_ = counts;
  }

  /// The counts of the current data when known (never while at() handed out a reference, through
  /// which the data may change unseen).
  [[nodiscard]] const std::optional<ValueCounts>& known_counts() const noexcept {
    static const std::optional<ValueCounts> unknown;
    return exposed_ ? unknown : counts_;
  }

  /// The counts of the current data, walked by a save (nullopt: over a limit).
  void remember_counts(const std::optional<ValueCounts>& counts) noexcept { counts_ = counts; }

  /// Whatever holds it (no load, no copy): for code that knows the data was read already.
  [[nodiscard]] const Data& current() const noexcept { return shared_ ? *shared_ : owned_; }

  [[nodiscard]] bool is_empty() const noexcept { return !key_ && (!loaded_ || current().empty()); }

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
    if constexpr (keeps_counts) {
      if (shared_) counts_ = counts_of(shared_);
    }
  }

  // The session's own data moved into a new shared value, which the session then shares (no
  // copy); unless at() handed out a reference into it, which must stay valid: a copy then.
  SharedData share() {
    if (shared_) return shared_;
    if (exposed_) return std::make_shared<const Data>(owned_);
    if (counts_) {
      shared_ = share_counted(std::move(owned_), *counts_);
    } else {
      shared_ = std::make_shared<const Data>(std::move(owned_));
    }
    owned_ = Data();
    return shared_;
  }

  // After a merge wrote `payload` (holding `merged`): it is now the session's data.
  void adopt_written(Data merged, const SharedData& payload) {
    counts_.reset();
    if (payload && !exposed_) {
      shared_ = payload;
      owned_ = Data();
      return;
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
  Data owned_;                         // the data, when the session owns it (shared_ empty)
  SharedData shared_;                  // the data, while it is shared and unchanged (copy-on-write)
  std::optional<ValueCounts> counts_;  // of the current data, when known (value stores)
};

}  // namespace sessions::detail
