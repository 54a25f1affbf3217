#pragma once
// A storage policy written by a user of the library: a std::map behind one mutex, with a count of
// the writes it took. Nothing in it comes from the library except the types in the signatures:
// any class with these members works with sessions::Session.

#include <sessions/clock.hpp>
#include <sessions/record.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace example {

class MapStore {
 public:
  using payload_type = std::string;  // keep the serializer's bytes

  explicit MapStore(sessions::Clock clock = {}) : clock_(clock) {}

  std::optional<sessions::Record<std::string>> load(std::string_view key) {
    std::lock_guard lock(mutex_);
    const auto it = live(key);
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }
  bool create(std::string_view key, const std::string& payload, sessions::TimePoint expires_at) {
    std::lock_guard lock(mutex_);
    if (live(key) != records_.end()) return false;
    records_.insert_or_assign(std::string(key), sessions::Record<std::string>{payload, expires_at});
    ++writes_;
    return true;
  }
  bool update(std::string_view key, const std::string& payload, sessions::TimePoint expires_at) {
    std::lock_guard lock(mutex_);
    const auto it = live(key);
    if (it == records_.end()) return false;
    it->second = {payload, expires_at};
    ++writes_;
    return true;
  }
  bool touch(std::string_view key, sessions::TimePoint expires_at) {
    std::lock_guard lock(mutex_);
    const auto it = live(key);
    if (it == records_.end()) return false;
    it->second.expires_at = expires_at;
    return true;
  }
  void remove(std::string_view key) {
    std::lock_guard lock(mutex_);
    const auto it = records_.find(key);
    if (it != records_.end()) records_.erase(it);
  }
  bool exists(std::string_view key) {
    std::lock_guard lock(mutex_);
    return live(key) != records_.end();
  }
  std::size_t clear_expired() {
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    return std::erase_if(records_, [now](const auto& kv) { return kv.second.expires_at <= now; });
  }

  std::size_t writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
  }

 private:
  using Map = std::map<std::string, sessions::Record<std::string>, std::less<>>;
  Map::iterator live(std::string_view key) {
    const auto it = records_.find(key);
    if (it == records_.end() || it->second.expires_at <= clock_.now()) return records_.end();
    return it;
  }

  sessions::Clock clock_;
  mutable std::mutex mutex_;
  Map records_;
  std::size_t writes_ = 0;
};

}  // namespace example
