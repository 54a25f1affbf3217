#pragma once
// AsyncRedisStore's plumbing between a completion token and the connection: the handler kept
// (type-erased, copyable) until the reply came, then posted to its associated executor with the
// result; and the reading of each reply as the blocking RedisStore reads it. The store
// (storage/redis_async.hpp) composes them.

#include <hiredis/hiredis.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "../../errors.hpp"
#include "redis_io.hpp"
#include "store_options.hpp"

namespace sessions::detail::redis_store {

/// An Asio completion handler of signature void(std::exception_ptr, Values...), called at most
/// once, always through a post to its associated executor (`fallback`: the store's strand, when it
/// has none): never inline in the initiating call, never on another executor. While it waits, its
/// executor has outstanding work (an io_context's run() does not return under it). Copyable (the
/// connection keeps it in a std::function); the copies share the one handler.
template <class Handler, class Fallback>
class Completion {
 public:
  Completion(Handler handler, const Fallback& fallback)
      : state_(std::make_shared<State>(std::move(handler), fallback)) {}

  template <class... Values>
  void operator()(std::exception_ptr error, Values... values) const {
    auto work = std::move(state_->work);
    boost::asio::post(work, [handler = std::move(state_->handler), error = std::move(error),
                             ... values = std::move(values)]() mutable {
      std::move(handler)(std::move(error), std::move(values)...);
    });
  }

 private:
  struct State {
    State(Handler h, const Fallback& fallback)
        : work(boost::asio::prefer(boost::asio::get_associated_executor(h, fallback),
                                   boost::asio::execution::outstanding_work.tracked)),
          handler(std::move(h)) {}
    std::decay_t<decltype(boost::asio::prefer(std::declval<boost::asio::associated_executor_t<Handler, Fallback>>(),
                                              boost::asio::execution::outstanding_work.tracked))>
        work;
    Handler handler;
  };
  std::shared_ptr<State> state_;
};

/// The message of an unexpected reply, as the blocking store words it.
[[nodiscard]] inline StorageError unexpected_reply(std::string_view op, const std::string& server, std::string_view key,
                                                   const redisReply& r) {
  if (r.type == REDIS_REPLY_ERROR) {
    return StorageError(
        store_message("AsyncRedisStore", op, server, key, "the server replied: " + std::string(reply_text(r))));
  }
  return StorageError(
      store_message("AsyncRedisStore", op, server, key, "unexpected reply of type " + std::to_string(r.type)));
}

/// SET ... NX|XX: OK written, nil not written (the blocking store's set_result).
[[nodiscard]] inline bool set_written(std::string_view op, const std::string& server, std::string_view key,
                                      const redisReply& r) {
  if (r.type == REDIS_REPLY_NIL) return false;
  if (r.type == REDIS_REPLY_STATUS && reply_text(r) == "OK") return true;
  throw unexpected_reply(op, server, key, r);
}

}  // namespace sessions::detail::redis_store
