#pragma once
// async_finish over an AsyncStorage store, without the pool: Middleware::finish's decision, then
// the save's store calls made natively between the session flow's steps (begin_update or
// begin_create, plan_write, complete_write: the blocking save's own code), then finish's headers.
// A new session's create retries a taken key as the blocking create() does.
//
// Covered: a plain write (create-if-absent, update-if-present, touch). Not covered, so run on the
// pool by the caller: compare-and-set saves (Settings::lost_update fail/merge), a store that keeps
// a per-user index, a client-side store (no store call at all: completed at once).

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "../../cookie/set_cookie.hpp"
#include "../../detail/session_access.hpp"
#include "../../errors.hpp"
#include "../../header_fields.hpp"
#include "../../session_key.hpp"
#include "../../user_indexed.hpp"
#include "../async_storage.hpp"
#include "completion.hpp"

#include <boost/asio/bind_executor.hpp>

namespace sessions::detail {

/// The store of SessionT can take a finish natively (whether this session's can: native_finish_now).
template <class SessionT>
inline constexpr bool native_finish_store =
    AsyncStorage<typename SessionT::storage_type> && !KeepsUserIndex<typename SessionT::storage_type>;

template <class MiddlewareT, class Handler>
class NativeFinish : public std::enable_shared_from_this<NativeFinish<MiddlewareT, Handler>> {
  using SessionT = typename MiddlewareT::session_type;
  using Flow = std::remove_reference_t<decltype(SessionAccess::flow(std::declval<SessionT&>()))>;
  using Plan = typename Flow::WritePlan;
  using Completion_ = Completion<HeaderFields, Handler>;

 public:
  NativeFinish(std::shared_ptr<Completion_> completion, const MiddlewareT& middleware, SessionT session, int status)
      : completion_(std::move(completion)), middleware_(&middleware), session_(std::move(session)), status_(status) {}

  /// Whether this session's save is a plain write (no compare-and-set protection).
  static bool covers(SessionT& session) { return !SessionAccess::flow(session).protecting(); }

  void start() {
    step([&] {
      if (const std::string* key = SessionAccess::key_to_fetch(session_)) {
        // A record finish's decision may read (save_every_request, a refresh): fetched first.
        store().async_load(*key, bound([](NativeFinish& self, auto record) {
          SessionAccess::fetched(self.session_, std::move(record));
          self.decide();
        }));
        return;
      }
      decide();
    });
  }

 private:
  void decide() {
    if (!middleware_->decide_finish(session_, status_, headers_)) {
      completion_->succeed(std::move(headers_));
      return;
    }
    cookie_ = middleware_->begin_cookie(session_);
    Flow& flow = SessionAccess::flow(session_);
    if (!session_.session_key()) {
      flow.begin_create();
      try_create();
      return;
    }
    try {
      flow.begin_update();
    } catch (const UpdateError&) {
      throw SessionInterrupted();
    }
    plan_.emplace(flow.plan_write(*session_.session_key(), /*must_create=*/false));
    auto next = bound([](NativeFinish& self, bool ok) {
      if (!ok) throw SessionInterrupted();  // the record is gone: never brought back
      Flow& f = SessionAccess::flow(self.session_);
      f.complete_write(*self.plan_);
      f.updated();
      self.done();
    });
    if (plan_->kind == Flow::WriteKind::touch) {
      store().async_touch(*session_.session_key(), plan_->expires_at, std::move(next));
    } else {
      store().async_update(*session_.session_key(), plan_->payload, plan_->expires_at, std::move(next));
    }
  }

  void try_create() {
    Flow& flow = SessionAccess::flow(session_);
    key_ = generate_session_key(session_.settings().random);
    plan_.emplace(flow.plan_write(key_, /*must_create=*/true));
    store().async_create(
        key_, plan_->payload, plan_->expires_at, bound([](NativeFinish& self, bool ok) {
          Flow& f = SessionAccess::flow(self.session_);
          if (!ok) {
            if (++self.attempts_ < Flow::kCreateAttempts) return self.try_create();
            throw CreateError("unable to create a new session key: every attempt collided with an existing record");
          }
          f.complete_write(*self.plan_);
          f.took_key(std::move(self.key_));
          f.created();
          self.done();
        }));
  }

  void done() {
    middleware_->finish_headers(session_, headers_, cookie_);
    completion_->succeed(std::move(headers_));
  }

  // Runs one step; an exception it throws completes the operation (the session goes with it).
  template <class F>
  void step(F&& f) {
    try {
      f();
    } catch (...) {
      completion_->fail(std::current_exception());
    }
  }

  // A store completion handler, on the caller's executor, that runs `next(*this, result...)` as a
  // step, after a store error completes the operation with it.
  template <class Next>
  auto bound(Next next) {
    return asio::bind_executor(completion_->executor(), [self = this->shared_from_this(), next](
                                                            std::exception_ptr error, auto... result) mutable {
      if (error) {
        self->completion_->fail(std::move(error));
        return;
      }
      self->step([&] { next(*self, std::move(result)...); });
    });
  }

  typename SessionT::storage_type& store() { return session_.store(); }

  std::shared_ptr<Completion_> completion_;
  const MiddlewareT* middleware_;
  SessionT session_;
  int status_;
  HeaderFields headers_;
  cookie::SetCookie cookie_;
  std::optional<Plan> plan_;
  std::string key_;  // the fresh key a create tries
  int attempts_ = 0;
};

}  // namespace sessions::detail
