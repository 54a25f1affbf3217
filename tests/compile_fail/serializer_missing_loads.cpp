// expect: serializer policy lacks: loads(std::string_view) -> sessions::Data
// A serializer with dumps() but no loads() must be rejected with the missing requirement named.
// The store keeps bytes (payload_type std::string), so the serializer is certainly needed.
#include <sessions/sessions.hpp>

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

struct DumpsOnlySerializer {
  std::string dumps(const sessions::Data& data) const { return data.dump(); }
  // no loads(std::string_view) -> sessions::Data
};

// The case is precise: the store is complete and loads is all the serializer misses.
static_assert(sessions::ByteStorage<ByteStore>);
static_assert(sessions::requirement::serializer_dumps<DumpsOnlySerializer> &&
              !sessions::requirement::serializer_loads<DumpsOnlySerializer>);

}  // namespace

int main() {
  ByteStore store;
  sessions::Session<ByteStore, DumpsOnlySerializer> session{store};
  static_cast<void>(session);
}
