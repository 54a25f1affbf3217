#pragma once
// sessionctl's commands over the per-user index (sessions/user_index.hpp, sessions/lifecycle.hpp):
//
//   sessionctl user-sessions --store URL USER_ID
//       the user's live sessions, oldest first, one line each and nothing else on stdout (no line
//       at all when the user has none). A line is six fields separated by one tab:
//
//         KEY_PREFIX  CREATED  LAST_SEEN  EXPIRES  USER_AGENT  ADDRESS
//         k3v9x0qa    2026-12-02T13:56:55Z  2026-12-02T14:02:10Z  2026-12-16T14:02:10Z  Mozilla/5.0 (X11; ...)  127.0.0.1
//
//       KEY_PREFIX is the first 8 characters of the session key (never the whole key: a key is a
//       password to its session); the times are ISO 8601 in UTC, to the second; USER_AGENT and
//       ADDRESS are what the application recorded, `-` when it recorded nothing, with any control
//       character or backslash written as \xHH so that a line stays one line of six fields.
//   sessionctl revoke-user --store URL USER_ID [--except KEY]
//       deletes every session of the user but KEY (a "log out everywhere else"), prints how many.
//   sessionctl reindex --store URL [--key KEY]
//       builds the index from the sessions already stored (ones written before the index was
//       kept, or by Django itself, whose data the secret key reads), prints "indexed N" and, when
//       some records could not be read with the key, "skipped N" on a second line.
//   sessionctl purge --store URL --batch N
//       removes the expired sessions and their index entries, at most N per step (one short
//       transaction each on SQL stores), until none is left; prints how many.
//
// The store must keep the per-user index: one that cannot list its sessions (memcached, and any
// store this sessionctl opens without it) is refused at run time, since the URL picks the store
// then: "Unsupported: ..." on stderr, exit 1.

#include <sessions/lifecycle.hpp>
#include <sessions/purger.hpp>
#include <sessions/user_index.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <string_view>
#include <type_traits>

#include "store_commands.hpp"

namespace sessionctl {

/// The store cannot do what the command asks (no per-user index): exit 1.
class Unsupported : public sessions::Error {
 public:
  using sessions::Error::Error;
};

/// `2026-12-02T13:56:55Z`: ISO 8601 in UTC, to the second.
[[nodiscard]] inline std::string iso8601_utc(sessions::TimePoint when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return "-";
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return n == 0 ? std::string("-") : std::string(text, n);
}

/// A recorded field as one tab-free, newline-free word: `-` when empty; control characters, DEL
/// and backslash as \xHH (the text is the client's, shown, never trusted).
[[nodiscard]] inline std::string listing_field(std::string_view text) {
  if (text.empty()) return "-";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '\\') {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

[[nodiscard]] inline std::string listing_line(const sessions::UserSession& s) {
  return std::string(s.key_prefix()) + '\t' + iso8601_utc(s.details.created) + '\t' + iso8601_utc(s.details.last_seen) +
         '\t' + iso8601_utc(s.details.expires_at) + '\t' + listing_field(s.details.user_agent) + '\t' +
         listing_field(s.details.address);
}

/// Opens the store and calls `use(store)` when it keeps the per-user index; Unsupported otherwise.
template <class Use>
int with_index_store(std::string_view url, const sessions::Settings& settings, Use&& use) {
  return with_store(url, settings, [&](auto& store) -> int {
    using Store = std::remove_reference_t<decltype(store)>;
    if constexpr (sessions::UserIndexStorage<Store>) {
      return use(store);
    } else {
      throw Unsupported("the '" + sessions::url_scheme(url) + ":' store (" + std::string(Store::store_name) +
                        ") keeps no per-user index: it cannot list its sessions");
    }
  });
}

inline int user_sessions(std::string_view url, std::string_view user_id) {
  const sessions::Settings& settings = sessions::default_settings();
  return with_index_store(url, settings, [&](auto& store) {
    std::string out;
    for (const sessions::UserSession& s : sessions::user_sessions(store, user_id, settings.clock.now()))
      out += listing_line(s) + '\n';
    std::cout << out;
    return 0;
  });
}

inline int revoke_user(std::string_view url, std::string_view user_id, std::string_view except_key) {
  const sessions::Settings& settings = sessions::default_settings();
  return with_index_store(url, settings, [&](auto& store) {
    std::cout << sessions::revoke_user_sessions(store, user_id, except_key, settings) << '\n';
    return 0;
  });
}

inline int reindex(std::string_view url, const std::string& secret) {
  const sessions::Settings& settings = sessions::default_settings();
  const sessions::DjangoSignedSerializer serializer{secret};
  return with_index_store(url, settings, [&](auto& store) {
    const sessions::ReindexResult result = sessions::reindex(store, serializer, settings.clock.now());
    std::cout << "indexed " << result.indexed << '\n';
    if (result.skipped != 0) std::cout << "skipped " << result.skipped << '\n';
    return 0;
  });
}

inline int purge(std::string_view url, std::size_t batch) {
  const sessions::Settings& settings = sessions::default_settings();
  return with_index_store(url, settings, [&](auto& store) {
    using Store = std::remove_reference_t<decltype(store)>;
    sessions::PurgerOptions options;
    options.batch_size = batch;
    sessions::Purger<Store> purger{store, options, settings};
    std::cout << purger.run_once() << '\n';
    return 0;
  });
}

}  // namespace sessionctl
