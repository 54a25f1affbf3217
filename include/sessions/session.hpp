#pragma once
// Session<Storage, Serializer, Expiry>: Django's SessionBase, in C++.
//
// A Session is a short-lived object, one per request: it holds the key it was opened with and
// nothing else until the data is first touched (lazy load, as in Django). Reads set `accessed`;
// writes set `modified`; save() writes through the storage policy using only create-if-absent,
// update-if-present and touch, so a key collision never takes over a record and a slow request
// never brings back a session that a concurrent logout deleted.
//
// Beyond Django: a fingerprint (xxHash3) of the stored payload, taken at load, lets save() skip
// the write of data that did not change (only the expiry is refreshed) and lets the middleware
// notice a nested change made through a reference (`session.at("cart").push_back(...)`), which
// Django silently loses.
//
// Lost-update protection (Settings::lost_update, off by default as in Django): with `fail` or
// `merge`, the load keeps the payload it read (and, for merge, a fingerprint of each top-level
// value), and save() writes through the store's update_if(), a compare-and-set against that
// payload. When another request saved the session in between: `fail` throws ConflictError;
// `merge` reloads the record, applies this request's changes on top of it (the keys whose value
// changed or that are new are set, the keys it erased are erased; clear() or flush() replaces
// everything) and tries again, up to Settings::merge_attempts times. A key changed by both
// requests is a ConflictError even with merge: the value this request computed from what it read
// would overwrite the other's change. A record deleted meanwhile
// (logout, cycle_key) is `missing`: UpdateError as always, never re-created. Off, none of this
// runs: no copy kept, no fingerprint computed, no extra round trip. The guarantee holds between
// requests that all use update_if (every store of the library implements it atomically); a request
// saving with protection off still overwrites. A session that never read its record (clear() on a
// session never loaded, then save) has no version to compare with: it replaces the record with a
// plain update, as the clear() asked.
//
// Copy-on-write: data loaded from a store that shares it (MemoryValueStore's SharedData, a cookie
// store's cache of verified values) is held as that shared pointer, and copied into data of the
// session's own only by the first change (set, erase, pop, update, at()...). Reads never copy, and
// saving an unchanged session writes the same pointer back; a value store's save hands the
// session's data over (moved into a new SharedData, which the session then shares). A reference
// from data() stays valid until the next change.
//
// Limits (Settings::max_payload_bytes, max_keys, max_nodes): save() of a session over a limit throws
// LimitExceeded and writes nothing; a record over a limit loads as an empty session, logged on
// "sessions.security.SuspiciousSession" like corrupt data (a payload over the size limit is not
// even decoded).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "concepts.hpp"
#include "data.hpp"
#include "detail/fingerprint.hpp"
#include "detail/json_nodes.hpp"
#include "detail/json_size.hpp"
#include "errors.hpp"
#include "expiry/django.hpp"
#include "expiry/expiry_value.hpp"
#include "log.hpp"
#include "serializer/json.hpp"
#include "session_key.hpp"
#include "settings.hpp"

namespace sessions {

/// The optional arguments of get_expiry_age()/get_expiry_date(), as in Django: `modification`
/// defaults to now; passing `expiry` (even std::monostate, Django's None) uses it instead of the
/// session's own `_session_expiry` and does not load the session.
struct ExpiryQuery {
  std::optional<TimePoint> modification = std::nullopt;
  std::optional<ExpiryValue> expiry = std::nullopt;
};

template <class SessionT>
class ReadOnlySession;

template <class Storage, class Serializer = JsonSerializer, class Expiry = DjangoExpiry>
class Session {
  // Each requirement of each policy is checked on its own, so the compiler's first error names
  // exactly what a user-written policy is missing.
  static constexpr bool client_side = ClientStorage<Storage>;
  static_assert(client_side || requirement::storage_payload_type<Storage>, "storage policy lacks: typename payload_type");
  static_assert(client_side || requirement::storage_load<Storage>,
                "storage policy lacks: load(std::string_view key) -> std::optional<sessions::Record<payload_type>>");
  static_assert(client_side || requirement::storage_create<Storage>,
                "storage policy lacks: create(std::string_view key, const payload_type&, sessions::TimePoint "
                "expires_at) -> bool");
  static_assert(client_side || requirement::storage_update<Storage>,
                "storage policy lacks: update(std::string_view key, const payload_type&, sessions::TimePoint "
                "expires_at) -> bool");
  static_assert(client_side || requirement::storage_touch<Storage>,
                "storage policy lacks: touch(std::string_view key, sessions::TimePoint expires_at) -> bool");
  static_assert(client_side || requirement::storage_remove<Storage>, "storage policy lacks: remove(std::string_view key)");
  static_assert(client_side || requirement::storage_exists<Storage>, "storage policy lacks: exists(std::string_view key) -> bool");
  static_assert(client_side || requirement::storage_clear_expired<Storage>, "storage policy lacks: clear_expired() -> std::size_t");
  static_assert(requirement::serializer_dumps<Serializer>,
                "serializer policy lacks: dumps(const sessions::Data&) -> std::string");
  static_assert(requirement::serializer_loads<Serializer>, "serializer policy lacks: loads(std::string_view) -> sessions::Data");
  static_assert(requirement::expiry_age<Expiry>,
                "expiry policy lacks: expiry_age(const sessions::Data&, const sessions::Settings&, sessions::TimePoint) "
                "-> std::chrono::seconds");
  static_assert(requirement::expiry_browser_close<Expiry>,
                "expiry policy lacks: expire_at_browser_close(const sessions::Data&, const sessions::Settings&) -> bool");
  static_assert(requirement::expiry_refresh_on_access<Expiry>,
                "expiry policy lacks: refresh_on_access(const sessions::Settings&) -> bool");
  static_assert(requirement::expiry_on_create<Expiry>,
                "expiry policy lacks: on_create(sessions::Data&, sessions::TimePoint)");

  static constexpr bool stores_values = [] {
    if constexpr (client_side) {
      return false;
    } else {
      return std::is_same_v<typename Storage::payload_type, Data> ||
             std::is_same_v<typename Storage::payload_type, SharedData>;
    }
  }();

  /// The store keeps values shared immutably (SharedData): loads and saves move pointers.
  static constexpr bool stores_shared = [] {
    if constexpr (client_side) {
      return false;
    } else {
      return std::is_same_v<typename Storage::payload_type, SharedData>;
    }
  }();

  /// The store can compare-and-set (update_if), as lost-update protection needs.
  static constexpr bool has_update_if = [] {
    if constexpr (client_side) {
      return false;
    } else {
      return requirement::storage_update_if<Storage>;
    }
  }();

  template <class S, bool Client>
  struct payload_of {
    using type = std::string;
  };
  template <class S>
  struct payload_of<S, false> {
    using type = typename S::payload_type;
  };
  using stored_payload = typename payload_of<Storage, client_side>::type;

 public:
  using storage_type = Storage;
  using serializer_type = Serializer;
  using expiry_type = Expiry;

  /// How many fresh keys create() tries before giving up (a collision of 165-bit random keys
  /// means the random source or the store is broken, not bad luck).
  static constexpr int kCreateAttempts = 100;

  /// A new session (Django: SessionStore()).
  explicit Session(Storage& store, const Settings& settings = default_settings(), Serializer serializer = {},
                   Expiry expiry = {})
      : store_(&store), settings_(&settings), serializer_(std::move(serializer)), expiry_(std::move(expiry)) {
    check_settings(settings);
  }

  /// ConfigurationError when `settings` ask for something this Session's store cannot do: lost-
  /// update protection over a store without update_if(). Middleware checks it once at
  /// construction; every Session checks it again (a comparison).
  static void check_settings(const Settings& settings) {
    if (settings.lost_update == LostUpdate::last_write_wins) return;
    if constexpr (!has_update_if) {
      throw ConfigurationError(
          std::string("Settings::lost_update is fail or merge, but the storage policy lacks update_if(std::string_view "
                      "key, const payload_type&, sessions::TimePoint expires_at, const payload_type& expected) -> "
                      "sessions::CasResult, the compare-and-set it needs") +
          (client_side ? " (a cookie store cannot have one: each response carries its own copy of the session)" : ""));
    }
    if (settings.lost_update == LostUpdate::merge && settings.merge_attempts < 1) {
      throw ConfigurationError("Settings::merge_attempts must be at least 1");
    }
  }

  /// An existing session (Django: SessionStore(session_key=...)). A key that fails validation is
  /// dropped, as Django drops keys shorter than 8 characters: the session starts empty and a
  /// save gives it a fresh key. Nothing is loaded until the data is used.
  Session(Storage& store, std::string_view key, const Settings& settings = default_settings(),
          Serializer serializer = {}, Expiry expiry = {})
      : Session(store, settings, std::move(serializer), std::move(expiry)) {
    if (accepts_key(key)) key_.emplace(key);
  }

  // Settings are held by reference: a temporary would dangle.
  Session(Storage&, const Settings&&, Serializer = {}, Expiry = {}) = delete;
  Session(Storage&, std::string_view, const Settings&&, Serializer = {}, Expiry = {}) = delete;

  Session(Session&&) noexcept = default;
  Session& operator=(Session&&) noexcept = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // --- the key ---------------------------------------------------------------------------------

  /// The session's key; empty until the session has one (a new session gets it on save/create).
  [[nodiscard]] const std::optional<std::string>& session_key() const noexcept { return key_; }

  // --- reading (sets accessed) -------------------------------------------------------------------

  /// The value under `key`, or null when absent (Django: get(key) -> None).
  [[nodiscard]] Data get(std::string_view key) {
    const Data& data = view();
    const auto it = data.find(key);
    return it == data.end() ? Data{} : *it;
  }

  /// The value under `key` converted to the type of `fallback`, or `fallback` when absent.
  /// A stored value that cannot be converted is a ValueTypeError. A string literal fallback
  /// gives a std::string.
  template <class T>
  [[nodiscard]] auto get(std::string_view key, T&& fallback) {
    using Result = result_type_t<T>;
    const Data& data = view();
    const auto it = data.find(key);
    if (it == data.end()) return Result(std::forward<T>(fallback));
    return convert<Result>(key, *it);
  }

  /// The value under `key`; KeyError when absent (Django: session[key]). The reference allows
  /// in-place changes, which save() detects by fingerprint.
  [[nodiscard]] Data& at(std::string_view key) {
    if (!view().contains(key)) throw KeyError("no session value named '" + std::string(key) + "'");
    Data& data = session();  // a reference allows changes: the data must be this session's own
    const auto it = data.find(key);
    // The state before any in-place change: what the record holds unless set() etc. ran already.
    if (!baseline_ && !modified_) baseline_ = fingerprint_of(data);
    exposed_ = true;
    return *it;
  }

  /// Django: `key in session` / has_key(key).
  [[nodiscard]] bool contains(std::string_view key) { return view().contains(key); }

  [[nodiscard]] std::vector<std::string> keys() {
    std::vector<std::string> out;
    const Data& data = view();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.push_back(item.key());
    return out;
  }

  [[nodiscard]] std::vector<Data> values() {
    std::vector<Data> out;
    const Data& data = view();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.push_back(item.value());
    return out;
  }

  [[nodiscard]] std::vector<std::pair<std::string, Data>> items() {
    std::vector<std::pair<std::string, Data>> out;
    const Data& data = view();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.emplace_back(item.key(), item.value());
    return out;
  }

  /// The whole data, read-only; the reference stays valid until the session next changes.
  [[nodiscard]] const Data& data() { return view(); }

  // --- writing (sets modified) -------------------------------------------------------------------

  /// Django: session[key] = value.
  template <class V>
  void set(std::string_view key, V&& value) {
    Data& data = session();
    data[std::string(key)] = Data(std::forward<V>(value));
    modified_ = true;
  }

  /// Django: del session[key]; KeyError when absent.
  void erase(std::string_view key) {
    if (!view().contains(key)) throw KeyError("no session value named '" + std::string(key) + "'");
    Data& data = session();
    data.erase(data.find(key));
    modified_ = true;
  }

  /// Django: pop(key); KeyError when absent.
  Data pop(std::string_view key) {
    if (!view().contains(key)) throw KeyError("no session value named '" + std::string(key) + "'");
    Data& data = session();
    const auto it = data.find(key);
    Data value = std::move(*it);
    data.erase(it);
    modified_ = true;
    return value;
  }

  /// Django: pop(key, default). A missing key does not mark the session modified.
  template <class T>
  auto pop(std::string_view key, T&& fallback) {
    using Result = result_type_t<T>;
    if (!view().contains(key)) return Result(std::forward<T>(fallback));
    Data& data = session();
    const auto it = data.find(key);
    Result value = convert<Result>(key, *it);
    data.erase(it);
    modified_ = true;
    return value;
  }

  /// Django: setdefault(key, value): the stored value if present, else stores and returns `value`.
  template <class V>
  Data setdefault(std::string_view key, V&& value) {
    {
      const Data& data = view();
      const auto it = data.find(key);
      if (it != data.end()) return *it;
    }
    Data stored(std::forward<V>(value));
    session()[std::string(key)] = stored;
    modified_ = true;
    return stored;
  }

  /// Django: update(dict). Marks the session modified even when `values` is empty.
  void update(const Data& values) {
    if (!values.is_object()) throw ValueTypeError("update() takes a JSON object");
    Data& data = session();
    for (const auto& item : values.items()) data[item.key()] = item.value();
    modified_ = true;
  }

  /// Django: clear(). Empties the data without loading it.
  void clear() {
    data_ = Data::object();
    shared_.reset();
    loaded_ = true;
    baseline_.reset();
    accessed_ = modified_ = true;
    whole_change_ = true;  // a merge replaces the record's data rather than re-applying keys
  }

  /// Django: is_empty(): no valid key and no data (or data never loaded).
  [[nodiscard]] bool is_empty() const noexcept { return !key_ && (!loaded_ || current().empty()); }

  // --- the test cookie ---------------------------------------------------------------------------

  void set_test_cookie() { set(kTestCookieName, kTestCookieValue); }
  [[nodiscard]] bool test_cookie_worked() {
    const Data& data = view();
    const auto it = data.find(kTestCookieName);
    return it != data.end() && *it == kTestCookieValue;
  }
  void delete_test_cookie() { erase(kTestCookieName); }

  // --- expiry ------------------------------------------------------------------------------------

  /// Django: set_expiry(None): back to the global policy.
  void set_expiry(std::nullopt_t) {
    if (!view().contains(kSessionExpiryKey)) return;
    Data& data = session();
    data.erase(data.find(kSessionExpiryKey));
    modified_ = true;
  }
  /// Django: set_expiry(seconds): expire after that many seconds of inactivity; 0 means when the
  /// browser closes.
  template <class Int>
    requires std::is_integral_v<Int> && (!std::is_same_v<Int, bool>)
  void set_expiry(Int seconds) {
    set(kSessionExpiryKey, saturate_int64(seconds));
  }
  /// Django: set_expiry(timedelta): expire at now + duration (stored as an ISO-8601 date).
  template <class Rep, class Period>
  void set_expiry(std::chrono::duration<Rep, Period> duration) {
    set_expiry(add_saturating(settings_->clock.now(), duration));
  }
  /// Django: set_expiry(datetime): expire at that instant (stored as an ISO-8601 date, as Django
  /// 4.1+ does).
  void set_expiry(TimePoint when) { set(kSessionExpiryKey, iso8601::format(when)); }

  /// Django: `get_expiry_age(modification=now, expiry=<stored>)`: seconds the session lives.
  [[nodiscard]] std::int64_t get_expiry_age(const ExpiryQuery& query = {}) {
    const TimePoint modification = query.modification.value_or(settings_->clock.now());
    if (query.expiry) return django_expiry_age(*query.expiry, settings_->cookie_age, modification).count();
    return expiry_.expiry_age(view(), *settings_, modification).count();
  }

  /// Django: `get_expiry_date(modification=now, expiry=<stored>)`: the instant the session ends.
  [[nodiscard]] TimePoint get_expiry_date(const ExpiryQuery& query = {}) {
    const TimePoint modification = query.modification.value_or(settings_->clock.now());
    if (query.expiry) return django_expiry_date(*query.expiry, settings_->cookie_age, modification);
    if constexpr (requires { expiry_.expiry_date(view(), *settings_, modification); }) {
      return expiry_.expiry_date(view(), *settings_, modification);
    } else {
      return add_saturating(modification, expiry_.expiry_age(view(), *settings_, modification));
    }
  }

  [[nodiscard]] bool get_expire_at_browser_close() { return expiry_.expire_at_browser_close(view(), *settings_); }

  [[nodiscard]] std::int64_t get_session_cookie_age() const noexcept { return settings_->cookie_age.count(); }

  // --- lifecycle ---------------------------------------------------------------------------------

  /// Django: exists(key): a live record is stored under `key` (an invalid key never is).
  /// Always false for client-side stores: nothing is kept on the server (as Django's signed_cookies).
  [[nodiscard]] bool exists(std::string_view key) {
    if constexpr (client_side) {
      (void)key;
      return false;
    } else {
      return is_valid_session_key(key) && store_->exists(key);
    }
  }

  /// Django: create(): a fresh key, stored at once with the current data (empty for a new
  /// session); never overwrites a record. The session is then modified (the cookie must go out).
  void create() {
    (void)session_without_load();
    expiry_.on_create(own(), settings_->clock.now());
    if constexpr (client_side) {
      modified_ = true;  // the cookie written at the response is the record
    } else {
      for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
        std::string key = generate_session_key(settings_->random);
        if (write(key, /*must_create=*/true)) {
          key_ = std::move(key);
          modified_ = true;
          return;
        }
      }
      throw CreateError("unable to create a new session key: every attempt collided with an existing record");
    }
  }

  /// Django: save(must_create=false). A session without a key is created. With must_create the
  /// record must not exist yet (CreateError); otherwise it must still exist (UpdateError: the
  /// session was deleted meanwhile and is not brought back). Data that did not change since it
  /// was loaded is not written again: only its expiry is refreshed.
  void save(bool must_create = false) {
    if constexpr (client_side) {
      // The new cookie value is the signed (or sealed) data, with a fresh timestamp.
      (void)must_create;
      check_key_limit(view());
      key_ = store_->encode(view(), *settings_, settings_->clock.now());
      modified_ = true;
    } else {
      if (!key_) {
        create();
        return;
      }
      if (must_create) {
        (void)session_without_load();
      } else {
        (void)view();
      }
      // Loading dropped the key: the record vanished (a concurrent logout); never bring it back.
      if (!key_) throw UpdateError("the session no longer exists in the store");
      if (!write(*key_, must_create)) {
        if (must_create) throw CreateError("a session with this key exists already");
        throw UpdateError("the session no longer exists in the store");
      }
    }
  }

  /// Django: delete(key=None): removes the record of `key`, or of this session when none is given.
  void destroy() {
    if constexpr (client_side) {
      // A cookie cannot be revoked: forget it and start over empty (Django's signed_cookies).
      key_.reset();
      data_ = Data::object();
      shared_.reset();
      loaded_ = true;
      modified_ = true;
    } else {
      if (key_) store_->remove(*key_);
    }
  }
  void destroy(std::string_view key) {
    if constexpr (client_side) {
      if (key_ && *key_ == key) destroy();
    } else {
      if (is_valid_session_key(key)) store_->remove(key);
    }
  }

  /// Django: load(): reads the record afresh and returns its data. A missing, expired or
  /// undecodable record gives empty data, and a missing or expired one also drops the key.
  /// Does not replace the data this session holds.
  [[nodiscard]] Data load() {
    std::optional<std::uint64_t> ignored;
    Loaded loaded = read_store(ignored, /*own_load=*/false);
    if (loaded.shared) return *loaded.shared;
    return std::move(loaded.owned);
  }

  /// Django: flush(): empties the data, deletes the record and drops the key.
  void flush() {
    clear();
    destroy();
    key_.reset();
  }

  /// Django: cycle_key(): same data under a new key; the old record is deleted. Call it at login
  /// to defeat session fixation.
  void cycle_key() {
    if constexpr (client_side) {
      save();  // a new signature is all a cookie session can change
    } else {
      (void)view();  // load first: the data must survive (Django ticket #28066)
      std::optional<std::string> old = key_;
      create();
      if (old) store_->remove(*old);
    }
  }

  /// Django: SessionStore.clear_expired(): removes expired records; returns how many.
  static std::size_t clear_expired(Storage& store) {
    if constexpr (client_side) {
      (void)store;
      return 0;  // cookies expire on their own
    } else {
      return static_cast<std::size_t>(store.clear_expired());
    }
  }
  std::size_t clear_expired() { return clear_expired(*store_); }

  // --- flags -------------------------------------------------------------------------------------

  [[nodiscard]] bool accessed() const noexcept { return accessed_; }
  [[nodiscard]] bool modified() const noexcept { return modified_; }
  void set_accessed(bool value) noexcept { accessed_ = value; }
  void set_modified(bool value) noexcept { modified_ = value; }

  /// True when a save would change the stored record: modified, or changed in place through a
  /// reference from at() (compared by fingerprint with what was loaded).
  [[nodiscard]] bool needs_save() {
    if (modified_) return true;
    if (!exposed_ || !loaded_) return false;
    return !baseline_ || *baseline_ != fingerprint_of(current());
  }

  /// A read-only view for a handler that only reads; once taken, an unmodified session is never
  /// saved or re-sent by the middleware, whatever the settings say.
  [[nodiscard]] ReadOnlySession<Session> read_only() {
    read_only_ = true;
    return ReadOnlySession<Session>(*this);
  }
  [[nodiscard]] bool read_only_requested() const noexcept { return read_only_; }

  /// What the middleware learnt from the request: whether it carried the session cookie and
  /// whether it came over HTTPS.
  void note_request(bool cookie_received, bool secure) noexcept {
    cookie_received_ = cookie_received;
    request_secure_ = secure;
  }
  [[nodiscard]] bool cookie_received() const noexcept { return cookie_received_; }
  [[nodiscard]] bool request_secure() const noexcept { return request_secure_; }

  /// Loads the data if it is not loaded yet, without marking the session accessed (the
  /// middleware does this before deciding whether a stale key left the session empty).
  void load_if_needed() {
    const bool was_accessed = accessed_;
    (void)view();
    accessed_ = was_accessed;
  }

  [[nodiscard]] const Settings& settings() const noexcept { return *settings_; }
  [[nodiscard]] Storage& store() noexcept { return *store_; }
  [[nodiscard]] const Expiry& expiry_policy() const noexcept { return expiry_; }

  /// Refreshes the record's expiry without writing its data (for expiry policies that extend the
  /// session on every request). UpdateError when the record is gone.
  void touch() {
    if (!key_) return;
    if constexpr (client_side) {
      save();
    } else {
      // Load before reading key_: a load that finds no live record drops the key, so the key must
      // be read only after the data (never within one expression that may load).
      const Data& data = view();
      if (!key_) throw UpdateError("the session no longer exists in the store");
      const TimePoint now = settings_->clock.now();
      const TimePoint expires_at = add_saturating(now, expiry_.expiry_age(data, *settings_, now));
      if (!store_->touch(*key_, expires_at)) throw UpdateError("the session no longer exists in the store");
    }
  }

  static constexpr std::string_view kTestCookieName = "testcookie";
  static constexpr std::string_view kTestCookieValue = "worked";

 private:
  template <class T>
  using result_type_t = std::conditional_t<std::is_convertible_v<T, std::string_view> &&
                                               !std::is_same_v<std::remove_cvref_t<T>, Data>,
                                           std::string, std::remove_cvref_t<T>>;

  template <class R>
  static R convert(std::string_view key, const Data& value) {
    if constexpr (std::is_same_v<R, Data>) {
      return value;
    } else {
      try {
        return value.template get<R>();
      } catch (const nlohmann::json::exception&) {
        throw ValueTypeError("session value '" + std::string(key) + "' is a " + value.type_name() +
                             " and cannot be converted to the requested type");
      }
    }
  }

  bool accepts_key(std::string_view key) const {
    if constexpr (client_side) {
      return key.size() >= kMinSessionKeyLength && store_->accepts(key);
    } else {
      return is_valid_session_key(key);
    }
  }

  // What a read of the store gave: data of the session's own, or data shared immutably.
  struct Loaded {
    Data owned = Data::object();
    SharedData shared{};
  };

  // The current data, whoever owns it.
  [[nodiscard]] const Data& current() const noexcept { return shared_ ? *shared_ : data_; }

  // The data, made the session's own before a change (copy-on-write: the one deep copy).
  Data& own() {
    if (shared_) {
      data_ = *shared_;
      shared_.reset();
    }
    return data_;
  }

  // Loads on first use and marks the session accessed (Django's _session).
  void ensure_loaded() {
    accessed_ = true;
    if (!loaded_) {
      Loaded loaded = read_store(baseline_, /*own_load=*/true);
      data_ = std::move(loaded.owned);
      shared_ = std::move(loaded.shared);
      loaded_ = true;
    }
  }

  // The lazily loaded data, to read: never copies.
  const Data& view() {
    ensure_loaded();
    return current();
  }

  // The lazily loaded data, to change: the session's own.
  Data& session() {
    ensure_loaded();
    return own();
  }

  // Django's _get_session(no_load=True): the data if loaded, otherwise a fresh empty object.
  const Data& session_without_load() {
    accessed_ = true;
    if (!loaded_) {
      data_ = Data::object();
      shared_.reset();
      loaded_ = true;
    }
    return current();
  }

  // The data a record's payload holds (a null SharedData, which no Session writes, as empty).
  static const Data& payload_data(const stored_payload& payload) {
    if constexpr (std::is_same_v<stored_payload, SharedData>) {
      if (!payload) {
        static const Data empty = Data::object();
        return empty;
      }
      return *payload;
    } else {
      return payload;
    }
  }

  // A value store's payload for the current data. SharedData: the shared pointer itself when the
  // data is unchanged, otherwise the session's own data moved into a new one that the session
  // then shares (no copy) — unless at() handed out a reference into it, which must stay valid.
  stored_payload value_payload()
    requires(stores_values)
  {
    if constexpr (stores_shared) {
      if (shared_) return shared_;
      if (exposed_) return std::make_shared<const Data>(data_);
      shared_ = std::make_shared<const Data>(std::move(data_));
      data_ = Data();
      return shared_;
    } else {
      return current();
    }
  }

  // After a merge wrote `payload`: it is now the session's data.
  void adopt_merged(Data merged, const stored_payload& payload) {
    if constexpr (stores_shared) {
      if (!exposed_) {
        shared_ = payload;
        data_ = Data();
        return;
      }
    }
    (void)payload;
    data_ = std::move(merged);
    shared_.reset();
  }

  Loaded read_store(std::optional<std::uint64_t>& baseline, bool own_load) {
    baseline.reset();
    if (!key_) return Loaded{};
    if constexpr (client_side) {
      try {
        const TimePoint now = settings_->clock.now();
        ClientRecord record{};
        if constexpr (requirement::client_decode_shared<Storage>) {
          record = store_->decode_shared(*key_, *settings_, now);
        } else {
          record = store_->decode(*key_, *settings_, now);
        }
        const Data& data = record.value();
        // The expiry policy applies to cookies too (Django leaves set_expiry() unenforced for
        // signed cookies, ticket #19201): the cookie's signing time is the last modification.
        // Strictly past, as the signature's own max_age check (an age equal to it is valid).
        if (add_saturating(record.issued_at, expiry_.expiry_age(data, *settings_, record.issued_at)) < now) {
          modified_ = true;
          return Loaded{};
        }
        if (over_key_limit(data) || over_node_limit(data)) {
          modified_ = true;
          return Loaded{};
        }
        if (record.shared) return Loaded{Data::object(), std::move(record.shared)};
        return Loaded{std::move(record.data), nullptr};
      } catch (const Error& e) {
        // Django: a bad cookie gives an empty session that is written back (create()), under the
        // same key until then.
        settings_->logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                          std::string("Session cookie rejected: ") + e.what());
        modified_ = true;
        return Loaded{};
      }
    } else {
      return read_server_store(baseline, own_load);
    }
  }

  Loaded read_server_store(std::optional<std::uint64_t>& baseline, bool own_load) {
    auto record = store_->load(*key_);
    if (!record) {
      key_.reset();  // unknown or expired: never adopt the client's key (no record is created)
      return Loaded{};
    }
    // Lost-update protection: this load is the version a later save compares with.
    const bool protect = own_load && protecting();
    Loaded loaded{};
    if constexpr (stores_values) {
      // A value store in this process holds only what a save of this library checked already
      // (check_limits): walking the whole value again on every load cost 18% of a MemoryValueStore
      // request (perf, issue 7). The key count is O(1) and stays.
      if (!over_key_limit(payload_data(record->payload))) {
        if constexpr (stores_shared) {
          if (record->payload) loaded.shared = record->payload;  // a reference count, no copy
        } else if (protect) {
          loaded.owned = record->payload;  // the record's copy stays for the compare-and-set
        } else {
          loaded.owned = std::move(record->payload);
        }
      }
    } else {
      if (over_size_limit(record->payload)) {
        // Not even decoded: the size is the attack.
      } else {
        try {
          loaded.owned = serializer_.loads(record->payload);
          if (over_key_limit(loaded.owned) || over_node_limit(loaded.owned)) {
            loaded.owned = Data::object();
          } else if constexpr (canonical_serializer) {
            baseline = detail::fingerprint(record->payload);
          } else {
            baseline = fingerprint_of(loaded.owned);
          }
        } catch (const Error& e) {
          // Django: "Session data corrupted", logged on the security logger; the session goes on
          // empty under the same key.
          settings_->logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                            std::string("Session data corrupted (key ") + std::string(loggable_key_prefix(*key_)) +
                                "...): " + e.what());
        }
      }
    }
    if (protect) {
      expected_ = std::move(record->payload);
      if (settings_->lost_update == LostUpdate::merge) {
        loaded_keys_ = detail::key_fingerprints(loaded.shared ? *loaded.shared : loaded.owned);
      }
      whole_change_ = false;
    }
    return loaded;
  }

  // --- limits ------------------------------------------------------------------------------------

  void suspicious(std::string_view what) const {
    settings_->logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                      std::string("Session data rejected (key ") +
                          (key_ ? std::string(loggable_key_prefix(*key_)) : std::string()) + "...): " +
                          std::string(what));
  }

  // A loaded payload over Settings::max_payload_bytes (logged).
  bool over_size_limit(const stored_payload& payload) const {
    const std::size_t limit = settings_->max_payload_bytes;
    if (limit == 0) return false;
    std::size_t size = 0;
    if constexpr (stores_values) {
      size = detail::bounded_json_size(payload_data(payload), limit);
    } else {
      size = payload.size();
    }
    if (size <= limit) return false;
    suspicious("the stored session is larger than Settings::max_payload_bytes (" + std::to_string(limit) + ")");
    return true;
  }

  // Loaded data with more top-level keys than Settings::max_keys (logged).
  bool over_key_limit(const Data& data) const {
    const std::size_t limit = settings_->max_keys;
    if (limit == 0 || !data.is_object() || data.size() <= limit) return false;
    suspicious("the stored session holds " + std::to_string(data.size()) + " keys, more than Settings::max_keys (" +
               std::to_string(limit) + ")");
    return true;
  }

  void check_key_limit(const Data& data) const {
    const std::size_t limit = settings_->max_keys;
    if (limit != 0 && data.is_object() && data.size() > limit) {
      throw LimitExceeded("the session holds " + std::to_string(data.size()) + " keys, more than Settings::max_keys (" +
                          std::to_string(limit) + "); nothing was saved");
    }
  }

  // Loaded data with more values at all depths than Settings::max_nodes (logged).
  bool over_node_limit(const Data& data) const {
    const auto why = detail::node_limit_violation(data, settings_->max_nodes);
    if (why) suspicious("the stored session " + *why);
    return why.has_value();
  }

  void check_size_limit(std::size_t size) const {
    const std::size_t limit = settings_->max_payload_bytes;
    if (limit != 0 && size > limit) {
      throw LimitExceeded("the serialized session is larger than Settings::max_payload_bytes (" + std::to_string(limit) +
                          " bytes); nothing was saved");
    }
  }

  // What a save must check before anything reaches the store.
  void check_limits(const Data& data) const {
    check_key_limit(data);
    if (const auto why = detail::node_limit_violation(data, settings_->max_nodes)) {
      throw LimitExceeded("the session " + *why + "; nothing was saved");
    }
    if constexpr (stores_values) {
      if (settings_->max_payload_bytes != 0) {
        check_size_limit(detail::bounded_json_size(data, settings_->max_payload_bytes));
      }
    }
  }

  static constexpr bool canonical_serializer = [] {
    if constexpr (requires { Serializer::canonical; }) {
      return static_cast<bool>(Serializer::canonical);
    } else {
      return false;
    }
  }();

  std::uint64_t fingerprint_of(const Data& data) const {
    if constexpr (!stores_values && canonical_serializer) {
      return detail::fingerprint(serializer_.dumps(data));
    } else {
      return detail::fingerprint(data.dump());
    }
  }

  // --- lost-update protection -----------------------------------------------------------------

  // Settings::lost_update asks for protection (and the store can give it).
  bool protecting() const noexcept {
    return has_update_if && settings_->lost_update != LostUpdate::last_write_wins;
  }

  // After a successful write: what the record now holds is the version the next save of this
  // request compares with, and the baseline its merge compares keys with.
  void written(const stored_payload& payload, const Data& data) {
    if (!protecting()) return;
    expected_ = payload;
    if (settings_->lost_update == LostUpdate::merge) loaded_keys_ = detail::key_fingerprints(data);
    whole_change_ = false;
  }

  // The record's current data `theirs` with this request's changes applied: the keys whose value
  // differs from what was loaded (or that are new) set, the keys loaded and since erased removed.
  // After clear() or flush(), this request's data replaces theirs whole. A key that both this
  // request and the other one changed is a real conflict, even when both wrote the same value:
  // this request's value was computed from what it loaded (two increments of one counter write
  // equal values), so writing it over theirs could lose their change. ConflictError then.
  Data merged_onto(Data theirs, std::string_view session_key) const {
    const Data& mine = current();
    if (whole_change_) return mine;
    if (!theirs.is_object()) theirs = Data::object();
    std::unordered_map<std::string_view, std::uint64_t> loaded;
    loaded.reserve(loaded_keys_.size());
    for (const auto& k : loaded_keys_) loaded.emplace(k.key, k.value);
    const auto changed_by_them = [&](const std::string& name) {
      const auto was = loaded.find(name);
      const auto now = theirs.find(name);
      if (was == loaded.end()) return now != theirs.end();  // they added it
      return now == theirs.end() || detail::value_fingerprint(*now) != was->second;
    };
    for (const auto& item : mine.items()) {
      const auto was = loaded.find(item.key());
      if (was != loaded.end() && was->second == detail::value_fingerprint(item.value())) continue;  // not ours
      if (changed_by_them(item.key())) same_key_conflict(session_key, item.key());
      theirs[item.key()] = item.value();
    }
    for (const auto& k : loaded_keys_) {
      if (mine.contains(k.key)) continue;
      if (changed_by_them(k.key) && theirs.contains(k.key)) same_key_conflict(session_key, k.key);
      theirs.erase(k.key);
    }
    return theirs;
  }

  [[noreturn]] static void same_key_conflict(std::string_view session_key, std::string_view name) {
    throw ConflictError("session " + std::string(loggable_key_prefix(session_key)) + "...: key '" + std::string(name) +
                        "' was changed by this request and by another one since this one loaded it; nothing was "
                        "written (Settings::lost_update = merge merges only changes to different keys)");
  }

  [[noreturn]] void conflict(std::string_view key, int attempts) const {
    if (settings_->lost_update == LostUpdate::fail) {
      throw ConflictError("session " + std::string(loggable_key_prefix(key)) +
                          "...: another request saved it since this one loaded it (Settings::lost_update = fail); "
                          "nothing was written");
    }
    throw ConflictError("session " + std::string(loggable_key_prefix(key)) + "...: still changed by other requests after " +
                        std::to_string(attempts) + " merge attempts (Settings::merge_attempts); nothing was written");
  }

  // A compare-and-set save of the current data encoded as `payload`, against expected_. True when
  // written (the session's data and `payload` then hold what was written, merged or not), false
  // when the record is gone; ConflictError as the policy says.
  bool write_compare_and_set(std::string_view key, stored_payload& payload, TimePoint expires_at)
    requires(!client_side)
  {
    if constexpr (has_update_if) {
      CasResult result = store_->update_if(key, payload, expires_at, *expected_);
      if (result == CasResult::written) return true;
      if (result == CasResult::missing) return false;
      if (settings_->lost_update != LostUpdate::merge) conflict(key, 0);
      for (int attempt = 1; attempt <= settings_->merge_attempts; ++attempt) {
        auto record = store_->load(key);
        if (!record) return false;  // deleted meanwhile: never brought back
        Data theirs = Data::object();
        if constexpr (stores_values) {
          theirs = payload_data(record->payload);
        } else {
          try {
            theirs = serializer_.loads(record->payload);
          } catch (const Error&) {
            theirs = Data::object();  // undecodable: as a load would, start from empty
          }
        }
        Data merged = merged_onto(std::move(theirs), key);
        check_limits(merged);
        const TimePoint now = settings_->clock.now();
        const TimePoint merged_expiry = add_saturating(now, expiry_.expiry_age(merged, *settings_, now));
        stored_payload merged_payload{};
        if constexpr (stores_shared) {
          merged_payload = std::make_shared<const Data>(merged);
        } else if constexpr (stores_values) {
          merged_payload = merged;
        } else {
          merged_payload = serializer_.dumps(merged);
          check_size_limit(merged_payload.size());
        }
        result = store_->update_if(key, merged_payload, merged_expiry, record->payload);
        if (result == CasResult::missing) return false;
        if (result == CasResult::written) {
          adopt_merged(std::move(merged), merged_payload);
          payload = std::move(merged_payload);
          return true;
        }
      }
      conflict(key, settings_->merge_attempts);
    } else {
      (void)key;
      (void)payload;
      (void)expires_at;
      return false;
    }
  }

  // One write: create-if-absent, update-if-present (compare-and-set when protecting), or (for
  // unchanged data) touch. Returns the store's answer: false when the record exists (create) or
  // is gone (update/touch). LimitExceeded before anything is written when the data is too big.
  bool write(std::string_view key, bool must_create)
    requires(!client_side)
  {
    const Data& data = current();
    check_limits(data);
    const TimePoint now = settings_->clock.now();
    const TimePoint expires_at = add_saturating(now, expiry_.expiry_age(data, *settings_, now));
    const bool compare_and_set = !must_create && protecting() && expected_.has_value();
    if constexpr (stores_values) {
      if (compare_and_set) {
        // Unchanged (the very value loaded, or an equal one): only the expiry moves.
        const Data& loaded = payload_data(*expected_);
        if (&data == &loaded || data == loaded) return store_->touch(key, expires_at);
      }
      // From here on `data` may have been moved into the payload: use current().
      stored_payload payload = value_payload();
      if (compare_and_set) {
        if (!write_compare_and_set(key, payload, expires_at)) return false;
        written(payload, current());
        return true;
      }
      const bool ok = must_create ? store_->create(key, payload, expires_at) : store_->update(key, payload, expires_at);
      if (ok) written(payload, current());
      return ok;
    } else {
      std::string payload = serializer_.dumps(data);
      check_size_limit(payload.size());
      std::uint64_t fp = 0;
      if constexpr (canonical_serializer) {
        fp = detail::fingerprint(payload);
      } else {
        fp = fingerprint_of(data);
      }
      bool ok = false;
      if (must_create) {
        ok = store_->create(key, payload, expires_at);
      } else if (baseline_ && *baseline_ == fp) {
        ok = store_->touch(key, expires_at);
        return ok;  // nothing written: the version compared with stays what it was
      } else if (compare_and_set) {
        ok = write_compare_and_set(key, payload, expires_at);
        if (ok) {
          // A merge wrote other bytes than `data` gave.
          if constexpr (canonical_serializer) {
            fp = detail::fingerprint(payload);
          } else {
            fp = fingerprint_of(current());
          }
        }
      } else {
        ok = store_->update(key, payload, expires_at);
      }
      if (ok) {
        baseline_ = fp;
        written(payload, current());
      }
      return ok;
    }
  }

  Storage* store_;
  const Settings* settings_;
  [[no_unique_address]] Serializer serializer_;
  [[no_unique_address]] Expiry expiry_;
  std::optional<std::string> key_;
  Data data_;          // the data, when the session owns it (shared_ empty)
  SharedData shared_;  // the data, while it is shared and unchanged (copy-on-write)
  std::optional<std::uint64_t> baseline_;  // fingerprint of the stored payload, when known
  // Lost-update protection only (empty otherwise): the payload the record held when this request
  // loaded (or last wrote) it, and a fingerprint per top-level key of that data (merge).
  std::optional<stored_payload> expected_;
  std::vector<detail::KeyFingerprint> loaded_keys_;
  bool whole_change_ = false;  // clear()/flush(): a merge replaces the data whole
  bool loaded_ = false;
  bool accessed_ = false;
  bool modified_ = false;
  bool exposed_ = false;  // a mutable reference was handed out by at()
  bool read_only_ = false;
  bool cookie_received_ = false;
  bool request_secure_ = false;
};

/// A read-only view of a session: everything a handler needs to read, nothing that writes.
template <class SessionT>
class ReadOnlySession {
 public:
  explicit ReadOnlySession(SessionT& session) noexcept : session_(&session) {}

  [[nodiscard]] Data get(std::string_view key) const { return session_->get(key); }
  template <class T>
  [[nodiscard]] auto get(std::string_view key, T&& fallback) const {
    return session_->get(key, std::forward<T>(fallback));
  }
  [[nodiscard]] bool contains(std::string_view key) const { return session_->contains(key); }
  [[nodiscard]] std::vector<std::string> keys() const { return session_->keys(); }
  [[nodiscard]] std::vector<Data> values() const { return session_->values(); }
  [[nodiscard]] std::vector<std::pair<std::string, Data>> items() const { return session_->items(); }
  [[nodiscard]] const Data& data() const { return session_->data(); }
  [[nodiscard]] bool test_cookie_worked() const { return session_->test_cookie_worked(); }
  [[nodiscard]] std::int64_t get_expiry_age(const ExpiryQuery& query = {}) const { return session_->get_expiry_age(query); }
  [[nodiscard]] TimePoint get_expiry_date(const ExpiryQuery& query = {}) const { return session_->get_expiry_date(query); }
  [[nodiscard]] bool get_expire_at_browser_close() const { return session_->get_expire_at_browser_close(); }
  [[nodiscard]] const std::optional<std::string>& session_key() const noexcept { return session_->session_key(); }
  [[nodiscard]] bool is_empty() const noexcept { return session_->is_empty(); }

 private:
  SessionT* session_;
};

}  // namespace sessions
