// Cookie stores through the middleware: a whole request (Cookie header in, Set-Cookie out).
// Signed cookies are measured without the cache of verified values (a cookie not seen before:
// every step runs) and with it (`_cached`: the cookie a previous request already verified).
//   changed:   open, read a key, change one key, finish (re-sign or re-seal the cookie)
//   read:      open, read a key, finish (must not re-sign: checked, the benchmark fails otherwise)
// The request carries the cookie a previous response set, among other cookies, as browsers send it.

#include <sessions/sessions.hpp>
#include <string>

#include "bench_common.hpp"

namespace {

/// A Cookie header as a browser sends it to a site with analytics and CSRF protection.
std::string cookie_header(const std::string& session_cookie) {
  return "_ga=GA1.2.1234567890.1700000000; csrftoken=x7Ykq2pQ9mLw3ZrT8vBn4HsJ6dFg1AeC0uIoPl5KjNh; "
         "sessionid=" +
         session_cookie + "; theme=dark";
}

template <class Store>
std::string saved_cookie(Store& store, const sessions::Settings& settings, const sessions::Data& data) {
  sessions::Session<Store> session{store, settings};
  session.update(data);
  session.save();
  return *session.session_key();
}

bool sets_cookie(const sessions::HeaderFields& headers) {
  for (const auto& h : headers) {
    if (h.name == "Set-Cookie") return true;
  }
  return false;
}

template <class Store, bool Change>
void cookie_cycle(benchmark::State& state, Store& store, std::string_view size) {
  static const sessions::Settings settings{};
  const sessions::Middleware<sessions::Session<Store>> middleware{store, settings};
  const std::string header = cookie_header(saved_cookie(store, settings, bench::payload(size)));
  std::int64_t visits = 0;
  std::size_t cookie_bytes = 0;
  for (auto _ : state) {
    auto session = middleware.open(header);
    visits = session.get("num_visits", std::int64_t{0});
    if constexpr (Change) session.set("num_visits", visits + 1);
    const sessions::HeaderFields headers = middleware.finish(session, 200);
    if (sets_cookie(headers) != Change) {
      state.SkipWithError(Change ? "a changed session set no cookie" : "a read-only request re-sent the cookie");
      break;
    }
    if constexpr (Change) cookie_bytes = headers.back().value.size();
    benchmark::DoNotOptimize(headers);
  }
  state.counters["set_cookie_bytes"] = static_cast<double>(cookie_bytes);
}

/// With the cache of verified values (the default), or without (every request verifies and
/// parses: a cookie the store has not seen recently).
sessions::SignedCookieStore& signed_store(bool cached) {
  static sessions::SignedCookieStore with{std::string(bench::kSecret)};
  static sessions::SignedCookieStore without{[] {
    sessions::SignedCookieStore::Options o;
    o.secret_key = std::string(bench::kSecret);
    o.verified_cache_entries = 0;
    return o;
  }()};
  return cached ? with : without;
}
sessions::EncryptedCookieStore& encrypted_store() {
  static sessions::EncryptedCookieStore store{std::string(bench::kSecret)};
  return store;
}

const bench::Registrar registrar{[] {
  bench::register_sized("signed_cookie_cycle/changed", [](benchmark::State& s, std::string_view size) {
    cookie_cycle<sessions::SignedCookieStore, true>(s, signed_store(false), size);
  });
  bench::register_sized("signed_cookie_cycle/read", [](benchmark::State& s, std::string_view size) {
    cookie_cycle<sessions::SignedCookieStore, false>(s, signed_store(false), size);
  });
  bench::register_sized("signed_cookie_cycle/changed_cached", [](benchmark::State& s, std::string_view size) {
    cookie_cycle<sessions::SignedCookieStore, true>(s, signed_store(true), size);
  });
  bench::register_sized("signed_cookie_cycle/read_cached", [](benchmark::State& s, std::string_view size) {
    cookie_cycle<sessions::SignedCookieStore, false>(s, signed_store(true), size);
  });
  bench::register_sized("encrypted_cookie_cycle/changed", [](benchmark::State& s, std::string_view size) {
    cookie_cycle<sessions::EncryptedCookieStore, true>(s, encrypted_store(), size);
  });
  bench::register_sized("encrypted_cookie_cycle/read", [](benchmark::State& s, std::string_view size) {
    cookie_cycle<sessions::EncryptedCookieStore, false>(s, encrypted_store(), size);
  });
}};

}  // namespace
