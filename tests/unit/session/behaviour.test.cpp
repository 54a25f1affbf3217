// The shared behaviour suite (support/behaviour_suite.inc) against the stores of the core library
// and the user-written example store.

#include "support/fixtures.hpp"

#define BYTE_STORES sessions::MemoryStore, sessions::FileStore, example::MapStore
#define SERVER_STORES BYTE_STORES, sessions::MemoryValueStore
#define SESSION_STORES SERVER_STORES, sessions::SignedCookieStore, sessions::EncryptedCookieStore

#include "support/behaviour_suite.inc"
