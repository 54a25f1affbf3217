#pragma once
// DjangoSignedSerializer: the session_data format of Django's db, cached_db and file backends,
// `signing.dumps(data, compress=True, salt="django.contrib.sessions.SessionStore")`. With it a
// server store holds exactly what Django would, so a Django application with the same SECRET_KEY
// reads sessions this library wrote, and the reverse.
//
// As in Django, no max_age is applied: how long a stored session lives is the store's business
// (expire_date, the file's time, the cache TTL), not the signature's.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "../signing/dumps.hpp"
#include "../signing/signer.hpp"

namespace sessions {

/// Django's salt for stored session data: "django.contrib.sessions." + the SessionStore class name.
inline constexpr std::string_view kDjangoSessionStoreSalt = "django.contrib.sessions.SessionStore";

class DjangoSignedSerializer {
 public:
  /// Signing embeds a timestamp, so two encodings of the same data differ: the session layer
  /// must fingerprint the data, not these bytes.
  static constexpr bool canonical = false;

  struct Options {
    std::string secret_key;
    std::vector<std::string> fallback_keys{};
    std::string salt{kDjangoSessionStoreSalt};
    Clock clock{};
    std::size_t max_decompressed_size = 1 << 20;
  };

  explicit DjangoSignedSerializer(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : DjangoSignedSerializer(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit DjangoSignedSerializer(Options options) : state_(std::make_shared<const State>(std::move(options))) {}

  [[nodiscard]] std::string dumps(const Data& data) const {
    return signing::dumps(data, state_->signer, /*compress=*/true);
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    Data data = signing::loads(bytes, state_->signer, std::nullopt, std::nullopt, state_->limits);
    if (!data.is_object()) throw DecodeError("the signed session data is not a JSON object");
    return data;
  }

 private:
  // Shared and immutable: Sessions copy their serializer, and the keyed HMAC contexts inside the
  // signer are worth deriving once.
  struct State {
    explicit State(Options o)
        : options(std::move(o)),
          signer(options.secret_key, options.salt, std::span<const std::string>(options.fallback_keys), options.clock) {
      limits.max_decompressed_size = options.max_decompressed_size;
    }
    Options options;
    signing::TimestampSigner signer;
    signing::PayloadLimits limits{};
  };
  std::shared_ptr<const State> state_;
};

}  // namespace sessions
