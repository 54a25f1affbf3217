#pragma once
// The three kinds of payload a store keeps, and everything Session does that depends on the kind,
// in one place: what data a payload holds, how data becomes a payload (encode), how a loaded
// payload becomes data (decode), how big it is for Settings::max_payload_bytes, and the
// fingerprint that tells an unchanged session from a changed one.
//
//   bytes   std::string from the serializer policy (MemoryStore, files, SQL, Redis, memcached;
//           and, for fingerprints only, the cookie stores)
//   values  sessions::Data itself, no serializer (BasicMemoryStore<Data>)
//   members sessions::SharedMembers, the top-level members shared immutably (MemoryValueStore):
//           load moves a pointer, a save copies one pointer per key and the values it changed

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../concepts.hpp"
#include "../data.hpp"
#include "../member_list.hpp"
#include "../record.hpp"
#include "fingerprint.hpp"

namespace sessions::detail {

enum class PayloadKind { bytes, values, members };

template <class S, bool Client = ClientStorage<S>>
struct stored_payload {
  using type = std::string;  // a cookie store has no payload of its own: its cookie is bytes
};
template <class S>
struct stored_payload<S, false> {
  using type = typename S::payload_type;
};

/// What a read of the store gave: data of the session's own, data shared immutably (a cookie
/// store's cache of verified values), or a value store's shared members.
struct Loaded {
  Data owned = Data::object();
  SharedData shared{};
  SharedMembers members{};
};

template <class Storage, class SerializerT>
struct PayloadCodec {
  using payload_type = typename stored_payload<Storage>::type;
  static constexpr PayloadKind kind = std::is_same_v<payload_type, SharedMembers> ? PayloadKind::members
                                      : std::is_same_v<payload_type, Data>        ? PayloadKind::values
                                                                                  : PayloadKind::bytes;
  static constexpr bool keeps_values = kind != PayloadKind::bytes;
  /// The serializer binds its bytes to the session key (KeyedSerializer): every call passes it.
  static constexpr bool keyed = KeyedSerializer<SerializerT>;
  /// Bytes that are a function of the data alone can be fingerprinted as they are (bytes that
  /// depend on the key too are not: the fingerprint is taken without one).
  static constexpr bool canonical = kind == PayloadKind::bytes && CanonicalSerializer<SerializerT> && !keyed;

  /// The data a value payload holds as a JSON object (a copy for members; a null SharedMembers,
  /// which no Session writes, as empty).
  static Data data_of(const payload_type& payload) requires keeps_values {
    if constexpr (kind == PayloadKind::members) {
      return payload ? payload->to_data() : Data::object();
    } else {
      return payload;
    }
  }

  /// The fingerprint of `data` as this kind compares it: the serializer's bytes when those are
  /// canonical (so that it equals the fingerprint of the bytes a load read), else nlohmann's dump.
  static std::uint64_t fingerprint_of(const SerializerT& serializer, const Data& data) {
    if constexpr (canonical) {
      return fingerprint(serializer.dumps(data));
    } else {
      return fingerprint(data.dump());
    }
  }

  /// A payload for `data` (a copy: the session keeps its own) stored under `key`. Bytes may throw
  /// EncodeError.
  static payload_type encode(const SerializerT& serializer, const Data& data, std::string_view key) {
    (void)key;  // bytes of a keyed serializer only
    if constexpr (kind == PayloadKind::members) {
      (void)serializer;
      return std::make_shared<const MemberList>(MemberList::from(data));
    } else if constexpr (kind == PayloadKind::values) {
      (void)serializer;
      return data;
    } else if constexpr (keyed) {
      return serializer.dumps(data, key);
    } else {
      return serializer.dumps(data);
    }
  }

  /// The data of bytes stored under `key` (a sessions::Error when they are not a session).
  static Data loads(const SerializerT& serializer, std::string_view bytes,
                    std::string_view key) requires(!keeps_values) {
    if constexpr (keyed) {
      return serializer.loads(bytes, key);
    } else {
      (void)key;
      return serializer.loads(bytes);
    }
  }

  /// Bytes that loaded but should be written again by the next save, unchanged data or not
  /// (sealed under a fallback key); false for every serializer without needs_rewrite().
  static bool needs_rewrite(const SerializerT& serializer, const payload_type& bytes) requires(!keeps_values) {
    if constexpr (requirement::serializer_needs_rewrite<SerializerT>) {
      return serializer.needs_rewrite(bytes);
    } else {
      (void)serializer;
      (void)bytes;
      return false;
    }
  }

  /// The data of a loaded payload, before any limit check. Shared members are handed over as the
  /// pointer (a reference count), owned values moved unless `keep` (the caller still needs the
  /// payload), bytes stored under `key` decoded (a sessions::Error when they are not a session).
  static Loaded decode(const SerializerT& serializer, payload_type& payload, bool keep, std::string_view key) {
    Loaded loaded{Data(), nullptr, nullptr};  // every kind sets what it holds: no empty object made first
    (void)key;                                // bytes only
    if constexpr (kind == PayloadKind::members) {
      (void)serializer;
      (void)keep;
      if (payload) loaded.members = payload;  // a reference count, no copy
    } else if constexpr (kind == PayloadKind::values) {
      (void)serializer;
      if (keep) {
        loaded.owned = payload;  // the record's copy stays for the compare-and-set
      } else {
        loaded.owned = std::move(payload);
      }
    } else {
      (void)keep;
      loaded.owned = loads(serializer, payload, key);
    }
    return loaded;
  }

  /// The fingerprint of loaded bytes, equal to fingerprint_of() of the same data.
  static std::uint64_t loaded_fingerprint(const SerializerT& serializer, const payload_type& bytes,
                                          const Data& data) requires(!keeps_values) {
    if constexpr (canonical) {
      (void)serializer;
      (void)data;
      return fingerprint(bytes);
    } else {
      return fingerprint_of(serializer, data);
    }
  }
};

}  // namespace sessions::detail
