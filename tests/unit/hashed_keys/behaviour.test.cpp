// The shared behaviour suite (support/behaviour_suite.inc, Django's SessionTestsMixin) against
// HashedKeys over the core stores: hashing the key at rest changes nothing a session user sees.

#include "hashed_keys_support.hpp"

#define BYTE_STORES                                                                       \
  sessions::HashedKeys<sessions::MemoryStore>, sessions::HashedKeys<sessions::FileStore>, \
      hashed_keys_test::PepperedMemory
#define SERVER_STORES BYTE_STORES, sessions::HashedKeys<sessions::MemoryValueStore>
#define SESSION_STORES SERVER_STORES

#include "support/behaviour_suite.inc"
