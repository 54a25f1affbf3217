// The shared behaviour suite (support/behaviour_suite.inc) against the user-written example store
// and the cookie stores; each library store runs it from its own folder (tests/unit/memory,
// tests/unit/file_store, tests/unit/sqlite, ...).

#include "support/fixtures.hpp"

#define BYTE_STORES example::MapStore
#define SERVER_STORES BYTE_STORES
#define SESSION_STORES SERVER_STORES, sessions::SignedCookieStore, sessions::EncryptedCookieStore

#include "support/behaviour_suite.inc"
