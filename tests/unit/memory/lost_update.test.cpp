// The shared lost-update suite (support/lost_update_suite.inc) against the in-memory stores.

#include "support/fixtures.hpp"

#define CAS_STORES sessions::MemoryStore, sessions::MemoryValueStore

#include "support/lost_update_suite.inc"
