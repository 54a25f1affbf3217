// expect: storage policy lacks: create(std::string_view key, const payload_type&, sessions::TimePoint expires_at) -> bool
// A storage policy with every operation except create() must be rejected, and the compiler's
// message must name create() with its signature (not print a wall of template errors).
#include <sessions/sessions.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct NoCreateStore {
  using payload_type = std::string;
  std::optional<sessions::Record<std::string>> load(std::string_view) { return std::nullopt; }
  // no create(std::string_view, const payload_type&, sessions::TimePoint) -> bool
  bool update(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool touch(std::string_view, sessions::TimePoint) { return true; }
  void remove(std::string_view) {}
  bool exists(std::string_view) { return false; }
  std::size_t clear_expired() { return 0; }
};

// The case is precise: create is the only requirement the store misses.
namespace req = sessions::requirement;
static_assert(req::storage_load<NoCreateStore> && !req::storage_create<NoCreateStore> &&
              req::storage_update<NoCreateStore> && req::storage_touch<NoCreateStore> &&
              req::storage_remove<NoCreateStore> && req::storage_exists<NoCreateStore> &&
              req::storage_clear_expired<NoCreateStore>);

}  // namespace

int main() {
  NoCreateStore store;
  sessions::Session<NoCreateStore> session{store};
  static_cast<void>(session);
}
