#pragma once
// The client-side flow of a Session (Django's signed_cookies; our encrypted cookies): the data
// travels in the cookie, whose value plays the part of the session key. A save signs (or seals)
// the data into a new cookie value; nothing is kept on the server, so nothing can be revoked,
// touched or counted there.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../data.hpp"
#include "../errors.hpp"
#include "../expiry/arithmetic.hpp"
#include "../log.hpp"
#include "../session_key.hpp"
#include "../settings.hpp"
#include "limits.hpp"
#include "payload.hpp"
#include "session_state.hpp"

namespace sessions::detail {

template <class Storage, class SerializerT, class ExpiryT>
class ClientFlow : public SessionState<ClientFlow<Storage, SerializerT, ExpiryT>, Storage, SerializerT, ExpiryT> {
  using Base = SessionState<ClientFlow, Storage, SerializerT, ExpiryT>;

 public:
  static constexpr bool has_compare_and_set = false;

  using Base::Base;

  static void check_settings(const Settings& settings) {
    if (settings.lost_update == LostUpdate::last_write_wins) return;
    throw ConfigurationError(
        "Settings::lost_update is fail or merge, but the storage policy lacks update_if(std::string_view key, const "
        "payload_type&, sessions::TimePoint expires_at, const payload_type& expected) -> sessions::CasResult, the "
        "compare-and-set it needs (a cookie store cannot have one: each response carries its own copy of the "
        "session)");
  }

  [[nodiscard]] bool accepts_key(std::string_view key) const {
    return key.size() >= kMinSessionKeyLength && this->store_->accepts(key);
  }

  /// Nothing is kept on the server (as Django's signed_cookies).
  [[nodiscard]] static bool exists(std::string_view) noexcept { return false; }

  /// Cookies expire on their own.
  static std::size_t clear_expired(Storage&) noexcept { return 0; }

  void create() {
    (void)this->data_without_load();
    this->expiry_.on_create(this->own(), this->settings_->clock.now());
    this->modified_ = true;  // the cookie written at the response is the record
  }

  /// The new cookie value is the signed (or sealed) data, with a fresh timestamp.
  void save(bool /*must_create*/) {
    const bool is_new = !this->key_;
    encode();
    this->tell(is_new ? SessionEventKind::created : SessionEventKind::saved, "saved", *this->key_);
  }

  /// A cookie cannot be revoked: forget it and start over empty (Django's signed_cookies).
  void destroy(std::string_view reason, const std::string& user_id) {
    if (this->key_) this->tell_with_user(SessionEventKind::destroyed, reason, user_id);
    this->key_.reset();
    this->replace_with_empty();
    this->modified_ = true;
  }
  void destroy_other(std::string_view key) {
    if (this->key_ && *this->key_ == key) destroy("delete", this->event_user_id());
  }

  /// A new signature is all a cookie session can change.
  void cycle_key() {
    encode();
    this->tell(SessionEventKind::key_cycled, "cycle_key", *this->key_);
  }

  void touch() { save(false); }

  /// Decodes the cookie: empty data (and the session marked modified, so that the cookie is
  /// rewritten, as Django does) when it is invalid, expired by the expiry policy or over a limit.
  Loaded read_record(std::optional<std::uint64_t>& baseline, bool own_load) {
    baseline.reset();
    if (!this->key_) return Loaded{};
    const Settings& settings = *this->settings_;
    // Told by the session's own load only (an explicit load() reads without adopting).
    const auto refuse = [&](SessionEventKind kind, std::string_view reason) {
      if (own_load) this->tell(kind, reason, *this->key_);
    };
    try {
      const TimePoint now = settings.clock.now();
      ClientRecord record{};
      if constexpr (requirement::client_decode_shared<Storage>) {
        record = this->store_->decode_shared(*this->key_, settings, now);
      } else {
        record = this->store_->decode(*this->key_, settings, now);
      }
      const Data& data = record.value();
      // The expiry policy applies to cookies too (Django leaves set_expiry() unenforced for
      // signed cookies, ticket #19201): the cookie's signing time is the last modification.
      // Strictly past, as the signature's own max_age check (an age equal to it is valid).
      if (add_saturating(record.issued_at, this->expiry_.expiry_age(data, settings, record.issued_at)) < now) {
        refuse(SessionEventKind::expired, "past the expiry policy's age");
        this->modified_ = true;
        return Loaded{};
      }
      if (over_key_limit(settings, *this->key_, data) || over_node_limit(settings, *this->key_, data)) {
        refuse(SessionEventKind::rejected, "over a limit");
        this->modified_ = true;
        return Loaded{};
      }
      if (record.shared) return Loaded{Data::object(), std::move(record.shared)};
      return Loaded{std::move(record.data), nullptr};
    } catch (const Error& e) {
      // Django: a bad cookie gives an empty session that is written back (create()), under the
      // same key until then.
      settings.logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                      std::string("Session cookie rejected: ") + e.what());
      if (dynamic_cast<const SignatureExpired*>(&e) != nullptr) {
        refuse(SessionEventKind::expired, "signature expired");
      } else {
        refuse(SessionEventKind::rejected, "tampered or corrupted");
      }
      this->modified_ = true;
      return Loaded{};
    }
  }

 private:
  // The session's data signed (or sealed) into the cookie value, the new key.
  void encode() {
    const Data& data = this->read_data();
    check_key_limit(*this->settings_, data);
    check_node_limit(*this->settings_, data);
    this->key_ = this->store_->encode(data, *this->settings_, this->settings_->clock.now());
    this->modified_ = true;
    this->request_.key_issued = true;
  }
};

}  // namespace sessions::detail
