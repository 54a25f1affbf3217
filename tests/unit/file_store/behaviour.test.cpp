// The shared behaviour suite (support/behaviour_suite.inc, Django's SessionTestsMixin) against
// FileStore in a fresh temporary directory.

#include "support/fixtures.hpp"

#define BYTE_STORES sessions::FileStore
#define SERVER_STORES BYTE_STORES
#define SESSION_STORES SERVER_STORES

#include "support/behaviour_suite.inc"
