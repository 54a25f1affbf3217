// The shared behaviour suite (support/behaviour_suite.inc, Django's SessionTestsMixin) against
// RedisStore on the server started by tests/servers/redis.sh.

#include "redis_support.hpp"

#define BYTE_STORES sessions::RedisStore
#define SERVER_STORES BYTE_STORES
#define SESSION_STORES SERVER_STORES
#define STORES_EXPIRING_ON_THEIR_OWN 1  // see test_clearsessions_command

#include "support/behaviour_suite.inc"
