#pragma once
// How the library reports what it does not throw: tampered data (Django logs it on
// `django.security.SuspiciousSession`), a cache outage it survived, a store it could not reach.
// Messages never contain a secret or a whole session key.

#include <cstdio>
#include <string_view>

namespace sessions {

enum class LogLevel { debug, info, warning, error };

[[nodiscard]] constexpr std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "unknown";
}

/// A log sink: a function pointer and its context, so that logging costs no allocation and the
/// silent path costs one test. The default writes warnings and errors to stderr.
class Logger {
 public:
  using Fn = void (*)(void* context, LogLevel level, std::string_view category, std::string_view message);

  Logger() noexcept = default;
  Logger(Fn fn, void* context) noexcept : fn_(fn), context_(context) {}

  /// A logger that drops everything.
  [[nodiscard]] static Logger silent() noexcept {
    return Logger([](void*, LogLevel, std::string_view, std::string_view) {}, nullptr);
  }

  void operator()(LogLevel level, std::string_view category, std::string_view message) const {
    if (fn_ != nullptr) {
      fn_(context_, level, category, message);
    } else if (level >= LogLevel::warning) {
      std::fprintf(stderr, "sessions [%.*s] %.*s: %.*s\n", static_cast<int>(to_string(level).size()),
                   to_string(level).data(), static_cast<int>(category.size()), category.data(),
                   static_cast<int>(message.size()), message.data());
    }
  }

 private:
  Fn fn_ = nullptr;
  void* context_ = nullptr;
};

/// The part of a session key that may appear in a log: enough to correlate, too little to use.
[[nodiscard]] inline std::string_view loggable_key_prefix(std::string_view key) noexcept {
  return key.substr(0, key.size() < 6 ? key.size() : 6);
}

}  // namespace sessions
