// expect: storage policy lacks: touch(std::string_view key, sessions::TimePoint expires_at) -> bool
// A storage policy with every operation except touch() must be rejected, and the compiler's
// message must name touch() with its signature (not print a wall of template errors).
#include <sessions/sessions.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct NoTouchStore {
  using payload_type = std::string;
  std::optional<sessions::Record<std::string>> load(std::string_view) { return std::nullopt; }
  bool create(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool update(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  // no touch(std::string_view, sessions::TimePoint) -> bool
  void remove(std::string_view) {}
  bool exists(std::string_view) { return false; }
  std::size_t clear_expired() { return 0; }
};

// The case is precise: touch is the only requirement the store misses.
namespace req = sessions::requirement;
static_assert(req::storage_load<NoTouchStore> && req::storage_create<NoTouchStore> &&
              req::storage_update<NoTouchStore> && !req::storage_touch<NoTouchStore> &&
              req::storage_remove<NoTouchStore> && req::storage_exists<NoTouchStore> &&
              req::storage_clear_expired<NoTouchStore>);

}  // namespace

int main() {
  NoTouchStore store;
  sessions::Session<NoTouchStore> session{store};
  static_cast<void>(session);
}
