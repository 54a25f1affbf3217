// The shared lost-update suite (support/lost_update_suite.inc) against FileStore (compare-and-set
// under the directory lock).

#include "support/fixtures.hpp"

#define CAS_STORES sessions::FileStore

#include "support/lost_update_suite.inc"
