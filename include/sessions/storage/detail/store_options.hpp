#pragma once
// The store convention's shared pieces (docs/writing-policies.md, "The convention the library's
// stores follow"): every store has a nested Options with a Clock and a Logger, a static
// options_from_url(url, base), a constructor from a URL that takes the clock and the logger
// besides, and one error format, built on these.

#include <string>
#include <string_view>
#include <utility>

#include "../../clock.hpp"
#include "../../log.hpp"
#include "../../session_key.hpp"

namespace sessions::detail {

/// `options` with its clock and logger replaced.
template <class Options>
[[nodiscard]] Options with_clock_and_logger(Options options, Clock clock, Logger logger) {
  options.clock = clock;
  options.logger = logger;
  return options;
}

/// `Store::op: what (where, session abcd...)`: every store's error format. `where` is the server
/// (host:port, a host list, a database file, a directory); the session key, when there is one, is
/// shortened by loggable_key_prefix() so that a message never carries a whole key.
[[nodiscard]] inline std::string store_message(std::string_view store, std::string_view op, std::string_view where,
                                               std::string_view key, std::string_view what) {
  std::string out(store);
  out += "::";
  out += op;
  out += ": ";
  out += what;
  out += " (";
  out += where;
  if (!key.empty()) {
    out += ", session ";
    out += loggable_key_prefix(key);
    out += "...";
  }
  out += ')';
  return out;
}

}  // namespace sessions::detail
