#pragma once
// Metered<Inner>: counts and times every call of a server store. A storage decorator (as
// HashedKeys and CachedStore): each operation is the inner store's, with its outcome counted (a
// load's hit or miss, a write refused, a conflict, a timeout, an error), its latency put in a
// histogram, and an optional trace hook told when it begins and ends (for OpenTelemetry spans or
// logs). Read the figures with snapshot(), or as Prometheus text with to_prometheus():
//
//   sessions::RedisStore redis{"redis://127.0.0.1:6379/0"};
//   sessions::Metered<sessions::RedisStore> store{redis};
//   sessions::Middleware<sessions::Session<sessions::Metered<sessions::RedisStore>>> middleware{store};
//   ...  // GET /metrics:
//   std::string text = sessions::to_prometheus(std::array{store.snapshot()});
//
// A store that is not wrapped pays nothing. Wrapped, every call is counted (one relaxed atomic
// addition) and one call in Options::time_one_in (4 by default; 1 times them all) is timed: two
// reads of the steady clock (about 30 ns each on a virtual machine, more than the rest of the
// wrapper) and two more additions. The histogram is then a sample of the calls, its _count the
// calls timed; the counter counts them all. Every call is timed while a trace hook is set. The
// cost is measured in docs/benchmarks.md. Counters are per Metered object: wrap each store once
// and share the wrapper. Thread-safe when the inner store is.
// update_if (lost-update protection) and the per-user index (user_index.hpp) are forwarded when,
// and only when, the inner store has them: a wrapped store keeps its capabilities, so a site that
// meters its store still lists and revokes its users' sessions.
//
// Exceptions are counted by kind (StorageTimeout, another StorageError, anything else) and
// rethrown unchanged.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../concepts.hpp"
#include "../errors.hpp"
#include "../detail/store_name.hpp"
#include "../record.hpp"
#include "../user_index.hpp"
#include "detail/metrics.hpp"

namespace sessions {

/// One store call, as a trace hook sees it. `outcome` is set at the end only.
struct StoreCall {
  std::string_view store;
  StoreOperation operation;
  std::optional<CallOutcome> outcome;
  std::chrono::nanoseconds elapsed{0};
};

/// Told when each store call begins (outcome unset) and ends: a function pointer and its context,
/// as Logger. It runs on the calling thread; it must not throw.
class TraceHook {
 public:
  using Fn = void (*)(void* context, const StoreCall& call) noexcept;

  TraceHook() noexcept = default;
  TraceHook(Fn fn, void* context) noexcept : fn_(fn), context_(context) {}

  [[nodiscard]] explicit operator bool() const noexcept { return fn_ != nullptr; }
  void operator()(const StoreCall& call) const noexcept {
    if (fn_ != nullptr) fn_(context_, call);
  }

 private:
  Fn fn_ = nullptr;
  void* context_ = nullptr;
};

template <ServerStorage Inner>
class Metered {
 public:
  /// The store's name in events and metrics: the inner store's.
  static constexpr std::string_view store_name = detail::store_name<Inner>();
  using payload_type = typename Inner::payload_type;
  using inner_type = Inner;
  /// Text only when the inner store keeps text (TextStorage).
  static constexpr bool text_payload = TextStorage<Inner>;

  struct Options {
    /// Told at the beginning and end of each call (unset: nothing is told).
    TraceHook trace;
    /// One call in this many is timed for the latency histogram (at least 1: every call).
    unsigned time_one_in = 4;
  };

  explicit Metered(Inner& inner, Options options = {}) : inner_(&inner), options_(std::move(options)) {
    if (options_.time_one_in == 0) throw ConfigurationError("Metered: Options::time_one_in must be at least 1");
  }
  Metered(const Metered&) = delete;
  Metered& operator=(const Metered&) = delete;

  [[nodiscard]] std::optional<Record<payload_type>> load(std::string_view key) {
    return call(
        StoreOperation::load, [&] { return inner_->load(key); },
        [](const auto& record) { return record ? CallOutcome::hit : CallOutcome::miss; });
  }

  [[nodiscard]] bool create(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return call(
        StoreOperation::create, [&] { return inner_->create(key, payload, expires_at); }, written_or_refused);
  }

  [[nodiscard]] bool update(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return call(
        StoreOperation::update, [&] { return inner_->update(key, payload, expires_at); }, written_or_refused);
  }

  [[nodiscard]] CasResult update_if(std::string_view key, const payload_type& payload, TimePoint expires_at,
                                    const payload_type& expected) requires requirement::storage_update_if<Inner> {
    return call(
        StoreOperation::update_if, [&] { return inner_->update_if(key, payload, expires_at, expected); },
        [](CasResult r) {
          return r == CasResult::written   ? CallOutcome::written
                 : r == CasResult::missing ? CallOutcome::refused
                                           : CallOutcome::conflict;
        });
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    return call(
        StoreOperation::touch, [&] { return inner_->touch(key, expires_at); }, written_or_refused);
  }

  void remove(std::string_view key) {
    call(
        StoreOperation::remove,
        [&] {
          inner_->remove(key);
          return true;
        },
        done);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    return call(
        StoreOperation::exists, [&] { return inner_->exists(key); }, done);
  }

  std::size_t clear_expired() {
    return call(
        StoreOperation::clear_expired, [&] { return static_cast<std::size_t>(inner_->clear_expired()); }, done);
  }

  // The per-user index (user_index.hpp), when the inner store keeps it.

  [[nodiscard]] IndexOutcome index_session(std::string_view user_id, std::string_view key,
                                           const SessionDetails& details,
                                           const UserSessionLimit& limit) requires requirement::index_session<Inner> {
    return call(
        StoreOperation::index_session, [&] { return inner_->index_session(user_id, key, details, limit); },
        [](const IndexOutcome& o) { return o.refused ? CallOutcome::refused : CallOutcome::written; });
  }

  void unindex_session(std::string_view user_id, std::string_view key) requires requirement::unindex_session<Inner> {
    call(
        StoreOperation::unindex_session,
        [&] {
          inner_->unindex_session(user_id, key);
          return true;
        },
        done);
  }

  [[nodiscard]] std::vector<UserSession> user_sessions(std::string_view user_id,
                                                       TimePoint now) requires requirement::user_sessions<Inner> {
    return call(
        StoreOperation::user_sessions, [&] { return inner_->user_sessions(user_id, now); }, done);
  }

  [[nodiscard]] std::vector<PurgedSession> purge_expired(std::size_t batch,
                                                         TimePoint now) requires requirement::purge_expired<Inner> {
    return call(
        StoreOperation::purge_expired, [&] { return inner_->purge_expired(batch, now); }, done);
  }

  void for_each_session(const std::function<void(std::string_view, const payload_type&, TimePoint)>& fn) requires
      requirement::for_each_session<Inner> {
    call(
        StoreOperation::for_each_session,
        [&] {
          inner_->for_each_session(fn);
          return true;
        },
        done);
  }

  /// The figures so far (each one exact; see detail::StoreCounters for calls still running).
  [[nodiscard]] MetricsSnapshot snapshot() const noexcept { return counters_.snapshot(store_name); }

  [[nodiscard]] Inner& inner() const noexcept { return *inner_; }

 private:
  static CallOutcome written_or_refused(bool ok) noexcept { return ok ? CallOutcome::written : CallOutcome::refused; }
  static constexpr auto done = [](const auto&) noexcept { return CallOutcome::done; };

  template <class Run, class Judge>
  auto call(StoreOperation op, Run&& run, Judge&& judge) {
    // Which calls are timed: a per-thread countdown (no shared cache line between threads; no
    // division, which costs more than the rest of an untimed call), so the first call of each
    // thread is timed, then one in time_one_in; every call while a trace hook is set.
    thread_local unsigned calls_until_timed = 0;
    const bool timed = options_.trace || calls_until_timed == 0;
    calls_until_timed = (calls_until_timed == 0 ? options_.time_one_in : calls_until_timed) - 1;
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (options_.trace) options_.trace(StoreCall{store_name, op, std::nullopt, {}});
    try {
      auto result = run();
      finish(op, judge(result), timed, start);
      return result;
    } catch (const StorageTimeout&) {
      finish(op, CallOutcome::timeout, timed, start);
      throw;
    } catch (const StorageError&) {
      finish(op, CallOutcome::error, timed, start);
      throw;
    } catch (...) {
      finish(op, CallOutcome::exception, timed, start);
      throw;
    }
  }

  void finish(StoreOperation op, CallOutcome outcome, bool timed,
              std::chrono::steady_clock::time_point start) noexcept {
    counters_.count(op, outcome);
    if (!timed) return;
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
    counters_.time(op, elapsed);
    if (options_.trace) options_.trace(StoreCall{store_name, op, outcome, elapsed});
  }

  Inner* inner_;
  Options options_;
  detail::StoreCounters counters_;
};

}  // namespace sessions
