// The shared behaviour suite (support/behaviour_suite.inc, Django's SessionTestsMixin) against
// MemoryStore (bytes) and MemoryValueStore (session values, no serializer).

#include "support/fixtures.hpp"

#define BYTE_STORES sessions::MemoryStore
#define SERVER_STORES BYTE_STORES, sessions::MemoryValueStore
#define SESSION_STORES SERVER_STORES

#include "support/behaviour_suite.inc"
