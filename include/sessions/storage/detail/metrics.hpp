#pragma once
// The mechanics of Metered<Inner> (storage/metered.hpp): lock-free counters and latency buckets,
// their snapshot, and the Prometheus text exposition format (version 0.0.4) they are written in.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace sessions {

/// The operations of a server store that Metered counts: the record operations, then those of
/// the per-user index (user_index.hpp), which a store without the index never calls.
enum class StoreOperation : std::uint8_t {
  load,
  create,
  update,
  update_if,
  touch,
  remove,
  exists,
  clear_expired,
  index_session,
  unindex_session,
  user_sessions,
  purge_expired,
  for_each_session,
};
inline constexpr std::size_t kStoreOperationCount = 13;

[[nodiscard]] constexpr std::string_view to_string(StoreOperation op) noexcept {
  constexpr std::array<std::string_view, kStoreOperationCount> names{
      "load",          "create",        "update",          "update_if",     "touch",
      "remove",        "exists",        "clear_expired",   "index_session", "unindex_session",
      "user_sessions", "purge_expired", "for_each_session"};
  return names[static_cast<std::size_t>(op)];
}

/// How one store call ended. `done` is the answer of operations that have only one (remove,
/// exists, clear_expired and the index's but index_session); the others say which answer they
/// gave (index_session: written, or refused by the user's session limit).
enum class CallOutcome : std::uint8_t {
  done,
  hit,        // load found the session
  miss,       // load found nothing (unknown or expired)
  written,    // create, update, update_if, touch, index_session wrote
  refused,    // create: the key exists; update, touch, update_if: the session is gone;
              // index_session: the user's session limit refused the session
  conflict,   // update_if: another request changed the session
  timeout,    // StorageTimeout thrown
  error,      // another StorageError (server down, I/O error, ...)
  exception,  // anything else thrown
};
inline constexpr std::size_t kCallOutcomeCount = 9;

[[nodiscard]] constexpr std::string_view to_string(CallOutcome outcome) noexcept {
  constexpr std::array<std::string_view, kCallOutcomeCount> names{"done",     "hit",     "miss",  "written",  "refused",
                                                                  "conflict", "timeout", "error", "exception"};
  return names[static_cast<std::size_t>(outcome)];
}

/// Upper bounds of the latency buckets, in seconds (Prometheus' `le`; the last bucket, +Inf, is
/// implied): from 10 µs (an in-memory store) to 2.5 s (a store's timeouts).
inline constexpr std::array<double, 12> kLatencyBounds{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                                       0.001,   0.0025,   0.005,   0.01,   0.1,     2.5};

/// One operation's figures at one moment.
struct OperationSnapshot {
  std::array<std::uint64_t, kCallOutcomeCount> outcomes{};  // calls by outcome
  // The timed calls (Metered::Options::time_one_in) by latency: not cumulative; the last bucket
  // holds those above every bound.
  std::array<std::uint64_t, kLatencyBounds.size() + 1> latency_buckets{};
  std::uint64_t latency_sum_ns = 0;

  [[nodiscard]] std::uint64_t calls() const noexcept {
    std::uint64_t n = 0;
    for (const std::uint64_t c : outcomes) n += c;
    return n;
  }
  [[nodiscard]] std::uint64_t count(CallOutcome outcome) const noexcept {
    return outcomes[static_cast<std::size_t>(outcome)];
  }
};

/// Every operation's figures of one store at one moment (Metered::snapshot()).
struct MetricsSnapshot {
  std::string_view store;
  std::array<OperationSnapshot, kStoreOperationCount> operations{};

  [[nodiscard]] const OperationSnapshot& operator[](StoreOperation op) const noexcept {
    return operations[static_cast<std::size_t>(op)];
  }
};

namespace detail {

/// The live counters: relaxed atomics (each figure is exact; a snapshot taken while calls run
/// may see one call's outcome before its latency, never a torn number).
class StoreCounters {
 public:
  void count(StoreOperation op, CallOutcome outcome) noexcept {
    operations_[static_cast<std::size_t>(op)].outcomes[static_cast<std::size_t>(outcome)].fetch_add(
        1, std::memory_order_relaxed);
  }

  void time(StoreOperation op, std::chrono::nanoseconds elapsed) noexcept {
    Operation& o = operations_[static_cast<std::size_t>(op)];
    const double seconds = std::chrono::duration<double>(elapsed).count();
    std::size_t bucket = 0;
    while (bucket < kLatencyBounds.size() && seconds > kLatencyBounds[bucket]) ++bucket;
    o.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    o.sum_ns.fetch_add(static_cast<std::uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count()),
                       std::memory_order_relaxed);
  }

  [[nodiscard]] MetricsSnapshot snapshot(std::string_view store) const noexcept {
    MetricsSnapshot out{store, {}};
    for (std::size_t i = 0; i < kStoreOperationCount; ++i) {
      const Operation& o = operations_[i];
      OperationSnapshot& s = out.operations[i];
      for (std::size_t k = 0; k < kCallOutcomeCount; ++k) s.outcomes[k] = o.outcomes[k].load(std::memory_order_relaxed);
      for (std::size_t b = 0; b < o.buckets.size(); ++b)
        s.latency_buckets[b] = o.buckets[b].load(std::memory_order_relaxed);
      s.latency_sum_ns = o.sum_ns.load(std::memory_order_relaxed);
    }
    return out;
  }

 private:
  struct Operation {
    std::array<std::atomic<std::uint64_t>, kCallOutcomeCount> outcomes{};
    std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  std::array<Operation, kStoreOperationCount> operations_{};
};

/// A label value as the text format wants it: backslash, double quote and newline escaped.
inline void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

/// A number as the text format wants it, with `digits` significant digits.
inline void append_number(std::string& out, double value, int digits) {
  std::array<char, 40> buffer{};
  const int n = std::snprintf(buffer.data(), buffer.size(), "%.*g", digits, value);
  out.append(buffer.data(), static_cast<std::size_t>(n));
}

inline void append_labels(std::string& out, std::string_view store, StoreOperation op) {
  out += "{store=\"";
  append_label_value(out, store);
  out += "\",operation=\"";
  out += to_string(op);
  out += '"';
}

}  // namespace detail

/// The snapshots in Prometheus' text exposition format (version 0.0.4): a counter
/// `sessions_store_calls_total{store,operation,outcome}` and a histogram
/// `sessions_store_call_duration_seconds{store,operation}` of the timed calls; operations never
/// called are left out.
/// Serve it as `text/plain; version=0.0.4`.
template <class Snapshots>
[[nodiscard]] std::string to_prometheus(const Snapshots& snapshots) {
  std::string out;
  out += "# HELP sessions_store_calls_total Session store calls, by operation and outcome.\n";
  out += "# TYPE sessions_store_calls_total counter\n";
  for (const MetricsSnapshot& m : snapshots) {
    for (std::size_t i = 0; i < kStoreOperationCount; ++i) {
      const OperationSnapshot& s = m.operations[i];
      for (std::size_t k = 0; k < kCallOutcomeCount; ++k) {
        if (s.outcomes[k] == 0) continue;
        out += "sessions_store_calls_total";
        detail::append_labels(out, m.store, static_cast<StoreOperation>(i));
        out += ",outcome=\"";
        out += to_string(static_cast<CallOutcome>(k));
        out += "\"} ";
        out += std::to_string(s.outcomes[k]);
        out += '\n';
      }
    }
  }
  out += "# HELP sessions_store_call_duration_seconds Session store call latency.\n";
  out += "# TYPE sessions_store_call_duration_seconds histogram\n";
  for (const MetricsSnapshot& m : snapshots) {
    for (std::size_t i = 0; i < kStoreOperationCount; ++i) {
      const OperationSnapshot& s = m.operations[i];
      // The histogram's count is its buckets' total, so that it is consistent in itself even when
      // the snapshot was taken while calls ran (the counter above may then differ by those calls).
      std::uint64_t calls = 0;
      for (const std::uint64_t n : s.latency_buckets) calls += n;
      if (calls == 0) continue;
      const auto op = static_cast<StoreOperation>(i);
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b <= kLatencyBounds.size(); ++b) {
        cumulative += s.latency_buckets[b];
        out += "sessions_store_call_duration_seconds_bucket";
        detail::append_labels(out, m.store, op);
        out += ",le=\"";
        if (b < kLatencyBounds.size()) {
          detail::append_number(out, kLatencyBounds[b], 6);
        } else {
          out += "+Inf";
        }
        out += "\"} ";
        out += std::to_string(b < kLatencyBounds.size() ? cumulative : calls);
        out += '\n';
      }
      out += "sessions_store_call_duration_seconds_sum";
      detail::append_labels(out, m.store, op);
      out += "} ";
      detail::append_number(out, static_cast<double>(s.latency_sum_ns) * 1e-9, 12);
      out += "\nsessions_store_call_duration_seconds_count";
      detail::append_labels(out, m.store, op);
      out += "} ";
      out += std::to_string(calls);
      out += '\n';
    }
  }
  return out;
}

}  // namespace sessions
