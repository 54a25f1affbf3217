// expect: expiry policy lacks: expire_at_browser_close(const sessions::Data&, const sessions::Settings&) -> bool
// An expiry policy with everything except expire_at_browser_close() must be rejected with the
// missing requirement named.
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct ByteStore {
  using payload_type = std::string;
  std::optional<sessions::Record<std::string>> load(std::string_view) { return std::nullopt; }
  bool create(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool update(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool touch(std::string_view, sessions::TimePoint) { return true; }
  void remove(std::string_view) {}
  bool exists(std::string_view) { return false; }
  std::size_t clear_expired() { return 0; }
};

struct NoBrowserCloseExpiry {
  std::chrono::seconds expiry_age(const sessions::Data&, const sessions::Settings& settings,
                                  sessions::TimePoint) const {
    return settings.cookie_age;
  }
  // no expire_at_browser_close(const sessions::Data&, const sessions::Settings&) -> bool
  bool refresh_on_access(const sessions::Settings&) const { return false; }
  void on_create(sessions::Data&, sessions::TimePoint) const {}
};

// The case is precise: the store and serializer are complete and expire_at_browser_close is all
// the expiry policy misses.
namespace req = sessions::requirement;
static_assert(sessions::ByteStorage<ByteStore> && sessions::Serializer<sessions::JsonSerializer>);
static_assert(req::expiry_age<NoBrowserCloseExpiry> && !req::expiry_browser_close<NoBrowserCloseExpiry> &&
              req::expiry_refresh_on_access<NoBrowserCloseExpiry> && req::expiry_on_create<NoBrowserCloseExpiry>);

}  // namespace

int main() {
  ByteStore store;
  sessions::Session<ByteStore, sessions::JsonSerializer, NoBrowserCloseExpiry> session{store};
  static_cast<void>(session);
}
