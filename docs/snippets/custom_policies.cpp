// docs/writing-policies.md: a serializer and an expiry policy written from scratch, used with a
// library store. Run by CTest (docs_snippet_custom_policies).
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;

// A serializer: session data as CBOR (RFC 8949), smaller than JSON for numbers and nested data.
struct CborSerializer {
  // dumps(loads(b)) == b for bytes that dumps() wrote: Session may fingerprint the stored bytes
  // instead of serializing again to notice changes. Leave it out (or false) when that is not so,
  // e.g. when the bytes carry a timestamp or a random nonce.
  static constexpr bool canonical = true;

  std::string dumps(const sessions::Data& data) const {
    const std::vector<std::uint8_t> bytes = sessions::Data::to_cbor(data);
    return std::string(bytes.begin(), bytes.end());
  }
  sessions::Data loads(std::string_view bytes) const {
    sessions::Data data = sessions::Data::from_cbor(bytes.begin(), bytes.end(), true, false);
    if (data.is_discarded() || !data.is_object()) throw sessions::DecodeError("not a CBOR session");
    return data;
  }
};

// An expiry policy: visitors who are not logged in get an hour; a session with a "user" gets
// SESSION_COOKIE_AGE. set_expiry() still wins, as in Django (DjangoExpiry reads _session_expiry).
struct ShortForAnonymous {
  std::chrono::seconds anonymous{3600};

  std::chrono::seconds expiry_age(const sessions::Data& data, const sessions::Settings& settings,
                                  sessions::TimePoint modification) const {
    if (data.contains(sessions::kSessionExpiryKey) || data.contains("user")) {
      return sessions::DjangoExpiry{}.expiry_age(data, settings, modification);
    }
    return anonymous;
  }
  bool expire_at_browser_close(const sessions::Data& data, const sessions::Settings& settings) const {
    return sessions::DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  // Django's rule: only a request that saves moves the expiry. True would touch the record (and
  // re-send the cookie) on every request that reads the session, as sessions::Idle does.
  bool refresh_on_access(const sessions::Settings&) const { return false; }
  // Called when a session gets its key; sessions::Absolute stamps the creation time here.
  void on_create(sessions::Data&, sessions::TimePoint) const {}
};

using SessionT = sessions::Session<sessions::MemoryStore, CborSerializer, ShortForAnonymous>;
static_assert(sessions::Serializer<CborSerializer> && sessions::ExpiryPolicy<ShortForAnonymous>);

int main() {
  sessions::ManualClock clock;
  sessions::Settings settings;
  settings.clock = sessions::Clock(clock);
  sessions::MemoryStore store{sessions::Clock(clock)};

  SessionT visitor{store, settings};
  visitor.set("num_visits", 1);
  visitor.save();
  SessionT member{store, settings};
  member.set("user", "ann");
  member.save();

  const bool ages = visitor.get_expiry_age() == 3600 && member.get_expiry_age() == settings.cookie_age.count();
  clock.advance(2h);
  const bool anonymous_gone = !store.exists(*visitor.session_key());
  SessionT again{store, *member.session_key(), settings};
  const bool member_kept = again.get("user", "") == "ann";

  std::printf("ages %d, anonymous session ended %d, member kept %d\n", ages, anonymous_gone, member_kept);
  return ages && anonymous_gone && member_kept ? 0 : 1;
}
