#pragma once
// AsyncRedisStore's connection: one hiredis async context on one strand, (re)connected on demand,
// with the blocking store's setup (AUTH, SELECT), a bounded number of commands in flight, a
// timeout per command and per connect, and errors in the store's message format. AsyncRedisStore
// (storage/redis_async.hpp) describes the behaviour; this is how it is done.
//
// Every member function runs on the strand (hiredis contexts are not thread-safe); `done` is
// called there too, exactly once per command: with the reply (valid during the call only: hiredis
// frees it afterwards), or with the error and a null reply. `done` may be called inside command()
// itself (the command was refused at once): the caller must not complete its own caller inline.

#include <hiredis/async.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../errors.hpp"
#include "../../log.hpp"
#include "../redis_options.hpp"
#include "redis_async_events.hpp"
#include "redis_io.hpp"
#include "store_options.hpp"

namespace sessions::detail::redis_store {

using AsyncStrand = boost::asio::strand<boost::asio::any_io_executor>;

class AsyncLink : public std::enable_shared_from_this<AsyncLink> {
 public:
  using Done = std::function<void(std::exception_ptr, const redisReply*)>;

  AsyncLink(AsyncStrand strand, RedisOptions options, std::string server, std::size_t max_in_flight)
      : strand_(std::move(strand)),
        options_(std::move(options)),
        server_(std::move(server)),
        max_in_flight_(max_in_flight),
        backoff_(options_.reconnect_backoff),
        connect_timer_(strand_) {
    if (max_in_flight_ == 0) throw ConfigurationError("AsyncRedisStore: max_in_flight must be at least 1");
  }
  AsyncLink(const AsyncLink&) = delete;
  AsyncLink& operator=(const AsyncLink&) = delete;
  ~AsyncLink() { close(); }

  [[nodiscard]] const std::string& server() const noexcept { return server_; }
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }

  /// Sends `args` (connecting first when there is no connection). `key` (the session key, may be
  /// empty) and `op` only name the operation in messages.
  void command(const char* op, std::string_view key, std::vector<std::string> args, Done done) {
    if (in_flight_ >= max_in_flight_) {
      done(error<StorageError>(op, key, std::to_string(in_flight_) + " commands in flight already (max_in_flight)"),
           nullptr);
      return;
    }
    auto pending = std::make_shared<Pending>(op, key, std::move(args), std::move(done), strand_);
    ++in_flight_;
    pending->timer.expires_after(options_.command_timeout);
    pending->timer.async_wait([self = shared_from_this(), pending](const boost::system::error_code& ec) {
      if (!ec) self->timed_out(pending);
    });
    if (state_ == State::ready && in_flight_ == 1 && looks_dead(&context_->c)) {
      // Idle until now, and readable: the server closed it (a restart, a timeout, CLIENT KILL).
      why_down_ = "the server closed the idle connection";
      drop(false);
    }
    if (state_ == State::down) connect(op, key);
    if (state_ == State::ready) {
      send(pending);
    } else if (state_ == State::connecting) {
      queued_.push_back(pending);
    } else {
      finish(*pending, connect_error_, nullptr);  // the connect failed at once, or in the back-off
    }
  }

  /// Frees the context: commands on it complete with StorageError. For the store's destructor.
  void close() noexcept {
    connect_timer_.cancel();
    if (context_ == nullptr) return;
    why_down_ = "the store was closed";
    drop(false);
  }

 private:
  enum class State { down, connecting, ready };

  struct Pending {
    Pending(const char* o, std::string_view k, std::vector<std::string> a, Done d, const AsyncStrand& strand)
        : op(o), key(k), args(std::move(a)), done(std::move(d)), timer(strand) {}
    const char* op;
    std::string key;
    std::vector<std::string> args;
    Done done;
    boost::asio::steady_timer timer;
    bool finished = false;
    bool sent = false;
  };
  using PendingPtr = std::shared_ptr<Pending>;

  template <class Error>
  [[nodiscard]] std::exception_ptr error(const char* op, std::string_view key, const std::string& what) const {
    return std::make_exception_ptr(Error(store_message("AsyncRedisStore", op, server_, key, what)));
  }

  void finish(Pending& p, const std::exception_ptr& e, const redisReply* reply) {
    if (p.finished) return;
    p.finished = true;
    p.timer.cancel();
    if (--in_flight_ == 0 && events_) events_->set_idle(true);
    p.done(e, reply);
  }

  // --- connecting --------------------------------------------------------------------------------

  void connect(const char* op, std::string_view key) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_connect_) {
      connect_error_ = error<StorageError>(op, key, "not connecting again yet: " + last_failure_);
      return;
    }
    redisAsyncContext* c = options_.unix_socket.empty() ? redisAsyncConnect(options_.host.c_str(), options_.port)
                                                        : redisAsyncConnectUnix(options_.unix_socket.c_str());
    if (c == nullptr || c->err != 0) {
      const std::string why = c == nullptr ? "out of memory" : c->errstr;
      if (c != nullptr) redisAsyncFree(c);
      connect_failed(op, key, "cannot connect: " + why, false);
      return;
    }
    context_ = c;
    c->data = this;
    why_down_.clear();
    if (options_.unix_socket.empty()) (void)redisEnableKeepAlive(&c->c);
    events_ = std::make_shared<AsioEvents>(strand_);
    events_->attach(c);
    (void)redisAsyncSetConnectCallback(c, &AsyncLink::on_connect);
    (void)redisAsyncSetDisconnectCallback(c, &AsyncLink::on_disconnect);
    state_ = State::connecting;
    const unsigned generation = ++generation_;
    connect_timer_.expires_after(options_.connect_timeout);
    connect_timer_.async_wait([self = shared_from_this(), generation](const boost::system::error_code& ec) {
      if (ec || self->generation_ != generation || self->state_ != State::connecting) return;
      self->why_down_ = "the connect timed out";
      self->drop(false);
      self->connect_failed("connect", {},
                           "cannot connect within " + std::to_string(self->options_.connect_timeout.count()) + " ms",
                           true);
    });
  }

  static void on_connect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<AsyncLink*>(c->data);
    if (status != REDIS_OK) {
      // hiredis frees the context when this returns.
      const std::string why = c->errstr != nullptr ? c->errstr : "unknown error";
      self->context_ = nullptr;
      self->connect_failed("connect", {}, "cannot connect: " + why, false);
      return;
    }
    self->setup();
  }

  // The server closed the connection, or it failed (hiredis frees the context when this returns;
  // the commands on it completed already, with a null reply). Not called for a context that never
  // connected (connect_failed() covers that), nor, in effect, for one drop() freed.
  static void on_disconnect(const redisAsyncContext* c, int) {
    auto* self = static_cast<AsyncLink*>(c->data);
    if (self == nullptr || self->context_ != c) return;
    self->context_ = nullptr;
    self->events_.reset();
    self->state_ = State::down;
    ++self->generation_;
  }

  // AUTH and SELECT, as the blocking store sends them; user commands wait in queued_ until both
  // answered OK (pipelined behind a failed SELECT they would run on database 0).
  void setup() {
    std::vector<std::vector<std::string>> steps;
    if (!options_.password.empty()) {
      steps.push_back(options_.username.empty()
                          ? std::vector<std::string>{"AUTH", options_.password}
                          : std::vector<std::string>{"AUTH", options_.username, options_.password});
    }
    if (options_.db != 0) steps.push_back({"SELECT", std::to_string(options_.db)});
    setup_left_ = steps.size();
    if (steps.empty()) return ready();
    const unsigned generation = generation_;
    for (auto& step : steps) {
      std::string what = step[0] == "AUTH" ? "authentication" : "SELECT " + step[1];
      raw_send(std::move(step), [self = shared_from_this(), generation, what](const redisReply* r, const char* errstr) {
        if (self->generation_ != generation || self->state_ != State::connecting) return;
        if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
          const std::string why = r != nullptr ? std::string(reply_text(*r)) : std::string(errstr);
          self->why_down_ = what + " failed";
          self->drop(false);
          self->connect_failed("connect", {}, what + " failed: " + why, false);
        } else if (--self->setup_left_ == 0) {
          self->ready();
        }
      });
    }
  }

  void ready() {
    state_ = State::ready;
    connect_timer_.cancel();
    if (next_connect_ != std::chrono::steady_clock::time_point{}) {
      options_.logger(LogLevel::info, kLogCategory, "AsyncRedisStore: " + server_ + ": connected again");
    }
    backoff_ = options_.reconnect_backoff;
    next_connect_ = {};
    std::deque<PendingPtr> queued;
    queued.swap(queued_);
    for (const PendingPtr& p : queued) {
      if (!p->finished) send(p);
    }
    if (in_flight_ == 0) events_->set_idle(true);  // all of them timed out while it connected
  }

  // The connect failed: the commands waiting for it fail, and none is attempted for the back-off.
  void connect_failed(const char* op, std::string_view key, const std::string& what, bool timeout) {
    connect_timer_.cancel();
    context_ = nullptr;
    events_.reset();
    last_failure_ = what;
    next_connect_ = std::chrono::steady_clock::now() + backoff_;
    options_.logger(LogLevel::warning, kLogCategory,
                    "AsyncRedisStore: " + server_ + ": " + what + "; not trying again for " +
                        std::to_string(backoff_.count()) + " ms");
    backoff_ = std::min(backoff_ * 2, options_.reconnect_backoff_max);
    state_ = State::down;  // the next command asks connect(), which applies the back-off
    connect_error_ = timeout ? error<StorageTimeout>(op, key, what) : error<StorageError>(op, key, what);
    std::deque<PendingPtr> queued;
    queued.swap(queued_);
    for (const PendingPtr& p : queued) {
      finish(*p, timeout ? error<StorageTimeout>(p->op, p->key, what) : error<StorageError>(p->op, p->key, what),
             nullptr);
    }
  }

  // Frees the context (never from inside a hiredis callback of another context): the commands
  // sent on it complete through their callbacks with a null reply (why_down_ says why).
  void drop(bool timeout) {
    redisAsyncContext* c = context_;
    context_ = nullptr;
    dropped_by_timeout_ = timeout;
    state_ = State::down;
    ++generation_;
    if (c != nullptr) redisAsyncFree(c);
    events_.reset();
    dropped_by_timeout_ = false;
  }

  // --- commands ------------------------------------------------------------------------------------

  using RawDone = std::function<void(const redisReply*, const char* errstr)>;

  // One command on the connection; `done` gets the reply, or null and why (the context failed or
  // was freed).
  void raw_send(std::vector<std::string> args, RawDone done) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto holder = std::make_unique<RawDone>(std::move(done));
    if (redisAsyncCommandArgv(context_, &AsyncLink::on_reply, holder.get(), static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
      (*holder)(nullptr, "the connection is closing");
      return;
    }
    (void)holder.release();  // on_reply deletes it (hiredis calls it once: the reply, or null when freeing)
  }

  static void on_reply(redisAsyncContext* c, void* reply, void* privdata) {
    const std::unique_ptr<RawDone> done(static_cast<RawDone*>(privdata));
    auto* self = static_cast<AsyncLink*>(c->data);
    const char* why = self != nullptr && !self->why_down_.empty()    ? self->why_down_.c_str()
                      : c->errstr != nullptr && c->errstr[0] != '\0' ? c->errstr
                                                                     : "the connection was closed";
    (*done)(static_cast<const redisReply*>(reply), why);
  }

  void send(const PendingPtr& pending) {
    pending->sent = true;
    events_->set_idle(false);
    raw_send(std::move(pending->args), [self = shared_from_this(), pending](const redisReply* r, const char* why) {
      if (r != nullptr) return self->finish(*pending, nullptr, r);
      auto e = self->dropped_by_timeout_
                   ? self->error<StorageTimeout>(pending->op, pending->key, std::string(why))
                   : self->error<StorageError>(pending->op, pending->key,
                                               "the connection failed (" + std::string(why) + ")");
      self->finish(*pending, e, nullptr);
    });
  }

  // A command's time is up: it fails with StorageTimeout, and the connection it was sent on goes
  // (a server that does not answer one command holds every later one behind it; the blocking
  // store discards such a connection too). The other commands on it time out with it.
  void timed_out(const PendingPtr& pending) {
    if (pending->finished) return;
    const std::string what = "no reply within " + std::to_string(options_.command_timeout.count()) + " ms";
    finish(*pending, error<StorageTimeout>(pending->op, pending->key, what), nullptr);
    if (pending->sent && state_ == State::ready && context_ != nullptr) {
      why_down_ = "the connection was closed after a command on it got " + what;
      drop(true);
    }
  }

  AsyncStrand strand_;
  RedisOptions options_;
  std::string server_;
  std::size_t max_in_flight_;
  std::size_t in_flight_ = 0;

  State state_ = State::down;
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<AsioEvents> events_;
  unsigned generation_ = 0;  // one per connection: callbacks of an older one do nothing
  std::size_t setup_left_ = 0;
  std::deque<PendingPtr> queued_;  // accepted while connecting (bounded by max_in_flight)
  std::string why_down_;           // set before we free a context, for the commands it fails
  bool dropped_by_timeout_ = false;

  std::chrono::milliseconds backoff_;
  std::chrono::steady_clock::time_point next_connect_{};
  std::string last_failure_;
  std::exception_ptr connect_error_;
  boost::asio::steady_timer connect_timer_;
};

}  // namespace sessions::detail::redis_store
