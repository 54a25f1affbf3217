#pragma once
// hiredis' async API driven by Boost.Asio: hiredis ships event-loop adapters for libev, libevent,
// libuv, ... but none for Asio. A redisAsyncContext asks its event loop, through five hooks, to
// watch its socket for reading and writing (addRead/delRead/addWrite/delWrite) and to forget it
// (cleanup, from redisAsyncFree, just before hiredis closes the socket). AsioEvents answers them
// with async_wait on an asio::posix::stream_descriptor that wraps the context's socket.
//
// Ownership: hiredis owns the socket and closes it when it frees the context; the descriptor only
// borrows it, and cleanup releases it (release() hands the fd back without closing it and cancels
// the waits), so the fd is closed once, by hiredis. A wait that completes after the context is
// gone finds `context` null and does nothing: the waits hold the AsioEvents alive, not the context.
//
// Everything here runs on one executor (a strand): hiredis contexts are not thread-safe.

#include <hiredis/async.h>

#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <memory>

#include "redis_io.hpp"

namespace sessions::detail::redis_store {

class AsioEvents : public std::enable_shared_from_this<AsioEvents> {
 public:
  template <class Executor>
  explicit AsioEvents(const Executor& executor) : socket_(executor) {}
  AsioEvents(const AsioEvents&) = delete;
  AsioEvents& operator=(const AsioEvents&) = delete;
  ~AsioEvents() { forget(); }

  /// Hooks `context` (just created, not yet connected) to this object and starts the connect: the
  /// first write readiness tells hiredis whether the non-blocking connect succeeded.
  void attach(redisAsyncContext* context) {
    context_ = context;
    socket_.assign(context->c.fd);
    context->ev.data = this;
    context->ev.addRead = [](void* self) { static_cast<AsioEvents*>(self)->add(kRead); };
    context->ev.delRead = [](void* self) { static_cast<AsioEvents*>(self)->read_.wanted = false; };
    context->ev.addWrite = [](void* self) { static_cast<AsioEvents*>(self)->add(kWrite); };
    context->ev.delWrite = [](void* self) { static_cast<AsioEvents*>(self)->write_.wanted = false; };
    context->ev.cleanup = [](void* self) { static_cast<AsioEvents*>(self)->forget(); };
    add(kWrite);
  }

  /// Idle: no command waits for a reply, so the socket is not watched for reading (hiredis always
  /// asks for that), and an idle connection does not keep the io_context's run() from returning.
  /// A connection the server closed meanwhile is noticed before the next command (looks_dead).
  void set_idle(bool idle) {
    idle_ = idle;
    if (!idle) return arm(kRead);
    if (read_.waiting) {
      boost::system::error_code ignored;
      (void)socket_.cancel(ignored);  // a write wait it cancels too is armed again by its handler
    }
  }

  /// The context, or null once hiredis freed it (or it was never attached).
  [[nodiscard]] redisAsyncContext* context() const noexcept { return context_; }

 private:
  // One direction: whether hiredis wants it watched, and whether a wait is outstanding (at most
  // one: a delRead followed by an addRead before the wait completed re-uses it).
  struct Interest {
    bool wanted = false;
    bool waiting = false;
  };
  static constexpr bool kRead = true;
  static constexpr bool kWrite = false;
  Interest& interest(bool read) noexcept { return read ? read_ : write_; }

  void add(bool read) {
    interest(read).wanted = true;
    arm(read);
  }

  void arm(bool read) {
    Interest& which = interest(read);
    if (which.waiting || !which.wanted || context_ == nullptr || (read && idle_)) return;
    which.waiting = true;
    socket_.async_wait(
        read ? boost::asio::posix::stream_descriptor::wait_read : boost::asio::posix::stream_descriptor::wait_write,
        [self = shared_from_this(), read](const boost::system::error_code& ec) {
          self->interest(read).waiting = false;
          if (self->context_ == nullptr) return;
          if (ec) {
            // Cancelled by set_idle(): armed again if still wanted (and not idle).
            if (ec == boost::asio::error::operation_aborted) self->arm(read);
            return;
          }
          if (!self->interest(read).wanted) return;
          if (read) {
            redisAsyncHandleRead(self->context_);  // may free the context (EOF, error)
          } else {
            // A write to a connection the peer closed raises SIGPIPE, which hiredis
            // 0.14 does not suppress: held off here, and consumed when the write
            // failed (the context is then gone).
            SigpipeGuard guard;
            redisAsyncHandleWrite(self->context_);
            if (self->context_ == nullptr) guard.consume();
          }
          self->arm(read);  // still wanted: wait again
        });
  }

  // The cleanup hook: hiredis is freeing the context and will close the socket itself.
  void forget() noexcept {
    if (context_ != nullptr) context_->ev = {};
    context_ = nullptr;
    read_.wanted = write_.wanted = false;
    if (socket_.is_open()) (void)socket_.release();
  }

  boost::asio::posix::stream_descriptor socket_;
  redisAsyncContext* context_ = nullptr;
  Interest read_;
  Interest write_;
  bool idle_ = false;
};

}  // namespace sessions::detail::redis_store
