// The shared behaviour suite (support/behaviour_suite.inc: Django's SessionTestsMixin) against
// SqliteStore, with the default JSON serializer; Django's own format is checked in
// django_format.test.cpp and against real Django in tests/interop/test_sql_interop.py.

#include "sqlite_support.hpp"

#define BYTE_STORES sessions::SqliteStore
#define SERVER_STORES BYTE_STORES
#define SESSION_STORES SERVER_STORES

#include "support/behaviour_suite.inc"
