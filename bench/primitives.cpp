// The library's building blocks, one at a time: key generation, the Cookie header, Set-Cookie,
// and django.core.signing's dumps/loads (what Django's signing.loads/dumps do).

#include <sessions/sessions.hpp>
#include <string>

#include "bench_common.hpp"

namespace {

using namespace std::chrono_literals;

const std::string kHeader =
    "_ga=GA1.2.1234567890.1700000000; csrftoken=x7Ykq2pQ9mLw3ZrT8vBn4HsJ6dFg1AeC0uIoPl5KjNh; "
    "sessionid=k3v9q2x8m1n7b4c6z0l5p2r8t1y9w3e6; theme=dark";

void key_generation(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sessions::generate_session_key());
}
BENCHMARK(key_generation);

void cookie_header_find(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sessions::cookie::find_cookie(kHeader, "sessionid"));
}
BENCHMARK(cookie_header_find);

void cookie_header_parse_all(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sessions::cookie::parse_cookie_header(kHeader));
}
BENCHMARK(cookie_header_parse_all);

void set_cookie_build(benchmark::State& state) {
  const sessions::Settings settings{};
  const auto now = settings.clock.now();
  sessions::cookie::SetCookie c;
  c.name = settings.cookie_name;
  c.value = "k3v9q2x8m1n7b4c6z0l5p2r8t1y9w3e6";
  c.max_age = settings.cookie_age;
  c.expires = now + settings.cookie_age;
  c.path = settings.cookie_path;
  c.httponly = true;
  c.samesite = settings.cookie_samesite;
  for (auto _ : state) benchmark::DoNotOptimize(sessions::cookie::build_set_cookie(c, now));
}
BENCHMARK(set_cookie_build);

const sessions::signing::TimestampSigner& signer() {
  static const sessions::signing::TimestampSigner s{bench::kSecret, sessions::kSignedCookiesSalt};
  return s;
}

const bench::Registrar registrar{[] {
  // A kept signer: what the cookie store does.
  bench::register_sized("signing_dumps", [](benchmark::State& state, std::string_view size) {
    const sessions::Data& data = bench::payload(size);
    for (auto _ : state) benchmark::DoNotOptimize(sessions::signing::dumps(data, signer(), true));
  });
  bench::register_sized("signing_loads", [](benchmark::State& state, std::string_view size) {
    const std::string text = sessions::signing::dumps(bench::payload(size), signer(), true);
    for (auto _ : state) benchmark::DoNotOptimize(sessions::signing::loads(text, signer(), 1209600.0));
  });
  // Key and salt per call, as Django's signing.loads(text, key=..., salt=...) takes them.
  bench::register_sized("signing_loads_with_key", [](benchmark::State& state, std::string_view size) {
    const std::string text = sessions::signing::dumps(bench::payload(size), signer(), true);
    for (auto _ : state) {
      benchmark::DoNotOptimize(sessions::signing::loads(text, bench::kSecret, sessions::kSignedCookiesSalt, 1209600.0));
    }
  });
}};

}  // namespace
