#pragma once
// AsyncRedisStore: RedisStore with a native non-blocking path. Its async_load, async_create,
// async_update, async_touch and async_remove run on hiredis' async API driven by Boost.Asio, so an
// I/O thread never waits on Redis; the blocking operations (and everything the async layer does
// not do natively: update_if's compare-and-set, the per-user index, for_each_session) are those of
// a RedisStore it owns, with the same options, for a thread pool to call. Not in the umbrella
// header (it needs Boost.Asio); link -lhiredis.
//
// Same keys, same values, same commands as RedisStore (storage/redis.hpp): a record written by one
// is read by the other.
//   async_load    GET key
//   async_create  SET key value NX PX <ttl>    (a record already over: GETRANGE key 0 19)
//   async_update  SET key value XX PX <ttl>    (a record already over: the touch script deletes it)
//   async_touch   EVALSHA <touch script> 1 key now header ttl   (EVAL once after NOSCRIPT)
//   async_remove  DEL key
// Liveness by Options::clock, as RedisStore. A create that lost its connection is not sent again
// (RedisStore retries once on a fresh connection and reads the record back; here the caller gets
// the StorageError, and the session layer treats it as any failed save).
//
// Connection: one connection to the server, on a strand of the executor given at construction
// (hiredis contexts are not thread-safe; the operations may be started from any thread). Commands
// are pipelined on it. It is opened by the first operation, and again by the first one after it
// dropped (the server restarted, a timeout): Options::connect_timeout bounds the connect, then
// AUTH (password, or ACL user and password) and SELECT db as RedisStore sends them; commands that
// arrive meanwhile wait for them. A failed connect fails the commands waiting for it, and
// operations fail at once with StorageError for Options::reconnect_backoff (doubling up to
// reconnect_backoff_max) instead of each trying again.
//   - hiredis resolves Options::host with getaddrinfo inside its (otherwise non-blocking)
//     connect, on the strand's thread: give an address, or a name /etc/hosts answers, for a connect
//     that never waits on DNS.
//   - At most `max_in_flight` commands sent or waiting (constructor; 1024 by default): one more
//     fails at once with StorageError. Nothing queues without bound while the server is away.
//   - Options::command_timeout per command: StorageTimeout when no reply came in time; the
//     connection is then closed (a server that does not answer one command holds every later one
//     behind it), and the other commands on it fail with StorageTimeout too. A connect or setup that
//     outlasts connect_timeout is a StorageTimeout as well.
//   - Error replies and broken connections: StorageError, "AsyncRedisStore::<op>: ... (server,
//     session abcd...)": never a whole session key, never the password.
// Each operation completes through its handler's associated executor (the store's strand when it
// has none), always by a post: never inline in the initiating call. Completion signatures:
//   async_load    void(std::exception_ptr, std::optional<Record<std::string>>)
//   async_create, async_update, async_touch   void(std::exception_ptr, bool)  (as create/update/touch)
//   async_remove  void(std::exception_ptr)
// An invalid session key completes with nullopt / false / nothing, as the blocking calls return.
//
// Not on the native path: Redis Cluster and Sentinel (options with cluster_nodes or sentinels are a
// ConfigurationError here: use RedisStore through the blocking pool), and wait_replicas (likewise).
// No TLS (no hiredis_ssl in hiredis 0.14).
//
// The store must outlive every operation in progress, and must be destroyed before its
// io_context (when nothing runs on its strand: e.g. after run() returned); an operation still in
// flight then completes with StorageError.

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../detail/cache_value.hpp"
#include "../record.hpp"
#include "../session_key.hpp"
#include "detail/key_value.hpp"
#include "detail/redis_async_link.hpp"
#include "detail/redis_async_ops.hpp"
#include "redis.hpp"

#include "../async/async_storage.hpp"

namespace sessions {

class AsyncRedisStore {
 public:
  static constexpr std::string_view store_name = "AsyncRedisStore";
  using payload_type = std::string;
  using Options = RedisOptions;
  using executor_type = detail::redis_store::AsyncStrand;
  static constexpr std::size_t kDefaultMaxInFlight = 1024;

  AsyncRedisStore(const boost::asio::any_io_executor& executor, Options options,
                  std::size_t max_in_flight = kDefaultMaxInFlight)
      : blocking_(checked(options)),
        strand_(boost::asio::make_strand(executor)),
        link_(std::make_shared<detail::redis_store::AsyncLink>(strand_, options, blocking_.server(), max_in_flight)),
        options_(std::move(options)) {}
  /// Options from a URL (RedisStore::options_from_url: redis:// and unix:// only here).
  AsyncRedisStore(const boost::asio::any_io_executor& executor, std::string_view url, Clock clock = {},
                  Logger logger = {})
      : AsyncRedisStore(executor, detail::with_clock_and_logger(RedisStore::options_from_url(url), std::move(clock),
                                                                std::move(logger))) {}
  AsyncRedisStore(const AsyncRedisStore&) = delete;
  AsyncRedisStore& operator=(const AsyncRedisStore&) = delete;
  ~AsyncRedisStore() { link_->close(); }

  /// The strand every hiredis call runs on (and the handlers that have no executor of their own).
  [[nodiscard]] executor_type get_executor() const noexcept { return strand_; }
  /// The blocking store with the same options (for the pool: update_if, the index, ...).
  [[nodiscard]] RedisStore& blocking() noexcept { return blocking_; }

  // --- the native path ---------------------------------------------------------------------------

  template <class Token>
  auto async_load(std::string_view key, Token&& token) {
    using Result = std::optional<Record<std::string>>;
    return start<void(std::exception_ptr, Result)>(
        std::forward<Token>(token), key, [this, name = cache_key(key)](auto done, const std::string& k) {
          run<Result>(done, "load", k, {"GET", name}, [this, k](const redisReply& r) -> Result {
            if (r.type == REDIS_REPLY_NIL) return std::nullopt;
            if (r.type != REDIS_REPLY_STRING) throw detail::redis_store::unexpected_reply("load", server(), k, r);
            return detail::key_value::live_record(detail::redis_store::reply_text(r), options_.clock.now(),
                                                  options_.logger, detail::redis_store::kLogCategory, store_name,
                                                  server(), k);
          });
        });
  }

  template <class Token>
  auto async_create(std::string_view key, std::string_view payload, TimePoint expires_at, Token&& token) {
    auto prepared = detail::key_value::prepare_write(payload, expires_at, options_.clock.now());
    return start<void(std::exception_ptr, bool)>(
        std::forward<Token>(token), key,
        [this, name = cache_key(key), prepared = std::move(prepared)](auto done, const std::string& k) {
          if (prepared.ttl.count() == 0) {  // already over: nothing to store; is a live one in the way?
            return run<bool>(done, "create", k, {"GETRANGE", name, "0", "19"}, [this, k](const redisReply& r) {
              if (r.type != REDIS_REPLY_STRING) throw detail::redis_store::unexpected_reply("create", server(), k, r);
              return !detail::key_value::live_header(detail::redis_store::reply_text(r), options_.clock.now());
            });
          }
          run<bool>(
              done, "create", k, {"SET", name, prepared.value, "NX", "PX", std::to_string(prepared.ttl.count())},
              [this, k](const redisReply& r) { return detail::redis_store::set_written("create", server(), k, r); });
        });
  }

  template <class Token>
  auto async_update(std::string_view key, std::string_view payload, TimePoint expires_at, Token&& token) {
    const TimePoint now = options_.clock.now();
    auto prepared = detail::key_value::prepare_write(payload, expires_at, now);
    return start<void(std::exception_ptr, bool)>(
        std::forward<Token>(token), key,
        [this, name = cache_key(key), prepared = std::move(prepared), expires_at, now](auto done,
                                                                                       const std::string& k) {
          if (prepared.ttl.count() == 0)
            return this->touch_script(done, "update", k, name, expires_at, now, prepared.ttl);
          run<bool>(
              done, "update", k, {"SET", name, prepared.value, "XX", "PX", std::to_string(prepared.ttl.count())},
              [this, k](const redisReply& r) { return detail::redis_store::set_written("update", server(), k, r); });
        });
  }

  template <class Token>
  auto async_touch(std::string_view key, TimePoint expires_at, Token&& token) {
    const TimePoint now = options_.clock.now();
    return start<void(std::exception_ptr, bool)>(
        std::forward<Token>(token), key,
        [this, name = cache_key(key), expires_at, now](auto done, const std::string& k) {
          this->touch_script(done, "touch", k, name, expires_at, now, detail::cache_value::ttl(expires_at, now));
        });
  }

  template <class Token>
  auto async_remove(std::string_view key, Token&& token) {
    return start<void(std::exception_ptr)>(
        std::forward<Token>(token), key, [this, name = cache_key(key)](auto done, const std::string& k) {
          run<void>(done, "remove", k, {"DEL", name}, [this, k](const redisReply& r) {
            if (r.type != REDIS_REPLY_INTEGER) throw detail::redis_store::unexpected_reply("remove", server(), k, r);
          });
        });
  }

  // --- the blocking path (ServerStorage, CasStorage, UserIndexStorage: RedisStore's) ---------------

  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) { return blocking_.load(key); }
  [[nodiscard]] bool create(std::string_view key, std::string_view payload, TimePoint expires_at) {
    return blocking_.create(key, payload, expires_at);
  }
  [[nodiscard]] bool update(std::string_view key, std::string_view payload, TimePoint expires_at) {
    return blocking_.update(key, payload, expires_at);
  }
  [[nodiscard]] CasResult update_if(std::string_view key, std::string_view payload, TimePoint expires_at,
                                    std::string_view expected) {
    return blocking_.update_if(key, payload, expires_at, expected);
  }
  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) { return blocking_.touch(key, expires_at); }
  void remove(std::string_view key) { blocking_.remove(key); }
  [[nodiscard]] bool exists(std::string_view key) { return blocking_.exists(key); }
  [[nodiscard]] std::size_t clear_expired() const noexcept { return 0; }

  [[nodiscard]] IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                                           const UserSessionLimit& limit) {
    return blocking_.index_session(user, key, details, limit);
  }
  void unindex_session(std::string_view user, std::string_view key) { blocking_.unindex_session(user, key); }
  [[nodiscard]] std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) {
    return blocking_.user_sessions(user, now);
  }
  [[nodiscard]] std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    return blocking_.purge_expired(batch, now);
  }
  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) {
    blocking_.for_each_session(fn);
  }

  [[nodiscard]] std::string cache_key(std::string_view session_key) const { return blocking_.cache_key(session_key); }
  [[nodiscard]] const std::string& server() const noexcept { return blocking_.server(); }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }

 private:
  using Link = detail::redis_store::AsyncLink;

  static const Options& checked(const Options& options) {
    if (!options.cluster_nodes.empty() || !options.sentinels.empty() || options.wait_replicas > 0) {
      throw ConfigurationError(
          "AsyncRedisStore: Redis Cluster, Sentinel and wait_replicas are not on the native path: use RedisStore "
          "through the blocking pool");
    }
    return options;
  }

  // async_initiate with the handler wrapped in a Completion; `begin(done, key)` runs on the strand.
  // An invalid session key completes with the default result, without a command.
  template <class Signature, class Token, class Begin>
  auto start(Token&& token, std::string_view key, Begin begin) {
    return boost::asio::async_initiate<Token, Signature>(
        [this](auto handler, std::string k, Begin b) {
          detail::redis_store::Completion<decltype(handler), executor_type> done(std::move(handler), strand_);
          if (!is_valid_session_key(k)) return complete_default<Signature>(done);
          boost::asio::post(strand_, [done, k = std::move(k), b = std::move(b)]() mutable { b(done, k); });
        },
        token, std::string(key), std::move(begin));
  }

  template <class Signature, class Done>
  static void complete_default(const Done& done) {
    if constexpr (std::is_same_v<Signature, void(std::exception_ptr)>) {
      done(nullptr);
    } else if constexpr (std::is_same_v<Signature, void(std::exception_ptr, bool)>) {
      done(nullptr, false);
    } else {
      done(nullptr, std::optional<Record<std::string>>{});
    }
  }

  template <class T, class Done>
  static void deliver(const Done& done, std::exception_ptr e, [[maybe_unused]] std::optional<T>* value) {
    if constexpr (std::is_void_v<T>) {
      done(std::move(e));
    } else {
      done(std::move(e), value != nullptr ? std::move(**value) : T{});
    }
  }

  // One command on the strand; `read(reply)` gives the result (or throws), an error reply is a
  // StorageError.
  template <class T, class Done, class Read>
  void run(const Done& done, const char* op, const std::string& key, std::vector<std::string> args, Read read) {
    link_->command(op, key, std::move(args), [this, done, op, key, read](std::exception_ptr e, const redisReply* r) {
      finish<T>(done, op, key, read, std::move(e), r);
    });
  }

  template <class T, class Done, class Read>
  void finish(const Done& done, const char* op, const std::string& key, const Read& read, std::exception_ptr e,
              const redisReply* r) const {
    if (e) return deliver<T>(done, std::move(e), nullptr);
    try {
      if (r->type == REDIS_REPLY_ERROR) throw detail::redis_store::unexpected_reply(op, server(), key, *r);
      if constexpr (std::is_void_v<T>) {
        read(*r);
        deliver<T>(done, nullptr, nullptr);
      } else {
        std::optional<T> value(read(*r));
        deliver<T>(done, nullptr, &value);
      }
    } catch (...) {
      deliver<T>(done, std::current_exception(), nullptr);
    }
  }

  // The touch script (RedisStore::run_touch_script): EVALSHA, and EVAL once when the server does
  // not know it yet (NOSCRIPT). True when a live record was touched (or, ttl 0, deleted).
  template <class Done>
  void touch_script(const Done& done, const char* op, const std::string& key, const std::string& name,
                    TimePoint expires_at, TimePoint now, std::chrono::milliseconds ttl) {
    std::string now_digits = detail::cache_value::header(now);
    now_digits.pop_back();  // 19 digits, no separator
    std::vector<std::string> args{"EVALSHA",
                                  std::string(detail::redis_store::kTouchScriptSha1),
                                  "1",
                                  name,
                                  now_digits,
                                  detail::cache_value::header(expires_at),
                                  std::to_string(ttl.count())};
    auto read = [this, op, key](const redisReply& r) {
      if (r.type != REDIS_REPLY_INTEGER) throw detail::redis_store::unexpected_reply(op, server(), key, r);
      return r.integer == 1;
    };
    std::vector<std::string> eval = args;
    eval[0] = "EVAL";
    eval[1] = std::string(detail::redis_store::kTouchScript);
    link_->command(
        op, key, std::move(args),
        [this, done, op, key, read, eval = std::move(eval)](std::exception_ptr e, const redisReply* r) mutable {
          if (!e && r->type == REDIS_REPLY_ERROR && detail::redis_store::reply_text(*r).starts_with("NOSCRIPT")) {
            return run<bool>(done, op, key, std::move(eval), read);
          }
          finish<bool>(done, op, key, read, std::move(e), r);
        });
  }

  RedisStore blocking_;
  executor_type strand_;
  std::shared_ptr<Link> link_;
  Options options_;
};

}  // namespace sessions
