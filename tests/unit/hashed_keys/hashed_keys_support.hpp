#pragma once
// Fixtures for HashedKeys<Inner>: the inner store is built as the plain store's fixture builds it,
// and the decorator over it is what the tests see as `store`; `raw` is the inner store, to look
// behind the decorator's back.

#include <sessions/sessions.hpp>
#include <sessions/storage/hashed_keys.hpp>

#include "support/fixtures.hpp"

namespace hashed_keys_test {

/// A peppered HashedKeys over a MemoryStore: the suite runs over the keyed variant too.
struct PepperedMemory : sessions::HashedKeys<sessions::MemoryStore> {
  using HashedKeys::HashedKeys;
};

}  // namespace hashed_keys_test

namespace test_support {

template <class Inner>
struct StoreFixture<sessions::HashedKeys<Inner>> : StoreFixture<Inner> {
  Inner& raw = StoreFixture<Inner>::store;
  sessions::HashedKeys<Inner> store{raw};
};

template <>
struct StoreFixture<hashed_keys_test::PepperedMemory> : StoreFixture<sessions::MemoryStore> {
  sessions::MemoryStore& raw = StoreFixture<sessions::MemoryStore>::store;
  hashed_keys_test::PepperedMemory store{raw, sessions::HashedKeysOptions{"a pepper kept out of the database"}};
};

}  // namespace test_support
