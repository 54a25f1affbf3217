// The shared behaviour suite (support/behaviour_suite.inc, Django's SessionTestsMixin) against
// MemcachedStore on the two servers started by tests/servers/memcached.sh.

#include "memcached_support.hpp"

#define BYTE_STORES sessions::MemcachedStore
#define SERVER_STORES BYTE_STORES
#define SESSION_STORES SERVER_STORES
#define STORES_EXPIRING_ON_THEIR_OWN 1  // see test_clearsessions_command

#include "support/behaviour_suite.inc"
