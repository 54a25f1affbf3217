#pragma once
// The store convention's shared pieces (docs/writing-policies.md, "The convention the library's
// stores follow"): every store has a nested Options with a Clock and a Logger, a static
// options_from_url(url, base), a constructor from a URL that takes the clock and the logger
// besides, one validation of sizes and timeouts, and one error format, built on these.

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../../log.hpp"
#include "../url.hpp"

namespace sessions::detail {

/// `options` with its clock and logger replaced.
template <class Options>
[[nodiscard]] Options with_clock_and_logger(Options options, Clock clock, Logger logger) {
  options.clock = clock;
  options.logger = logger;
  return options;
}

/// The one rule for a store's timeouts (a wait for a lock, a connection, an answer): positive, or
/// a ConfigurationError naming the store and the option. Clamping 0 to something small instead
/// would hide a configuration mistake behind a store that fails under the first load.
inline void require_positive(std::string_view store, std::string_view option, std::chrono::milliseconds value) {
  if (value > std::chrono::milliseconds::zero()) return;
  throw ConfigurationError(std::string(store) + ": " + std::string(option) + " must be positive (got " +
                           std::to_string(value.count()) + " ms)");
}

/// The one rule for a store's sizes and counts (connections, bytes, rows per batch): at least 1,
/// or a ConfigurationError naming the store and the option.
inline void require_at_least_one(std::string_view store, std::string_view option, std::size_t value) {
  if (value >= 1) return;
  throw ConfigurationError(std::string(store) + ": " + std::string(option) + " must be at least 1");
}

/// parse_url(text) for `store`: a ConfigurationError unless the scheme is one of `schemes` (the
/// message names the first as the one to write).
[[nodiscard]] inline Url parse_store_url(std::string_view store, std::string_view text,
                                         std::initializer_list<std::string_view> schemes) {
  Url url = parse_url(text);
  for (const std::string_view scheme : schemes) {
    if (url.scheme == scheme) return url;
  }
  throw ConfigurationError(std::string(store) + ": the URL " + url.redacted() + " does not start with " +
                           std::string(*schemes.begin()) + ":");
}

/// The path a URL of a local file or directory names: `scheme:///absolute`, `scheme:/absolute`,
/// `scheme:relative` or `scheme://relative/path` (the "host" is then the first segment; an
/// authority cannot name a relative path otherwise). A user, a password, a port or a host list is
/// a ConfigurationError, and so is an empty path.
[[nodiscard]] inline std::string url_local_path(std::string_view store, const Url& url) {
  const std::string where = std::string(store) + ": the URL " + url.redacted();
  if (url.username || url.password) throw ConfigurationError(where + " has a user or password; a local file has none");
  std::string path = url.path;
  if (!url.hosts.empty()) {
    if (url.hosts.size() != 1 || url.hosts.front().port || url.hosts.front().ipv6) {
      throw ConfigurationError(where + " names a server; write " + url.scheme + ":///absolute/path or " + url.scheme +
                               "://relative/path");
    }
    path = url.hosts.front().name + url.path;
  }
  if (path.empty() || path == "/") throw ConfigurationError(where + " names no path");
  return path;
}

/// `Store::op: what (where, session abcd...)`: every store's error format. `where` is the server
/// (host:port, a host list, a database file, a directory; empty for a store that has none, such
/// as CachedStore); the session key, when there is one, is shortened by loggable_key_prefix() so
/// that a message never carries a whole key. Parts that are empty are left out.
[[nodiscard]] inline std::string store_message(std::string_view store, std::string_view op, std::string_view where,
                                               std::string_view key, std::string_view what) {
  std::string out(store);
  out += "::";
  out += op;
  out += ": ";
  out += what;
  if (where.empty() && key.empty()) return out;
  out += " (";
  out += where;
  if (!key.empty()) {
    if (!where.empty()) out += ", ";
    out += "session ";
    out += loggable_key_prefix(key);
    out += "...";
  }
  out += ')';
  return out;
}

}  // namespace sessions::detail
