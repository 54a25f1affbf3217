#pragma once
// Time as the library sees it. Everything that needs "now" asks a Clock, so tests can drive time
// with a ManualClock instead of sleeping. The default Clock is the system clock; the check for a
// manual clock is a single pointer test, not a virtual call.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sessions {

using TimePoint = std::chrono::system_clock::time_point;

/// A clock that only moves when told to; for tests and simulations. Thread-safe.
class ManualClock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'700'000'000}})
      : ticks_(start.time_since_epoch().count()) {}

  [[nodiscard]] TimePoint now() const noexcept {
    return TimePoint{TimePoint::duration{ticks_.load(std::memory_order_acquire)}};
  }
  void set(TimePoint t) noexcept { ticks_.store(t.time_since_epoch().count(), std::memory_order_release); }
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) noexcept {
    ticks_.fetch_add(std::chrono::duration_cast<TimePoint::duration>(d).count(), std::memory_order_acq_rel);
  }

 private:
  std::atomic<TimePoint::duration::rep> ticks_;
};

/// The clock a store or a session reads: the system clock, or a ManualClock the caller owns
/// (which must outlive every object that holds this Clock).
class Clock {
 public:
  Clock() noexcept = default;
  explicit Clock(const ManualClock& manual) noexcept : manual_(&manual) {}

  [[nodiscard]] TimePoint now() const noexcept {
    return manual_ != nullptr ? manual_->now() : std::chrono::system_clock::now();
  }

 private:
  const ManualClock* manual_ = nullptr;
};

/// Whole seconds since the Unix epoch, floored (Django's int(time.time())).
[[nodiscard]] inline std::int64_t unix_seconds(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace sessions
