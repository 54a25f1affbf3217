#pragma once
// The auth layer's own errors. A password hash made by a hasher this library does not implement
// (argon2, bcrypt, scrypt, ...) must never read as "wrong password": the user would be told their
// correct password is wrong, and a migration would silently lock people out. It is a typed error
// the caller can route to the Django side instead.

#include <string>
#include <utility>

#include "../errors.hpp"

namespace sessions::auth {

/// The stored password hash names a Django hasher that is not implemented here (only
/// pbkdf2_sha256 and pbkdf2_sha1 are). algorithm() is the name before the first `$`.
class UnsupportedHasher : public sessions::Error {
 public:
  explicit UnsupportedHasher(std::string algorithm)
      : sessions::Error("unsupported password hasher: " + algorithm), algorithm_(std::move(algorithm)) {}
  [[nodiscard]] const std::string& algorithm() const noexcept { return algorithm_; }

 private:
  std::string algorithm_;
};

}  // namespace sessions::auth
