// Every Session and Middleware the library ships a policy for, instantiated whole: the header
// check's one-TU-per-header pass compiles templates only as far as they are used, so the
// compilers' flow warnings at -O2 (-Wmaybe-uninitialized, -Wrestrict, -Wreturn-local-addr, ...)
// would never look inside Session, its detail/ flows or the stores' members. An explicit
// instantiation emits every member, as a user's program that calls them would.

#include <sessions/sessions.hpp>
#include <sessions/storage/memcached.hpp>
#include <sessions/storage/postgres.hpp>
#include <sessions/storage/redis.hpp>
#include <sessions/storage/sqlite.hpp>

namespace sessions {

template class Session<MemoryStore>;
template class Session<MemoryValueStore>;
template class Session<FileStore>;
template class Session<SignedCookieStore>;
template class Session<EncryptedCookieStore>;
template class Session<SqliteStore>;
template class Session<PostgresStore>;
template class Session<RedisStore>;
template class Session<MemcachedStore>;
template class Session<HashedKeys<MemoryStore>>;
template class Session<CachedStore<MemoryStore, SqliteStore>>;
template class Session<MemoryStore, DjangoSignedSerializer, Idle>;
template class Session<MemoryStore, JsonSerializer, BrowserSession>;
template class Session<SqliteStore, DjangoSignedSerializer, Absolute>;

template class Middleware<Session<MemoryStore>>;
template class Middleware<Session<MemoryValueStore>>;
template class Middleware<Session<SignedCookieStore>>;
template class Middleware<Session<SqliteStore, DjangoSignedSerializer>>;

// The per-user index: offered by the stores that can list their records (and by a CachedStore
// whose persistent store does, with every member emitted here), never by those that cannot.
template class CachedStore<MemoryStore, RedisStore>;
static_assert(UserIndexStorage<RedisStore>);
static_assert(UserIndexStorage<CachedStore<MemcachedStore, RedisStore>>);
static_assert(!UserIndexStorage<MemcachedStore>);
static_assert(!UserIndexStorage<CachedStore<MemoryStore, MemcachedStore>>);
static_assert(!UserIndexStorage<CachedStore<RedisStore, MemcachedStore>>);

}  // namespace sessions
