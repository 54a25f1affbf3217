// docs/django-guide.md, "Sharing sessions with a Django application: signed cookies": Django's
// signed_cookies engine, byte for byte, with SECRET_KEY_FALLBACKS for key rotation. Run by CTest
// (docs_snippet_signed_cookies).
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

int main() {
  const std::string old_secret = "the SECRET_KEY before the rotation";
  const std::string secret = "the SECRET_KEY after the rotation";

  sessions::ManualClock clock;
  sessions::Settings settings;
  settings.clock = sessions::Clock(clock);

  // Before the rotation: SECRET_KEY = old_secret.
  sessions::SignedCookieStore before{old_secret};
  // After: SECRET_KEY = secret, SECRET_KEY_FALLBACKS = [old_secret].
  sessions::SignedCookieStore after{secret, {old_secret}};
  using Cookies = sessions::Session<sessions::SignedCookieStore>;

  const sessions::Middleware<Cookies> old_site{before, settings};
  Cookies first = old_site.open("");
  first.set("num_visits", 1);
  (void)old_site.finish(first, 200);
  const std::string old_cookie = *first.session_key();  // the cookie value is the signed data

  // The cookie Django writes for {"num_visits": 1}: signing.dumps(..., compress=True,
  // salt="django.contrib.sessions.backends.signed_cookies").
  const sessions::signing::TimestampSigner django_signer{old_secret, sessions::kSignedCookiesSalt};
  const bool django_format =
      old_cookie == sessions::signing::dumps(sessions::Data{{"num_visits", 1}}, django_signer, true, clock.now());

  const sessions::Middleware<Cookies> new_site{after, settings};
  Cookies rotated = new_site.open("sessionid=" + old_cookie);  // verified with the fallback key
  const bool fallback_works = rotated.get("num_visits", 0) == 1;

  // A signed cookie can be replayed until it expires: SESSION_COOKIE_AGE bounds it.
  clock.advance(settings.cookie_age + 1s);
  Cookies replayed = new_site.open("sessionid=" + old_cookie);
  const bool expired = replayed.get("num_visits").is_null();

  std::printf("Django's format: %d, fallback key: %d, expired after SESSION_COOKIE_AGE: %d\n", django_format,
              fallback_works, expired);
  return django_format && fallback_works && expired ? 0 : 1;
}
