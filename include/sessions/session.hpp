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
// The mechanics live in detail/: the server-side and client-side flows (server_flow.hpp,
// client_flow.hpp) over the state they share (session_state.hpp: lazy load, copy-on-write), the
// three payload kinds (payload.hpp), the limits (limits.hpp) and lost-update protection
// (merge.hpp). The policies' contract is in concepts.hpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "concepts.hpp"
#include "data.hpp"
#include "detail/client_flow.hpp"
#include "detail/server_flow.hpp"
#include "detail/session_access.hpp"
#include "detail/value_conversion.hpp"
#include "errors.hpp"
#include "expiry/arithmetic.hpp"
#include "expiry/django.hpp"
#include "expiry/expiry_value.hpp"
#include "expiry_query.hpp"
#include "read_only_session.hpp"
#include "serializer/json.hpp"
#include "settings.hpp"

namespace sessions {

template <class StorageT, class SerializerT = JsonSerializer, class ExpiryT = DjangoExpiry>
class Session {
  static_assert(detail::policies_checked<StorageT, SerializerT, ExpiryT>);

  // The server-side or the client-side flow, chosen once (as Django picks a SessionStore class
  // per backend); it also holds the session's state.
  using Flow = std::conditional_t<ClientStorage<StorageT>, detail::ClientFlow<StorageT, SerializerT, ExpiryT>,
                                  detail::ServerFlow<StorageT, SerializerT, ExpiryT>>;
  friend struct detail::SessionAccess;

 public:
  using storage_type = StorageT;
  using serializer_type = SerializerT;
  using expiry_type = ExpiryT;

  /// A new session (Django: SessionStore()).
  explicit Session(StorageT& store, const Settings& settings = default_settings(), SerializerT serializer = {},
                   ExpiryT expiry = {})
      : s_(store, settings, std::move(serializer), std::move(expiry)) {
    check_settings(settings);
  }

  /// An existing session (Django: SessionStore(session_key=...)). A key that fails validation is
  /// dropped, as Django drops keys shorter than 8 characters: the session starts empty and a
  /// save gives it a fresh key. Nothing is loaded until the data is used.
  Session(StorageT& store, std::string_view key, const Settings& settings = default_settings(),
          SerializerT serializer = {}, ExpiryT expiry = {})
      : Session(store, settings, std::move(serializer), std::move(expiry)) {
    if (s_.accepts_key(key)) s_.key_.emplace(key);
  }

  // Settings are held by reference: a temporary would dangle.
  Session(StorageT&, const Settings&&, SerializerT = {}, ExpiryT = {}) = delete;
  Session(StorageT&, std::string_view, const Settings&&, SerializerT = {}, ExpiryT = {}) = delete;

  Session(Session&&) noexcept = default;
  Session& operator=(Session&&) noexcept = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// ConfigurationError when `settings` ask for something this Session's store cannot do: lost-
  /// update protection over a store without update_if(). Middleware checks it once at
  /// construction; every Session checks it again (a comparison).
  static void check_settings(const Settings& settings) {
    Flow::check_settings(settings);
    if (settings.lost_update == LostUpdate::merge && settings.merge_attempts < 1) {
      throw ConfigurationError("Settings::merge_attempts must be at least 1");
    }
  }

  /// The session's key; empty until the session has one (a new session gets it on save/create).
  [[nodiscard]] const std::optional<std::string>& session_key() const noexcept { return s_.key_; }

  // --- reading (loads on first use, sets accessed) -----------------------------------------------

  /// The value under `key`, or null when absent (Django: get(key) -> None).
  [[nodiscard]] Data get(std::string_view key) {
    const Data* value = s_.find(key);
    return value ? *value : Data{};
  }

  /// The value under `key` converted to the type of `fallback`, or `fallback` when absent.
  /// A stored value that cannot be converted is a ValueTypeError. A string literal fallback
  /// gives a std::string.
  template <class T>
  [[nodiscard]] auto get(std::string_view key, T&& fallback) {
    using Result = detail::get_result_t<T>;
    const Data* value = s_.find(key);
    if (!value) return Result(std::forward<T>(fallback));
    return detail::converted_value<Result>(key, *value);
  }

  /// The value under `key`; KeyError when absent (Django: session[key]). The reference allows
  /// in-place changes, which save() detects by fingerprint; it stays valid until the next change.
  [[nodiscard]] Data& at(std::string_view key) {
    require(key);
    return *s_.expose().find(key);
  }

  /// Django: `key in session` / has_key(key).
  [[nodiscard]] bool contains(std::string_view key) { return s_.find(key) != nullptr; }

  [[nodiscard]] std::vector<std::string> keys() {
    std::vector<std::string> out;
    const Data& data = s_.read_data();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.push_back(item.key());
    return out;
  }

  [[nodiscard]] std::vector<Data> values() {
    std::vector<Data> out;
    const Data& data = s_.read_data();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.push_back(item.value());
    return out;
  }

  [[nodiscard]] std::vector<std::pair<std::string, Data>> items() {
    std::vector<std::pair<std::string, Data>> out;
    const Data& data = s_.read_data();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.emplace_back(item.key(), item.value());
    return out;
  }

  /// The whole data, read-only; the reference stays valid until the session next changes.
  [[nodiscard]] const Data& data() { return s_.read_data(); }

  // --- writing (loads on first use, sets modified) -----------------------------------------------

  /// Django: session[key] = value.
  template <class V>
  void set(std::string_view key, V&& value) {
    s_.assign(key, Data(std::forward<V>(value)));
    s_.modified_ = true;
  }

  /// Django: del session[key]. KeyError when absent, as Django's `del` (not a count, as
  /// std::map::erase returns): a missing key is a bug in the caller, and pop(key, fallback) is
  /// the call for "remove if present".
  void erase(std::string_view key) {
    require(key);
    s_.erase(key);
    s_.modified_ = true;
  }

  /// Django: pop(key); KeyError when absent.
  Data pop(std::string_view key) {
    require(key);
    Data& data = s_.write_data();
    const auto it = data.find(key);
    Data value = std::move(*it);
    data.erase(it);
    s_.modified_ = true;
    return value;
  }

  /// Django: pop(key, default). A missing key does not mark the session modified.
  template <class T>
  auto pop(std::string_view key, T&& fallback) {
    using Result = detail::get_result_t<T>;
    if (!contains(key)) return Result(std::forward<T>(fallback));
    Data& data = s_.write_data();
    const auto it = data.find(key);
    Result value = detail::converted_value<Result>(key, *it);
    data.erase(it);
    s_.modified_ = true;
    return value;
  }

  /// Django: setdefault(key, value): the stored value if present, else stores and returns `value`.
  template <class V>
  Data setdefault(std::string_view key, V&& value) {
    if (const Data* stored = s_.find(key)) return *stored;
    Data stored(std::forward<V>(value));
    s_.assign(key, stored);
    s_.modified_ = true;
    return stored;
  }

  /// Django: update(dict). Marks the session modified even when `values` is empty.
  void update(const Data& values) {
    if (!values.is_object()) throw ValueTypeError("update() takes a JSON object");
    Data& data = s_.write_data();
    for (const auto& item : values.items()) data[item.key()] = item.value();
    s_.modified_ = true;
  }

  /// Django: clear(). Empties the data without loading it.
  void clear() {
    s_.replace_with_empty();
    s_.baseline_.reset();
    s_.accessed_ = s_.modified_ = true;
    s_.version_.whole_change = true;  // a merge replaces the record's data rather than re-applying keys
  }

  /// Django: is_empty(): no valid key and no data (or data never loaded).
  [[nodiscard]] bool is_empty() const noexcept { return s_.is_empty(); }

  // --- the test cookie ---------------------------------------------------------------------------

  static constexpr std::string_view kTestCookieName = "testcookie";
  static constexpr std::string_view kTestCookieValue = "worked";

  void set_test_cookie() { set(kTestCookieName, kTestCookieValue); }
  [[nodiscard]] bool test_cookie_worked() {
    const Data* value = s_.find(kTestCookieName);
    return value && *value == kTestCookieValue;
  }
  void delete_test_cookie() { erase(kTestCookieName); }

  // --- expiry ------------------------------------------------------------------------------------

  /// Django: set_expiry(None): back to the global policy.
  void set_expiry(std::nullopt_t) {
    if (!contains(kSessionExpiryKey)) return;
    s_.erase(kSessionExpiryKey);
    s_.modified_ = true;
  }
  /// Django: set_expiry(seconds): expire after that many seconds of inactivity; 0 means when the
  /// browser closes.
  template <class Int>
  requires std::is_integral_v<Int> &&(!std::is_same_v<Int, bool>)void set_expiry(Int seconds) {
    set(kSessionExpiryKey, saturate_int64(seconds));
  }
  /// Django: set_expiry(timedelta): expire at now + duration (stored as an ISO-8601 date).
  template <class Rep, class Period>
  void set_expiry(std::chrono::duration<Rep, Period> duration) {
    set_expiry(add_saturating(s_.settings_->clock.now(), duration));
  }
  /// Django: set_expiry(datetime): expire at that instant (stored as an ISO-8601 date, as Django
  /// 4.1+ does).
  void set_expiry(TimePoint when) { set(kSessionExpiryKey, iso8601::format(when)); }

  /// Django: `get_expiry_age(modification=now, expiry=<stored>)`: seconds the session lives.
  [[nodiscard]] std::int64_t get_expiry_age() { return expiry_age_at(s_.settings_->clock.now(), nullptr); }
  [[nodiscard]] std::int64_t get_expiry_age(const ExpiryQuery& query) {
    return expiry_age_at(modification_of(query), query.expiry ? &*query.expiry : nullptr);
  }

  /// Django: `get_expiry_date(modification=now, expiry=<stored>)`: the instant the session ends.
  [[nodiscard]] TimePoint get_expiry_date() { return expiry_date_at(s_.settings_->clock.now(), nullptr); }
  [[nodiscard]] TimePoint get_expiry_date(const ExpiryQuery& query) {
    return expiry_date_at(modification_of(query), query.expiry ? &*query.expiry : nullptr);
  }

  [[nodiscard]] bool get_expire_at_browser_close() {
    return s_.expiry_.expire_at_browser_close(s_.expiry_data(), *s_.settings_);
  }

  [[nodiscard]] std::int64_t get_session_cookie_age() const noexcept { return s_.settings_->cookie_age.count(); }

  // --- lifecycle ---------------------------------------------------------------------------------

  /// Django: exists(key): a live record is stored under `key` (an invalid key never is).
  /// Always false for client-side stores: nothing is kept on the server (as Django's signed_cookies).
  [[nodiscard]] bool exists(std::string_view key) { return s_.exists(key); }

  /// Django: create(): a fresh key, stored at once with the current data (empty for a new
  /// session); never overwrites a record. The session is then modified (the cookie must go out).
  void create() { s_.create(); }

  /// Django: save(must_create=false). A session without a key is created. With must_create the
  /// record must not exist yet (CreateError); otherwise it must still exist (UpdateError: the
  /// session was deleted meanwhile and is not brought back). Data that did not change since it
  /// was loaded is not written again: only its expiry is refreshed.
  void save(bool must_create = false) { s_.save(must_create); }

  /// Django: delete(key=None): removes the record of `key`, or of this session when none is given.
  void destroy() { s_.destroy("delete", s_.event_user_id()); }
  void destroy(std::string_view key) { s_.destroy_other(key); }

  /// Django: load(): reads the record from the store now (always, even when the session holds
  /// data already) and returns a copy of its data, without adopting it: the session's own data is
  /// untouched. A missing or expired record gives empty data and drops the key; an undecodable one
  /// gives empty data. Reading through get()/data() loads lazily instead and keeps the result.
  [[nodiscard]] Data load() {
    std::optional<std::uint64_t> ignored;
    detail::Loaded loaded = s_.read_record(ignored, /*own_load=*/false);
    if (loaded.shared) return *loaded.shared;
    if (loaded.members) return loaded.members->to_data();
    if (loaded.owned.is_null()) return Data::object();  // nothing stored
    return std::move(loaded.owned);
  }

  /// Django: flush(): empties the data, deletes the record and drops the key.
  void flush() {
    const std::string user_id = s_.event_user_id();  // for the destroyed event, before clear()
    clear();
    s_.destroy("flush", user_id);
    s_.key_.reset();
  }

  /// Django: cycle_key(): same data under a new key; the old record is deleted. Call it at login
  /// to defeat session fixation.
  void cycle_key() { s_.cycle_key(); }

  /// Django: SessionStore.clear_expired(): removes expired records; returns how many.
  static std::size_t clear_expired(StorageT& store) { return Flow::clear_expired(store); }
  std::size_t clear_expired() { return Flow::clear_expired(*s_.store_); }

  /// The user agent and address the per-user index shows for this session (user_indexed.hpp),
  /// kept from the next save on (a save without them keeps what the entry has). Shown to the
  /// user, never trusted. Nothing at all over a store that keeps no index.
  void record_client(std::string_view user_agent, std::string_view address) {
    if constexpr (!ClientStorage<StorageT>) s_.index_.record_client(user_agent, address);
  }

  /// Refreshes the record's expiry without writing its data (for expiry policies that extend the
  /// session on every request). UpdateError when the record is gone.
  void touch() {
    if (!s_.key_) return;
    s_.touch();
  }

  // --- state -------------------------------------------------------------------------------------

  [[nodiscard]] bool accessed() const noexcept { return s_.accessed_; }
  [[nodiscard]] bool modified() const noexcept { return s_.modified_; }
  /// Django's writable attributes: `request.session.modified = True` is Django's documented way to
  /// force a save (e.g. after a change it cannot see); tests reset both between steps.
  void set_accessed(bool value) noexcept { s_.accessed_ = value; }
  void set_modified(bool value) noexcept { s_.modified_ = value; }

  /// True when a save would change the stored record: modified, or changed in place through a
  /// reference from at() (compared by fingerprint with what was loaded).
  [[nodiscard]] bool needs_save() const { return s_.needs_save(); }

  /// A read-only view for a handler that only reads; once taken, an unmodified session is never
  /// saved or re-sent by the middleware, whatever the settings say.
  [[nodiscard]] ReadOnlySession<Session> read_only() {
    s_.request_.read_only = true;
    return ReadOnlySession<Session>(*this);
  }

  [[nodiscard]] const Settings& settings() const noexcept { return *s_.settings_; }
  [[nodiscard]] StorageT& store() noexcept { return *s_.store_; }
  [[nodiscard]] const ExpiryT& expiry_policy() const noexcept { return s_.expiry_; }

 private:
  // KeyError unless the data holds `key` (Django's KeyError).
  void require(std::string_view key) {
    if (!contains(key)) throw KeyError("no session value named '" + std::string(key) + "'");
  }

  TimePoint modification_of(const ExpiryQuery& query) const {
    return query.modification ? *query.modification : s_.settings_->clock.now();
  }

  // `expiry` given (even None) replaces the session's own and does not load the session.
  std::int64_t expiry_age_at(TimePoint modification, const ExpiryValue* expiry) {
    if (expiry) return django_expiry_age(*expiry, s_.settings_->cookie_age, modification).count();
    return s_.expiry_.expiry_age(s_.expiry_data(), *s_.settings_, modification).count();
  }

  TimePoint expiry_date_at(TimePoint modification, const ExpiryValue* expiry) {
    if (expiry) return django_expiry_date(*expiry, s_.settings_->cookie_age, modification);
    const Data& data = s_.expiry_data();
    if constexpr (ExpiryDatePolicy<ExpiryT>) {
      return s_.expiry_.expiry_date(data, *s_.settings_, modification);
    } else {
      return add_saturating(modification, s_.expiry_.expiry_age(data, *s_.settings_, modification));
    }
  }

  Flow s_;
};

}  // namespace sessions
