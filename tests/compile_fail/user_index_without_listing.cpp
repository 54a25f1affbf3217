// expect: UserIndexed<Store>: the store lacks UserIndexStorage's index_session
// A server store that cannot list its sessions (as memcached cannot) must not be wrapped in
// UserIndexed: the compiler's message names the per-user index's first missing operation.
#include <sessions/sessions.hpp>
#include <sessions/user_indexed.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct NoListingStore {
  using payload_type = std::string;
  std::optional<sessions::Record<std::string>> load(std::string_view) { return std::nullopt; }
  bool create(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool update(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool touch(std::string_view, sessions::TimePoint) { return true; }
  void remove(std::string_view) {}
  bool exists(std::string_view) { return false; }
  std::size_t clear_expired() { return 0; }
};

static_assert(sessions::ServerStorage<NoListingStore> && !sessions::UserIndexStorage<NoListingStore>);

}  // namespace

int main() {
  sessions::UserIndexed<NoListingStore> store;
  sessions::Session<sessions::UserIndexed<NoListingStore>> session{store};
  static_cast<void>(session);
}
