#pragma once
// sessions: Django's session framework as a header-only C++20 library.
//
// This umbrella header brings in everything whose only dependencies are nlohmann_json, xxHash,
// libcrypto and zlib. Stores with their own client library have their own headers:
// <sessions/storage/sqlite.hpp>, <sessions/storage/postgres.hpp>, <sessions/storage/redis.hpp>,
// <sessions/storage/memcached.hpp>.

#include "version.hpp"

#include "clock.hpp"
#include "concepts.hpp"
#include "data.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "random.hpp"
#include "record.hpp"
#include "session_key.hpp"
#include "settings.hpp"

#include "cookie/cookie.hpp"

#include "signing/signing.hpp"

#include "serializer/base64.hpp"
#include "serializer/cbor.hpp"
#include "serializer/django_signed.hpp"
#include "serializer/encrypted.hpp"
#include "serializer/json.hpp"
#include "serializer/msgpack.hpp"

#include "expiry/absolute.hpp"
#include "expiry/browser_session.hpp"
#include "expiry/django.hpp"
#include "expiry/idle.hpp"

#include "storage/cached.hpp"
#include "storage/encrypted_cookie.hpp"
#include "storage/file.hpp"
#include "storage/hashed_keys.hpp"
#include "storage/memory.hpp"
#include "storage/metered.hpp"
#include "storage/signed_cookie_store.hpp"

#include "session.hpp"
#include "middleware.hpp"

#include "lifecycle.hpp"
#include "purger.hpp"
#include "user_indexed.hpp"
