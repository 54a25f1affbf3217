#pragma once
// Django's message storage rules (django.contrib.messages.storage.base.BaseStorage), over a
// backend that loads and stores the list (session_storage.hpp, cookie_storage.hpp,
// fallback_storage.hpp). One MessageStorage per request, as Django makes one per request:
//
//   add(level, text, extra_tags)  recorded only when text is non-empty and level >= the minimum
//                                 level (MESSAGE_LEVEL, default INFO = 20); queued until update()
//   consume()                     Django's iteration: the stored messages then the queued ones;
//                                 marks the storage used, so update() keeps none of them
//   peek()                        the same list without marking anything (Django's len()/`in`)
//   update()                      the end of the request (Django's MessageMiddleware):
//                                   used      -> store only what was added after the iteration
//                                   added new -> store the old messages and the new ones
//                                   neither   -> leave the backend alone
//                                 returns the messages the backend could not hold
//
// Messages are consumed by showing them, exactly once, on whichever side (C++ or Django) shows
// them first. Not thread-safe: a request's object.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "message.hpp"

namespace sessions::messages {

/// What a backend's load() found. `messages` is nullopt when the backend holds nothing at all
/// (Django's None: the fallback storage stops there); `invalid` when it held something that did
/// not verify or decode (the cookie storage then deletes it at update()).
struct Loaded {
  std::optional<std::vector<Message>> messages;
  bool all_retrieved = true;
  bool invalid = false;
};

template <class Backend>
class MessageStorage {
 public:
  explicit MessageStorage(Backend backend, int minimum_level = default_minimum_level)
      : backend_(std::move(backend)), level_(minimum_level), default_level_(minimum_level) {}

  /// Django's add_message. True when the message was recorded.
  bool add(int level, std::string text, std::string extra_tags = {}, bool safe = false) {
    if (text.empty() || level < level_) return false;
    added_new_ = true;
    queued_.push_back(Message{level, std::move(text), std::move(extra_tags), safe});
    return true;
  }
  bool debug(std::string text, std::string extra_tags = {}) {
    return add(debug_level, std::move(text), std::move(extra_tags));
  }
  bool info(std::string text, std::string extra_tags = {}) {
    return add(info_level, std::move(text), std::move(extra_tags));
  }
  bool success(std::string text, std::string extra_tags = {}) {
    return add(success_level, std::move(text), std::move(extra_tags));
  }
  bool warning(std::string text, std::string extra_tags = {}) {
    return add(warning_level, std::move(text), std::move(extra_tags));
  }
  bool error(std::string text, std::string extra_tags = {}) {
    return add(error_level, std::move(text), std::move(extra_tags));
  }

  /// Iterates as Django does: every message, which will not be stored again.
  [[nodiscard]] const std::vector<Message>& consume() {
    used_ = true;
    std::vector<Message>& all = loaded();
    for (Message& m : queued_) all.push_back(std::move(m));
    queued_.clear();
    return all;
  }

  /// The messages consume() would give, leaving them in place.
  [[nodiscard]] std::vector<Message> peek() {
    std::vector<Message> all = loaded();
    all.insert(all.end(), queued_.begin(), queued_.end());
    return all;
  }

  [[nodiscard]] std::size_t size() { return loaded().size() + queued_.size(); }

  /// The minimum level recorded (Django's storage.level).
  [[nodiscard]] int level() const noexcept { return level_; }
  void set_level(int level) noexcept { level_ = level; }
  /// Back to the level given at construction (Django's `storage.level = None`).
  void reset_level() noexcept { level_ = default_level_; }

  /// Stores what Django's update(response) stores; returns what did not fit.
  std::vector<Message> update() {
    if (used_) {
      // A backend whose data was invalid must be rewritten (emptied) too: Django marks it used.
      return backend_.store(std::move(queued_), true);
    }
    if (added_new_) {
      std::vector<Message> all = loaded();
      all.insert(all.end(), queued_.begin(), queued_.end());
      return backend_.store(std::move(all), true);
    }
    return {};
  }

  [[nodiscard]] Backend& backend() noexcept { return backend_; }
  [[nodiscard]] const Backend& backend() const noexcept { return backend_; }

 private:
  std::vector<Message>& loaded() {
    if (!loaded_) {
      Loaded got = backend_.load();
      if (got.invalid) used_ = true;
      loaded_ = got.messages ? std::move(*got.messages) : std::vector<Message>{};
    }
    return *loaded_;
  }

  Backend backend_;
  std::vector<Message> queued_;
  std::optional<std::vector<Message>> loaded_;
  bool used_ = false;
  bool added_new_ = false;
  int level_;
  int default_level_;
};

}  // namespace sessions::messages
