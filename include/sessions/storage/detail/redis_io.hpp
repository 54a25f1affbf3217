#pragma once
// RedisStore's wire mechanics: the Lua scripts of touch and update_if, hiredis handles, one
// command with SIGPIPE held off, and the check of an idle connection. RedisStore
// (storage/redis.hpp) composes them.

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sessions {

namespace detail::redis_store {

inline constexpr std::string_view kLogCategory = "sessions.storage.redis";

// The touch script (see the header comment). ARGV: now (19 digits), the new header, the TTL in ms
// ("0": the record ends now and is deleted). Returns 1 when a live record was touched, else 0.
inline constexpr std::string_view kTouchScript =
    "local h = redis.call('GETRANGE', KEYS[1], 0, 19)\n"
    "if not string.match(h, '^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d:$') then return 0 end\n"
    "local hs, hn = tonumber(string.sub(h, 1, 10)), tonumber(string.sub(h, 11, 19))\n"
    "local ns, nn = tonumber(string.sub(ARGV[1], 1, 10)), tonumber(string.sub(ARGV[1], 11, 19))\n"
    "if hs < ns or (hs == ns and hn <= nn) then return 0 end\n"
    "if ARGV[3] == '0' then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "else\n"
    "  redis.call('SETRANGE', KEYS[1], 0, ARGV[2])\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
    "end\n"
    "return 1\n";
/// SHA-1 of kTouchScript (what SCRIPT LOAD answers; a test checks it against the server).
inline constexpr std::string_view kTouchScriptSha1 = "772e9ec14972f9a66eb020d9dafd2d6b370f7a0b";

// The compare-and-set script of update_if (lost-update protection). ARGV: now (19 digits), the
// expected payload, the new value (header and payload), the TTL in ms ("0": the record ends now and
// is deleted). Returns 0 when there is no live record by the caller's clock (missing), 2 when the
// payload is neither the expected one nor the new one (conflict), 1 when written. Finding the new
// payload already there counts as written: that is what a retry on a fresh connection sees when
// the first attempt was applied before the connection broke (and writing equal bytes again loses
// nothing).
inline constexpr std::string_view kUpdateIfScript =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return 0 end\n"
    "local h = string.sub(v, 1, 20)\n"
    "if not string.match(h, '^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d:$') then return 0 end\n"
    "local hs, hn = tonumber(string.sub(h, 1, 10)), tonumber(string.sub(h, 11, 19))\n"
    "local ns, nn = tonumber(string.sub(ARGV[1], 1, 10)), tonumber(string.sub(ARGV[1], 11, 19))\n"
    "if hs < ns or (hs == ns and hn <= nn) then return 0 end\n"
    "local p = string.sub(v, 21)\n"
    "if p ~= ARGV[2] and p ~= string.sub(ARGV[3], 21) then return 2 end\n"
    "if ARGV[4] == '0' then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "else\n"
    "  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])\n"
    "end\n"
    "return 1\n";
/// SHA-1 of kUpdateIfScript (what SCRIPT LOAD answers; a test checks it against the server).
inline constexpr std::string_view kUpdateIfScriptSha1 = "1eb0e723677bb1b3b58f267f24b4d18c770df140";

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept {
    if (c != nullptr) redisFree(c);
  }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

[[nodiscard]] inline timeval to_timeval(std::chrono::milliseconds ms) noexcept {
  if (ms < std::chrono::milliseconds{1}) ms = std::chrono::milliseconds{1};  // 0 would mean "no timeout"
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

/// Blocks SIGPIPE in the calling thread for the lifetime of the object; consume() takes away a
/// SIGPIPE raised meanwhile (one that was pending before is left alone).
class SigpipeGuard {
 public:
  SigpipeGuard() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    active_ = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) == 0;
  }
  ~SigpipeGuard() {
    if (active_) pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  void consume() noexcept {
    if (!active_ || was_pending_) return;
    const timespec zero{};
    while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
    }
  }

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
  bool active_ = false;
};

/// True when an idle connection has something to read (EOF: the server closed it) or an error.
[[nodiscard]] inline bool looks_dead(const redisContext* c) noexcept {
  if (c == nullptr || c->err != 0 || c->fd < 0) return true;
  pollfd p{};
  p.fd = c->fd;
  p.events = POLLIN;
  const int n = ::poll(&p, 1, 0);
  return n != 0;  // readable, hung up, error, or poll itself failed
}

/// One command on `c`; nullptr when the connection failed (c->err and c->errstr say why; the
/// context is then unusable).
[[nodiscard]] inline Reply command(redisContext* c, std::span<const std::string_view> args) {
  // Every command of the store fits the arrays on the stack; a longer one takes the heap rather
  // than losing arguments.
  constexpr std::size_t kInline = 10;
  std::array<const char*, kInline> argv_inline{};
  std::array<std::size_t, kInline> lengths_inline{};
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> lengths_heap;
  const char** argv = argv_inline.data();
  std::size_t* lengths = lengths_inline.data();
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    lengths_heap.resize(args.size());
    argv = argv_heap.data();
    lengths = lengths_heap.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lengths[i] = args[i].size();
  }
  SigpipeGuard guard;
  void* raw = redisCommandArgv(c, static_cast<int>(args.size()), argv, lengths);
  if (raw == nullptr) guard.consume();
  return Reply(static_cast<redisReply*>(raw));
}
[[nodiscard]] inline Reply command(redisContext* c, std::initializer_list<std::string_view> args) {
  return command(c, std::span<const std::string_view>(args.begin(), args.size()));
}

[[nodiscard]] inline std::string_view reply_text(const redisReply& r) noexcept {
  return r.str != nullptr ? std::string_view(r.str, r.len) : std::string_view{};
}

}  // namespace detail::redis_store

}  // namespace sessions
