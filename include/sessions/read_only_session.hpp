#pragma once
// ReadOnlySession: what a handler that only reads gets from Session::read_only(). Once taken, an
// unmodified session is never saved or re-sent by the middleware, whatever the settings say.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clock.hpp"
#include "data.hpp"
#include "expiry_query.hpp"

namespace sessions {

/// A read-only view of a session: everything a handler needs to read, nothing that writes.
template <class SessionT>
class ReadOnlySession {
 public:
  explicit ReadOnlySession(SessionT& session) noexcept : session_(&session) {}

  [[nodiscard]] Data get(std::string_view key) const { return session_->get(key); }
  template <class T>
  [[nodiscard]] auto get(std::string_view key, T&& fallback) const {
    return session_->get(key, std::forward<T>(fallback));
  }
  [[nodiscard]] bool contains(std::string_view key) const { return session_->contains(key); }
  [[nodiscard]] std::vector<std::string> keys() const { return session_->keys(); }
  [[nodiscard]] std::vector<Data> values() const { return session_->values(); }
  [[nodiscard]] std::vector<std::pair<std::string, Data>> items() const { return session_->items(); }
  [[nodiscard]] const Data& data() const { return session_->data(); }
  [[nodiscard]] bool test_cookie_worked() const { return session_->test_cookie_worked(); }
  [[nodiscard]] std::int64_t get_expiry_age() const { return session_->get_expiry_age(); }
  [[nodiscard]] std::int64_t get_expiry_age(const ExpiryQuery& query) const { return session_->get_expiry_age(query); }
  [[nodiscard]] TimePoint get_expiry_date() const { return session_->get_expiry_date(); }
  [[nodiscard]] TimePoint get_expiry_date(const ExpiryQuery& query) const { return session_->get_expiry_date(query); }
  [[nodiscard]] bool get_expire_at_browser_close() const { return session_->get_expire_at_browser_close(); }
  [[nodiscard]] const std::optional<std::string>& session_key() const noexcept { return session_->session_key(); }
  [[nodiscard]] bool is_empty() const noexcept { return session_->is_empty(); }

 private:
  SessionT* session_;
};

}  // namespace sessions
