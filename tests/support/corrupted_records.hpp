#pragma once
// Corrupted stored records: flip bits of a session's stored bytes behind the store's back (a file,
// an SQLite row, a Redis value) and open the session through the middleware, as a request would.
// The documented result (Django's): an empty session and a "Session data corrupted" line on the
// security logger (category sessions.security.SuspiciousSession), never an exception or a crash;
// the next save writes a fresh record under the same key. Records are in Django's signed format
// (DjangoSignedSerializer, what the example site and a shared Django deployment use), so every
// flipped bit breaks the signature: a corrupted record is never read as other data.

#include <sessions/sessions.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

namespace fault_test {

inline constexpr std::string_view kCorruptionSecret = "corruption test secret, never used in production";

struct FlipCounts {
  int flips = 0;
  int empty_and_logged = 0;  // the documented result
  int unchanged = 0;         // read as the original data (a flip the format ignores)
  int wrong = 0;             // read as some other data, or the log line missing: a bug
  int thrown = 0;            // an exception escaped: a bug
  std::vector<std::string> problems{};
};

/// Writes a session with known data through `store`, then for each byte of the stored record from
/// `first_byte` on (at most `max_positions` of them, spread evenly) and each bit mask of `masks`,
/// writes the flipped record with `write_raw(key, bytes)` and opens the session. `read_raw(key)`
/// gives the stored bytes.
template <class Store>
FlipCounts flip_stored_bytes(Store& store, std::function<std::string(const std::string&)> read_raw,
                             std::function<void(const std::string&, const std::string&)> write_raw,
                             std::size_t first_byte = 0, std::size_t max_positions = 120,
                             std::vector<unsigned char> masks = {0x01, 0x20, 0x80}) {
  using SessionT = sessions::Session<Store, sessions::DjangoSignedSerializer>;
  test_support::LogCapture log;
  sessions::Settings settings;
  settings.logger = log.logger();
  const sessions::Middleware<SessionT> middleware(store, settings,
                                                  sessions::DjangoSignedSerializer{std::string(kCorruptionSecret)});
  const sessions::Data data = {{"user", "alice"}, {"cart", {1, 2, 3}}, {"flag", true}};
  std::string key;
  {
    SessionT s = middleware.open("");
    s.update(data);
    for (const auto& h : middleware.finish(s, 200)) (void)h;
    key = *s.session_key();
  }
  const std::string original = read_raw(key);
  FlipCounts counts;
  const std::size_t positions = original.size() > first_byte ? original.size() - first_byte : 0;
  const std::size_t step = positions > max_positions ? positions / max_positions : 1;
  for (std::size_t i = first_byte; i < original.size(); i += step) {
    for (const unsigned char mask : masks) {
      std::string bad = original;
      bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ mask);
      write_raw(key, bad);
      const std::size_t lines_before = [&] {
        std::lock_guard lock(log.mutex);
        return log.lines.size();
      }();
      ++counts.flips;
      try {
        SessionT s = middleware.open("sessionid=" + key);
        const sessions::Data loaded = s.data();
        bool logged = false;
        {
          std::lock_guard lock(log.mutex);
          for (std::size_t n = lines_before; n < log.lines.size(); ++n) {
            logged = logged || (log.lines[n].category == "sessions.security.SuspiciousSession" &&
                                log.lines[n].message.find("Session data corrupted") != std::string::npos);
          }
        }
        if (loaded.empty() && logged) {
          ++counts.empty_and_logged;
        } else if (loaded == data) {
          ++counts.unchanged;
        } else {
          ++counts.wrong;
          counts.problems.push_back("byte " + std::to_string(i) + " ^ " + std::to_string(mask) + ": " + loaded.dump() +
                                    (logged ? " (logged)" : " (not logged)"));
        }
      } catch (const std::exception& e) {
        ++counts.thrown;
        counts.problems.push_back("byte " + std::to_string(i) + ": threw " + e.what());
      }
    }
  }
  // A request on the corrupted record goes on with an empty session under the same key; its save
  // replaces the record with one that reads back.
  try {
    SessionT s = middleware.open("sessionid=" + key);
    s.set("after", "corruption");
    bool same_key = false;
    for (const auto& h : middleware.finish(s, 200)) {
      if (h.name == "Set-Cookie" && h.value.rfind("sessionid=" + key + ";", 0) == 0) same_key = true;
    }
    SessionT again = middleware.open("sessionid=" + key);
    if (!same_key || again.data() != sessions::Data{{"after", "corruption"}}) {
      counts.problems.push_back("the save after the corruption did not write a fresh record under the same key");
    }
  } catch (const std::exception& e) {
    counts.problems.push_back(std::string("the save after the corruption threw: ") + e.what());
  }
  return counts;
}

/// The documented result for every flip: at least 300 of them, each an empty session and a log line.
inline void check_every_flip_detected(const FlipCounts& counts) {
  for (const auto& p : counts.problems) UNSCOPED_INFO(p);
  INFO(counts.flips << " flips: " << counts.empty_and_logged << " empty and logged, " << counts.unchanged
                    << " unchanged, " << counts.wrong << " wrong, " << counts.thrown << " thrown");
  CHECK(counts.flips >= 300);
  CHECK(counts.empty_and_logged == counts.flips);
  CHECK(counts.problems.empty());
}

}  // namespace fault_test
