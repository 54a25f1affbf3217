#pragma once
// The Django release whose behaviour to reproduce where releases differ (auth's key fallbacks
// and legacy hashes, the messages' encoding of empty extra tags). Debian 12 ships 3.2.

namespace sessions {

enum class DjangoVersion {
  v3_2,     ///< Django 3.2 (Debian 12's python3-django)
  current,  ///< Django 5.0 and later
};

}  // namespace sessions
