// The shared behaviour suite (support/behaviour_suite.inc: Django's SessionTestsMixin) against
// PostgresStore, one fresh table per test, on the server of SESSIONS_TEST_POSTGRES_URL.

#include "postgres_support.hpp"

#define BYTE_STORES sessions::PostgresStore
#define SERVER_STORES BYTE_STORES
#define SESSION_STORES SERVER_STORES

#include "support/behaviour_suite.inc"
