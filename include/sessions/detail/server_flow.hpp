#pragma once
// The server-side flow of a Session: the data lives in a store under a random key. A save writes
// through the store using only create-if-absent, update-if-present and touch, so a key collision
// never takes over a record and a slow request never brings back a session that a concurrent
// logout deleted. Unchanged data (same fingerprint, or the very value loaded) only moves the
// expiry. With lost-update protection, updates go through the store's compare-and-set.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../concepts.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "../expiry/arithmetic.hpp"
#include "../log.hpp"
#include "../session_key.hpp"
#include "../settings.hpp"
#include "index_keeping.hpp"
#include "limits.hpp"
#include "compare_and_set.hpp"
#include "merge.hpp"
#include "payload.hpp"
#include "session_state.hpp"

namespace sessions::detail {

template <class Storage, class SerializerT, class ExpiryT>
class ServerFlow : public SessionState<ServerFlow<Storage, SerializerT, ExpiryT>, Storage, SerializerT, ExpiryT> {
  using Base = SessionState<ServerFlow, Storage, SerializerT, ExpiryT>;
  using codec = typename Base::codec;
  using payload_type = typename Base::payload_type;

 public:
  static constexpr bool has_compare_and_set = requirement::storage_update_if<Storage>;
  /// How many fresh keys create() tries before giving up (a collision of 165-bit random keys
  /// means the random source or the store is broken, not bad luck).
  static constexpr int kCreateAttempts = 100;

  using Base::Base;

  static void check_settings(const Settings& settings) {
    if (settings.lost_update == LostUpdate::last_write_wins) return;
    if constexpr (!has_compare_and_set) {
      throw ConfigurationError(
          "Settings::lost_update is fail or merge, but the storage policy lacks update_if(std::string_view key, const "
          "payload_type&, sessions::TimePoint expires_at, const payload_type& expected) -> sessions::CasResult, the "
          "compare-and-set it needs");
    }
  }

  [[nodiscard]] bool accepts_key(std::string_view key) const { return is_valid_session_key(key); }

  [[nodiscard]] bool exists(std::string_view key) { return is_valid_session_key(key) && this->store_->exists(key); }

  static std::size_t clear_expired(Storage& store) { return static_cast<std::size_t>(store.clear_expired()); }

  /// Django's create(): a fresh key, stored at once with the current data; never overwrites.
  void create() {
    store_under_new_key();
    created();
  }

  void save(bool must_create) {
    if (!this->key_) {
      create();
      return;
    }
    if (must_create) {
      this->start_without_load();
    } else {
      begin_update();  // UpdateError when loading dropped the key (a concurrent logout)
    }
    if (!write(*this->key_, must_create)) {
      if (must_create) throw CreateError("a session with this key exists already");
      throw UpdateError("the session no longer exists in the store");
    }
    keep_index(*this->key_);
    this->tell(must_create ? SessionEventKind::created : SessionEventKind::saved, "saved", *this->key_);
  }

  // --- save() in steps, for a caller that makes the store calls itself (the async API's native
  // path): plan_write() says which call with what, complete_write() follows a successful one.

  /// save() of a session with a key, up to its write (plan_write(key, false)): the data read;
  /// UpdateError when loading dropped the key (the record vanished, e.g. a concurrent logout: it
  /// is never brought back).
  void begin_update() {
    this->ensure_loaded();
    if (!this->key_) throw UpdateError("the session no longer exists in the store");
  }
  /// After the write of begin_update()'s plan succeeded.
  void updated() {
    keep_index(*this->key_);
    this->tell(SessionEventKind::saved, "saved", *this->key_);
  }
  /// create() up to its writes (plan_write(a fresh key, true) each, until one is not taken): the
  /// data started empty where unread, the expiry policy's on_create.
  void begin_create() {
    this->start_without_load();
    this->expiry_on_create(this->settings_->clock.now());
  }
  /// After `key`'s create succeeded: the key is the session's.
  void took_key(std::string key) {
    this->key_ = std::move(key);
    this->modified_ = true;
    this->request_.key_issued = true;
  }
  /// create()'s end, once the record is stored under took_key()'s key.
  void created() {
    keep_index(*this->key_);
    this->tell(SessionEventKind::created, "new session", *this->key_);
  }

  enum class WriteKind { create, update, touch, compare_and_set };
  /// One write, planned: the store call, its payload (none for a touch) and expiry.
  struct WritePlan {
    WriteKind kind;
    TimePoint expires_at;
    payload_type payload{};
    std::uint64_t print = 0;  // bytes: the fingerprint of `payload`
  };

  /// write()'s checks (LimitExceeded before anything is written), expiry and payload, for `key`
  /// (a keyed serializer binds the bytes to it).
  WritePlan plan_write(std::string_view key, bool must_create) {
    if constexpr (Base::keeps_counts) {
      check_current_limits();
    } else {
      check_limits(this->current());
    }
    const TimePoint now = this->settings_->clock.now();
    const TimePoint expires_at =
        add_saturating(now, this->expiry_.expiry_age(this->expiry_data(), *this->settings_, now));
    index_.wrote(expires_at);
    const bool compare_and_set = !must_create && this->protecting() && this->version_.expected.has_value();
    if constexpr (codec::keeps_values) {
      (void)key;  // values are stored as they are
      // Unchanged (the very value loaded, or an equal one): only the expiry moves.
      if (compare_and_set && unchanged_since(*this->version_.expected)) return {WriteKind::touch, expires_at};
      return {compare_and_set ? WriteKind::compare_and_set
              : must_create   ? WriteKind::create
                              : WriteKind::update,
              expires_at, current_payload()};
    } else {
      const Data& data = this->current();
      std::string payload = codec::encode(this->serializer_, data, key);
      check_size_limit(*this->settings_, payload.size());
      const std::uint64_t print = codec::loaded_fingerprint(this->serializer_, payload, data);
      // Nothing to write: the version compared with stays.
      if (!must_create && this->baseline_ && *this->baseline_ == print) return {WriteKind::touch, expires_at};
      return {must_create       ? WriteKind::create
              : compare_and_set ? WriteKind::compare_and_set
                                : WriteKind::update,
              expires_at, std::move(payload), print};
    }
  }

  /// After the store wrote `plan` (a touch needs nothing): the baseline and the version compared with.
  void complete_write(WritePlan& plan) {
    if (plan.kind == WriteKind::touch) return;
    if constexpr (!codec::keeps_values) {
      // A merge wrote other bytes than the data gave.
      if (plan.kind == WriteKind::compare_and_set)
        plan.print = codec::loaded_fingerprint(this->serializer_, plan.payload, this->current());
      this->baseline_ = plan.print;
    }
    written(plan.payload);
  }

  /// Deletes this session's record (`reason`: "delete" or "flush"; `user_id` as it was before a
  /// flush emptied the data).
  void destroy(std::string_view reason, const std::string& user_id) {
    if (!this->key_) return;
    this->store_->remove(*this->key_);
    index_.removed(*this->store_, *this->key_);
    this->tell_with_user(SessionEventKind::destroyed, reason, user_id);
  }
  /// Deletes the record of another session.
  void destroy_other(std::string_view key) {
    if (!is_valid_session_key(key)) return;
    this->store_->remove(key);
    if (this->settings_->on_event)
      tell_event<Storage>(*this->settings_, SessionEventKind::destroyed, "delete", key, {});
  }

  void cycle_key() {
    this->ensure_loaded();  // load first: the data must survive (Django ticket #28066)
    std::optional<std::string> old = this->key_;
    store_under_new_key();
    if (old) {
      this->store_->remove(*old);
      index_.removed(*this->store_, *old);
    }
    keep_index(*this->key_);
    this->tell(SessionEventKind::key_cycled, "cycle_key", *this->key_);
  }

  void touch() {
    // Load before reading key_: a load that finds no live record drops the key, so the key must
    // be read only after the data (never within one expression that may load).
    const Data& data = this->expiry_data();
    if (!this->key_) throw UpdateError("the session no longer exists in the store");
    const TimePoint now = this->settings_->clock.now();
    const TimePoint expires_at = add_saturating(now, this->expiry_.expiry_age(data, *this->settings_, now));
    if (!this->store_->touch(*this->key_, expires_at)) throw UpdateError("the session no longer exists in the store");
    index_.wrote(expires_at);
    keep_index(*this->key_);
  }

  /// Reads the record: empty data when it is missing or expired (and the key is dropped: the
  /// client's key is never adopted), undecodable or over a limit (logged, the key kept).
  /// `own_load`: this is the session's own load, which lost-update protection compares with; it
  /// takes the record fetched ahead (fetched()) when there is one.
  Loaded read_record(std::optional<std::uint64_t>& baseline, bool own_load) {
    baseline.reset();
    if (!this->key_) return nothing_loaded();
    if (own_load && fetched_) [[unlikely]] {
      Loaded loaded = process_record(*fetched_, baseline, own_load);
      fetched_.reset();
      return loaded;
    }
    auto record = this->store_->load(*this->key_);
    return process_record(record, baseline, own_load);
  }

  /// The key whose record the session's own load would read now (none when read already, or
  /// without a key): what the async API fetches ahead, off the session.
  [[nodiscard]] const std::string* key_to_fetch() const noexcept {
    return this->loaded_ || fetched_ || !this->key_ ? nullptr : &*this->key_;
  }
  /// The record of key_to_fetch(), read by someone else (the async API, on a pool thread or by a
  /// store's own async load): the session's own load processes it as if it had read it, when the
  /// data is first used (so a stale key still counts as Django's: dropped at that use, not now).
  void fetched(std::optional<Record<payload_type>> record) { fetched_.emplace(std::move(record)); }

  /// A record read for this session's key (read_record(), or fetched ahead), made data.
  /// (`record` is taken apart: its payload may be moved out.)
  Loaded process_record(std::optional<Record<payload_type>>& record, std::optional<std::uint64_t>& baseline,
                        bool own_load) {
    if (!record) {
      if (own_load) this->tell(SessionEventKind::missing, "not in the store", *this->key_);
      if (own_load) index_.forget();
      this->key_.reset();  // unknown or expired: never adopt the client's key (no record is created)
      return nothing_loaded();
    }
    const Settings& settings = *this->settings_;
    const std::string_view key = *this->key_;
    const bool protect = own_load && this->protecting();  // this load is the version a save compares with
    // Told by the session's own load only: an explicit load() reads without adopting, and the
    // session's own load after it would tell the same record again.
    const auto reject = [&](std::string_view reason) {
      if (own_load) this->tell(SessionEventKind::rejected, reason, key);
    };
    Loaded loaded = nothing_loaded();  // what a record over a limit loads as
    if constexpr (codec::keeps_values) {
      // A value store in this process holds only what a save of this library checked already:
      // walking the whole value again on every load cost 18% of a MemoryValueStore request. The
      // key count is O(1) and stays.
      if (!over_key_limit(settings, key, stored_key_count(record->payload))) {
        loaded = codec::decode(this->serializer_, record->payload, /*keep=*/protect, key);
      } else {
        reject("over a limit");
      }
    } else if (over_size_limit(settings, key, record->payload.size())) {  // too big: not even decoded
      reject("over a limit");
    } else {
      try {
        loaded = codec::decode(this->serializer_, record->payload, /*keep=*/true, key);
        if (over_key_limit(settings, key, loaded.owned) || over_node_limit(settings, key, loaded.owned)) {
          loaded.owned = Data::object();
          reject("over a limit");
        } else if (!codec::needs_rewrite(this->serializer_, record->payload)) {
          // Bytes to write again (sealed under a fallback key) get no baseline: the next save
          // then writes even unchanged data, under the current key.
          baseline = codec::loaded_fingerprint(this->serializer_, record->payload, loaded.owned);
        }
      } catch (const Error& e) {
        // Django: "Session data corrupted", logged on the security logger; the session goes on
        // empty under the same key.
        settings.logger(
            LogLevel::warning, "sessions.security.SuspiciousSession",
            std::string("Session data corrupted (key ") + std::string(loggable_key_prefix(key)) + "...): " + e.what());
        reject("data corrupted");
      }
    }
    if (own_load) index_.loaded(loaded);
    if (protect) {
      if constexpr (codec::kind == PayloadKind::members) {
        this->version_.remember(settings, std::move(record->payload), [&] { return codec::data_of(loaded.members); });
      } else {
        this->version_.remember(settings, std::move(record->payload), loaded.owned);
      }
    }
    return loaded;
  }

  /// Keeps the per-user index in step (an empty no-op unless the store is UserIndexed).
  [[no_unique_address]] IndexKeeper<Storage> index_{};

 private:
  // The record fetched ahead for the session's own load (an empty inner optional: none stored).
  std::optional<std::optional<Record<payload_type>>> fetched_;

  // After a successful write of `key`: the index follows (a UserIndexed store only). A session the
  // per-user limit refused is gone: the key is dropped and the caller told.
  void keep_index(std::string_view key) {
    if (index_.after_write(*this->store_, *this->settings_, key,
                           [this] { return user_id_text(this->find(kAuthUserIdKey)); })) {
      this->key_.reset();
      throw SessionLimitReached("the user holds Settings::max_sessions_per_user sessions already");
    }
  }

  // A fresh key, stored at once with the current data (create() and cycle_key()); never overwrites.
  void store_under_new_key() {
    begin_create();
    for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
      std::string key = generate_session_key(this->settings_->random);
      if (write(key, /*must_create=*/true)) {
        took_key(std::move(key));
        return;
      }
    }
    throw CreateError("unable to create a new session key: every attempt collided with an existing record");
  }

  // No record: empty data (for members, an empty list: no whole object is allocated).
  static Loaded nothing_loaded() {
    if constexpr (codec::kind == PayloadKind::members) {
      return Loaded{Data(), nullptr, nullptr};
    } else {
      return Loaded{};
    }
  }

  static std::size_t stored_key_count(const payload_type& payload) {
    if constexpr (codec::kind == PayloadKind::members) {
      return payload ? payload->size() : 0;
    } else {
      return payload.is_object() ? payload.size() : 0;
    }
  }

  // What a save must check before anything reaches the store.
  void check_limits(const Data& data) const {
    check_key_limit(*this->settings_, data);
    check_node_limit(*this->settings_, data);
    if constexpr (codec::keeps_values) {
      const std::size_t limit = this->settings_->max_payload_bytes;
      if (limit != 0) check_size_limit(*this->settings_, bounded_json_size(data, limit));
    }
  }

  // The limits of the current data of a value store: by its counts when the session knows them,
  // else by one walk whose counts the shared list then keeps.
  void check_current_limits() {
    const Settings& settings = *this->settings_;
    if (!counts_wanted(settings) || this->exposed_) {
      check_limits(this->current());
      return;
    }
    check_key_count(settings, this->key_count());
    std::optional<ValueCounts> counts = this->known_counts();
    if (!counts) {
      counts = this->walk_current_counts();
      this->remember_counts(counts);
      if (!counts) {
        check_limits(this->current());  // over a limit: throws, with that limit's own message
        return;
      }
    }
    check_node_count(settings, counts->nodes);
    check_size_limit(settings, counts->size);
  }

  // The payload for the current data: a value store's shared members (the loaded list itself
  // when unchanged), or the data encoded.
  payload_type current_payload() {
    if constexpr (codec::kind == PayloadKind::members) {
      return this->share();
    } else {
      return codec::encode(this->serializer_, this->current(), {});  // a value store: no bytes
    }
  }

  // The data still equals what `expected` (the version this request loaded) holds.
  bool unchanged_since(const payload_type& expected) requires codec::keeps_values {
    if constexpr (codec::kind == PayloadKind::members) {
      return expected ? this->same_members(*expected) : this->key_count() == 0;
    } else {
      return this->current() == expected;
    }
  }

  // After a successful write: what the record now holds is the version the next save of this
  // request compares with, and the baseline its merge compares keys with.
  void written(const payload_type& payload) {
    if (this->protecting()) this->version_.remember(*this->settings_, payload, [&] { return this->current(); });
  }

  // One write: create-if-absent, update-if-present (compare-and-set when protecting), or (for
  // unchanged data) touch. Returns the store's answer: false when the record exists (create) or
  // is gone (update/touch). LimitExceeded before anything is written when the data is too big.
  bool write(std::string_view key, bool must_create) {
    WritePlan plan = plan_write(key, must_create);
    bool ok = false;
    switch (plan.kind) {
      case WriteKind::touch:
        return this->store_->touch(key, plan.expires_at);
      case WriteKind::create:
        ok = this->store_->create(key, plan.payload, plan.expires_at);
        break;
      case WriteKind::update:
        ok = this->store_->update(key, plan.payload, plan.expires_at);
        break;
      case WriteKind::compare_and_set:
        ok = write_compare_and_set(key, plan.payload, plan.expires_at);
        break;
    }
    if (ok) complete_write(plan);
    return ok;
  }

  // A compare-and-set save (compare_and_set.hpp: the flow's one write that may read and merge).
  bool write_compare_and_set(std::string_view key, payload_type& payload, TimePoint expires_at) {
    return compare_and_set_write(*this, key, payload, expires_at);
  }
  template <class Flow, class Payload>
  friend bool compare_and_set_write(Flow&, std::string_view, Payload&, TimePoint);
  template <class Flow, class Payload>
  friend bool try_compare_and_set(Flow&, std::string_view, Payload&, TimePoint);
};

}  // namespace sessions::detail
