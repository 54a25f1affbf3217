#pragma once
// What a policy must provide. Each requirement is its own concept so that Session can name the
// one that is missing in a static_assert message instead of printing a wall of template errors.

#include <chrono>
#include <concepts>
#include <iterator>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "clock.hpp"
#include "data.hpp"
#include "member_list.hpp"
#include "record.hpp"
#include "settings.hpp"

namespace sessions {

// ---------------------------------------------------------------------------------------------
// Storage (server side). Keys given to a store have passed is_valid_session_key(); a store that
// maps keys to paths or queries checks again. The operations are kept apart on purpose: there is
// no upsert, so a key collision can never take over a record and a slow request can never bring
// back a record that a logout deleted.
//
//   typename S::payload_type                 std::string (bytes from the serializer),
//                                            sessions::Data (the store keeps values, no serializer)
//                                            or sessions::SharedData (values shared immutably:
//                                            load hands out a pointer, update_if may compare
//                                            pointers, since a Session never changes the pointee)
//   s.load(key)           -> std::optional<Record<payload_type>>   nullopt: absent or expired
//   s.create(key, p, t)   -> bool   insert if absent; false if a live record exists
//   s.update(key, p, t)   -> bool   replace if present; false if there is no live record
//   s.touch(key, t)       -> bool   move the expiry only; false if there is no live record
//   s.remove(key)         -> void   delete if present (Django's delete(key))
//   s.exists(key)         -> bool   a live record exists
//   s.clear_expired()     -> std::size_t   records removed
//
// Optional (lost-update protection, Settings::lost_update):
//   s.update_if(key, p, t, expected) -> CasResult   replace the live record only if its payload
//                                        still equals `expected` (what this request loaded),
//                                        atomically; written / conflict / missing (never creates)
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept storage_payload_type = requires { typename S::payload_type; };

template <class S>
concept storage_load = storage_payload_type<S> && requires(S& s, std::string_view key) {
  { s.load(key) } -> std::same_as<std::optional<Record<typename S::payload_type>>>;
};

template <class S>
concept storage_create =
    storage_payload_type<S> && requires(S& s, std::string_view key, const typename S::payload_type& p, TimePoint t) {
      { s.create(key, p, t) } -> std::same_as<bool>;
    };

template <class S>
concept storage_update =
    storage_payload_type<S> && requires(S& s, std::string_view key, const typename S::payload_type& p, TimePoint t) {
      { s.update(key, p, t) } -> std::same_as<bool>;
    };

template <class S>
concept storage_touch = requires(S& s, std::string_view key, TimePoint t) {
  { s.touch(key, t) } -> std::same_as<bool>;
};

template <class S>
concept storage_remove = requires(S& s, std::string_view key) { s.remove(key); };

template <class S>
concept storage_exists = requires(S& s, std::string_view key) {
  { s.exists(key) } -> std::same_as<bool>;
};

template <class S>
concept storage_clear_expired = requires(S& s) {
  { s.clear_expired() } -> std::convertible_to<std::size_t>;
};

template <class S>
concept storage_update_if = storage_payload_type<S> && requires(S& s, std::string_view key,
                                                                const typename S::payload_type& p, TimePoint t,
                                                                const typename S::payload_type& expected) {
  { s.update_if(key, p, t, expected) } -> std::same_as<CasResult>;
};

}  // namespace requirement

template <class S>
concept ServerStorage = requirement::storage_load<S> && requirement::storage_create<S> &&
                        requirement::storage_update<S> && requirement::storage_touch<S> &&
                        requirement::storage_remove<S> && requirement::storage_exists<S> &&
                        requirement::storage_clear_expired<S>;

/// A server store that can compare-and-set, as Settings::lost_update = fail or merge needs.
template <class S>
concept CasStorage = ServerStorage<S> && requirement::storage_update_if<S>;

/// A store that keeps session values themselves (no serializer involved).
template <class S>
concept ValueStorage = ServerStorage<S> && (std::same_as<typename S::payload_type, Data> ||
                                            std::same_as<typename S::payload_type, SharedMembers>);

/// A store that keeps bytes produced by the serializer policy.
template <class S>
concept ByteStorage = ServerStorage<S> && std::same_as<typename S::payload_type, std::string>;

// ---------------------------------------------------------------------------------------------
// Storage (client side): the session data travels in the cookie itself (Django's signed_cookies;
// our encrypted cookies). The cookie value plays the part of the session key.
//
//   S::client_side                        a static constexpr bool, true
//   s.encode(data, settings, now) -> std::string   the cookie value; CookieTooLarge when it
//                                          cannot fit a cookie
//   s.decode(value, settings, now) -> ClientRecord   throws a sessions::Error (BadSignature,
//                                          SignatureExpired, DecodeError...) when the value is
//                                          not a valid, live session
//   s.accepts(value) -> bool               a cheap syntactic check before decode
// Optional:
//   s.decode_shared(value, settings, now) -> ClientRecord   as decode, but free to hand the data
//                                          over shared (ClientRecord::shared) rather than copied
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept client_side_flag = requires {
  { S::client_side } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::client_side);
};

template <class S>
concept client_encode = requires(S& s, const Data& d, const Settings& settings, TimePoint t) {
  { s.encode(d, settings, t) } -> std::same_as<std::string>;
};

template <class S>
concept client_decode = requires(S& s, std::string_view value, const Settings& settings, TimePoint t) {
  { s.decode(value, settings, t) } -> std::same_as<ClientRecord>;
};

template <class S>
concept client_decode_shared = requires(S& s, std::string_view value, const Settings& settings, TimePoint t) {
  { s.decode_shared(value, settings, t) } -> std::same_as<ClientRecord>;
};

template <class S>
concept client_accepts = requires(const S& s, std::string_view value) {
  { s.accepts(value) } -> std::same_as<bool>;
};

}  // namespace requirement

template <class S>
concept ClientStorage = requirement::client_side_flag<S> && requirement::client_encode<S> &&
                        requirement::client_decode<S> && requirement::client_accepts<S>;

// ---------------------------------------------------------------------------------------------
// Serializer: session data to bytes and back.
//
//   s.dumps(data)   -> std::string   throws EncodeError if the data cannot be represented
//   s.loads(bytes)  -> Data          throws DecodeError (or BadSignature for signed formats);
//                                    the result must be a JSON object
// Layered serializers (signing, encryption) wrap another serializer.
//
// Or, keyed (KeyedSerializer): the bytes belong to one session and say so, e.g. an encryption
// that authenticates the session key, so that a value copied under another key does not load.
//   s.dumps(data, session_key)  -> std::string
//   s.loads(bytes, session_key) -> Data     throws a sessions::Error for bytes of another key
// The server flow calls the keyed form whenever a serializer has it; the session key is the one
// the client holds (before a store such as HashedKeys hashes it).
//
// Optional: s.needs_rewrite(bytes) -> bool   bytes that loaded but should be written again by the
//           next save even if the data is unchanged (sealed under a fallback key).
// Optional: S::binary, a static constexpr bool: the bytes are not text (NUL and any byte may
//           occur), so a store that keeps text (TextStorage: the SQL stores) refuses them.
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept serializer_dumps = requires(const S& s, const Data& d) {
  { s.dumps(d) } -> std::convertible_to<std::string>;
};

template <class S>
concept serializer_loads = requires(const S& s, std::string_view bytes) {
  { s.loads(bytes) } -> std::same_as<Data>;
};

template <class S>
concept serializer_keyed_dumps = requires(const S& s, const Data& d, std::string_view session_key) {
  { s.dumps(d, session_key) } -> std::convertible_to<std::string>;
};

template <class S>
concept serializer_keyed_loads = requires(const S& s, std::string_view bytes, std::string_view session_key) {
  { s.loads(bytes, session_key) } -> std::same_as<Data>;
};

template <class S>
concept serializer_needs_rewrite = requires(const S& s, std::string_view bytes) {
  { s.needs_rewrite(bytes) } -> std::same_as<bool>;
};

}  // namespace requirement

/// A serializer whose bytes are bound to the session key (see above).
template <class S>
concept KeyedSerializer = requirement::serializer_keyed_dumps<S> && requirement::serializer_keyed_loads<S>;

/// A serializer whose bytes may hold any byte (CBOR, MessagePack, encryption).
template <class S>
concept BinarySerializer = requires {
  { S::binary } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::binary);
};

/// A store whose payload column is text (Django's `session_data text`): no NUL byte, valid UTF-8.
/// It declares `static constexpr bool text_payload = true;`.
template <class S>
concept TextStorage = requires {
  { S::text_payload } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::text_payload);
};

/// Optional: the serializer promises `dumps(loads(b)) == b` for bytes dumps() wrote, so the
/// stored bytes themselves can be fingerprinted to notice changes (no second serialization).
template <class S>
concept CanonicalSerializer = requires {
  { S::canonical } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::canonical);
};

template <class S>
concept Serializer = (requirement::serializer_dumps<S> && requirement::serializer_loads<S>) || KeyedSerializer<S>;

// ---------------------------------------------------------------------------------------------
// Expiry: how long a session lives, whether its cookie dies with the browser, and whether a
// request that changes nothing must still push the expiry forward.
//
//   e.expiry_age(data, settings, modification) -> std::chrono::seconds
//        seconds the session lives counted from `modification` (Django's get_expiry_age)
//   e.expire_at_browser_close(data, settings) -> bool   cookie without Max-Age/Expires
//   e.refresh_on_access(settings) -> bool   a request that only reads must refresh the expiry
//   e.on_create(data, now)   stamps what the policy needs at creation (e.g. the creation time)
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class E>
concept expiry_age = requires(const E& e, const Data& d, const Settings& s, TimePoint t) {
  { e.expiry_age(d, s, t) } -> std::same_as<std::chrono::seconds>;
};

template <class E>
concept expiry_browser_close = requires(const E& e, const Data& d, const Settings& s) {
  { e.expire_at_browser_close(d, s) } -> std::same_as<bool>;
};

template <class E>
concept expiry_refresh_on_access = requires(const E& e, const Settings& s) {
  { e.refresh_on_access(s) } -> std::same_as<bool>;
};

template <class E>
concept expiry_on_create = requires(const E& e, Data& d, TimePoint t) { e.on_create(d, t); };

}  // namespace requirement

template <class E>
concept ExpiryPolicy = requirement::expiry_age<E> && requirement::expiry_browser_close<E> &&
                       requirement::expiry_refresh_on_access<E> && requirement::expiry_on_create<E>;

/// Optional: the policy states the end as an instant (get_expiry_date() otherwise computes
/// modification + expiry_age).
template <class E>
concept ExpiryDatePolicy = requires(const E& e, const Data& d, const Settings& s, TimePoint t) {
  { e.expiry_date(d, s, t) } -> std::same_as<TimePoint>;
};

/// Optional: the policy names every key of the data its hooks read or write (`static constexpr`
/// array of std::string_view `data_keys`) and states that it is the class making that promise
/// (`using data_keys_policy = <the class itself>;`, so a class derived from it, which may
/// override a hook, does not inherit the promise). Its hooks are then given an object holding
/// only those keys, so a store that keeps the top-level members apart (MemoryValueStore) need
/// not build the whole data for them on every request. A policy without it gets the whole data.
template <class E>
concept ExpiryDataKeys = std::same_as<typename E::data_keys_policy, E> && requires {
  E::data_keys.size();
  { *std::begin(E::data_keys) } -> std::convertible_to<std::string_view>;
};

// ---------------------------------------------------------------------------------------------
// The contract as the compiler states it. Session instantiates PolicyCheck once; each requirement
// is asserted on its own, so the first error names exactly what a user-written policy lacks.
// Every message below is also listed in docs/writing-policies.md ("The contract, as the compiler
// states it"), which tools/policy_contract.py regenerates from this file and CTest checks
// (policy_contract). Keep each message one string literal on one line: the tool reads them.
// ---------------------------------------------------------------------------------------------
namespace detail {

template <class S, bool Client = ClientStorage<S>>
struct StorageCheck {
  static_assert(requirement::storage_payload_type<S>, "storage policy lacks: typename payload_type");
  static_assert(requirement::storage_load<S>, "storage policy lacks: load(std::string_view key) -> std::optional<sessions::Record<payload_type>>");
  static_assert(requirement::storage_create<S>, "storage policy lacks: create(std::string_view key, const payload_type&, sessions::TimePoint expires_at) -> bool");
  static_assert(requirement::storage_update<S>, "storage policy lacks: update(std::string_view key, const payload_type&, sessions::TimePoint expires_at) -> bool");
  static_assert(requirement::storage_touch<S>, "storage policy lacks: touch(std::string_view key, sessions::TimePoint expires_at) -> bool");
  static_assert(requirement::storage_remove<S>, "storage policy lacks: remove(std::string_view key)");
  static_assert(requirement::storage_exists<S>, "storage policy lacks: exists(std::string_view key) -> bool");
  static_assert(requirement::storage_clear_expired<S>, "storage policy lacks: clear_expired() -> std::size_t");
  static constexpr bool ok = true;
};

// A client-side store (ClientStorage) is checked by the concept itself.
template <class S>
struct StorageCheck<S, true> {
  static constexpr bool ok = true;
};

template <class S>
struct SerializerCheck {
  static_assert(requirement::serializer_dumps<S> || requirement::serializer_keyed_dumps<S>, "serializer policy lacks: dumps(const sessions::Data&) -> std::string");
  static_assert(requirement::serializer_loads<S> || requirement::serializer_keyed_loads<S>, "serializer policy lacks: loads(std::string_view) -> sessions::Data");
  static constexpr bool ok = true;
};

// Bytes that may hold NUL or invalid UTF-8 never reach a text column: PostgreSQL would refuse
// some of them at run time (only some: the failure would depend on the data) and SQLite would
// keep text no other reader of Django's table can read. Base64Serializer makes any bytes text.
template <class S, class Ser>
struct PayloadCheck {
  static_assert(!(TextStorage<S> && BinarySerializer<Ser>), "a binary serializer cannot write to a store that keeps text (SQL): wrap it in sessions::Base64Serializer<...>");
  static constexpr bool ok = true;
};

template <class E>
struct ExpiryCheck {
  static_assert(requirement::expiry_age<E>, "expiry policy lacks: expiry_age(const sessions::Data&, const sessions::Settings&, sessions::TimePoint) -> std::chrono::seconds");
  static_assert(requirement::expiry_browser_close<E>, "expiry policy lacks: expire_at_browser_close(const sessions::Data&, const sessions::Settings&) -> bool");
  static_assert(requirement::expiry_refresh_on_access<E>, "expiry policy lacks: refresh_on_access(const sessions::Settings&) -> bool");
  static_assert(requirement::expiry_on_create<E>, "expiry policy lacks: on_create(sessions::Data&, sessions::TimePoint)");
  static constexpr bool ok = true;
};

/// True once every policy passed its checks (a failing check stops compilation with its message).
template <class S, class Ser, class E>
inline constexpr bool policies_checked =
    StorageCheck<S>::ok && SerializerCheck<Ser>::ok && PayloadCheck<S, Ser>::ok && ExpiryCheck<E>::ok;

}  // namespace detail

}  // namespace sessions
