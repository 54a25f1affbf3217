#include <sessions/signing/dumps.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "support/catch.hpp"

using sessions::BadSignature;
using sessions::Data;
using sessions::LimitExceeded;
using sessions::SignatureExpired;
using sessions::TimePoint;
using sessions::signing::dump_python_json;
using sessions::signing::dumps;
using sessions::signing::DumpsOptions;
using sessions::signing::loads;
using sessions::signing::LoadsOptions;
using sessions::signing::MalformedSignedData;
using sessions::signing::Signer;
using sessions::signing::TimestampSigner;

namespace {
constexpr std::int64_t T = 1'700'000'000;
TimePoint at(double seconds) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds)));
}
std::string dumps_at(const Data& value, std::string_view key, std::string_view salt, bool compress) {
  return dumps(value, key, DumpsOptions{.salt = salt, .compress = compress, .now = at(T)});
}
// A payload signed validly (as a TimestampSigner with this salt would verify it) but chosen freely.
std::string sign_raw(std::string_view payload, std::string_view salt = "django.core.signing") {
  return Signer("secret", salt).sign(std::string(payload) + ":1r31eq");
}
}  // namespace

// Expected tokens produced by Django 3.2's signing.dumps with time.time patched to 1700000000.
TEST_CASE("dumps: byte-identical to Django", "[signing][dumps]") {
  const Data a = Data::parse(R"({"a":1})");
  CHECK(dumps_at(a, "secret", "django.core.signing", false) ==
        "eyJhIjoxfQ:1r31eq:I6FHvRuDt1QvhGrC5_GTBgUKxFXLKQmzsPKrgrC89_U");
  CHECK(dumps_at(a, "secret", "", false) == "eyJhIjoxfQ:1r31eq:iiNbnFkwNC0--9qwM9VlS5QbjO01TThPqInuJVLAHoA");
  // Too small to gain 2 bytes from zlib: stays uncompressed although compress was asked for.
  CHECK(dumps_at(a, "secret", "django.contrib.sessions.SessionStore", true) ==
        "eyJhIjoxfQ:1r31eq:LCqGWTQrIoydnMbNSWtFF-F-L8oddWBGrXkjMkkC0SI");
  Data text = Data::object();
  text["text"] = std::string(100, 'x');
  CHECK(dumps_at(text, "secret", "django.core.signing", true) ==
        ".eJyrVipJrShRslKqoANQqgUA1AcyYA:1r31eq:FFNmxlSryT0A-JzFTIfytWYJipHKFJiioa1qbGxYDWA");
  Data list = Data::array({1, "\xc3\xa9\xf0\x9f\x98\x80", nullptr});
  list.push_back(sessions::signing::make_python_int("18446744073709551617"));
  list.push_back(1e16);
  list.push_back(0.5);
  CHECK(dumps_at(list, "secret", "django.core.signing", false) ==
        "WzEsIlx1MDBlOVx1ZDgzZFx1ZGUwMCIsbnVsbCwxODQ0Njc0NDA3MzcwOTU1MTYxNywxZSsxNiwwLjVd:1r31eq:"
        "CtMJLacrJZW9VO1RRw_7uI_67XNViD7MPsFhyXEgosI");
}

TEST_CASE("loads: reads Django's tokens and round-trips ours", "[signing][dumps]") {
  CHECK(loads("eyJhIjoxfQ:1r31eq:I6FHvRuDt1QvhGrC5_GTBgUKxFXLKQmzsPKrgrC89_U", "secret") == Data::parse(R"({"a":1})"));
  CHECK(loads(".eJyrVipJrShRslKqoANQqgUA1AcyYA:1r31eq:FFNmxlSryT0A-JzFTIfytWYJipHKFJiioa1qbGxYDWA", "secret")["text"] ==
        std::string(100, 'x'));
  CHECK(loads("eyJhIjoxfQ:1r31eq:iiNbnFkwNC0--9qwM9VlS5QbjO01TThPqInuJVLAHoA", "secret", "") ==
        Data::parse(R"({"a":1})"));
  const Data value = Data::parse(R"({"z":[1,2,{"y":null}],"a":"text","n":-1.5})");
  for (const bool compress : {false, true}) {
    for (const char* salt : {"django.core.signing", "", "django.contrib.sessions.backends.signed_cookies"}) {
      const std::string token = dumps(value, "secret", salt, compress);
      CHECK(loads(token, "secret", salt) == value);
      CHECK(dump_python_json(loads(token, "secret", salt)) == dump_python_json(value));
    }
  }
  CHECK(sessions::signing::loads_json_text(dumps(value, "secret"), "secret") == dump_python_json(value));
  CHECK(sessions::signing::dumps_json_text(dump_python_json(value), "secret", {.now = at(T)}) ==
        dumps_at(value, "secret", "django.core.signing", false));
  CHECK_THROWS_AS(sessions::signing::dumps_json_text("{\"a\":\"\xc3\xa9\"}", "secret"), sessions::EncodeError);
}

TEST_CASE("loads: with a kept signer and fallback keys", "[signing][dumps]") {
  const std::vector<std::string> fallbacks{"old"};
  const TimestampSigner signer("new", "django.contrib.sessions.SessionStore", fallbacks);
  const Data value = Data::parse(R"({"k":"v"})");
  const std::string old_token = dumps(value, TimestampSigner("old", "django.contrib.sessions.SessionStore"), true);
  CHECK(loads(old_token, signer) == value);
  CHECK_THROWS_AS(loads(old_token, "new", "django.contrib.sessions.SessionStore"), BadSignature);
  CHECK(loads(old_token, "new",
              LoadsOptions{.salt = "django.contrib.sessions.SessionStore", .fallback_keys = fallbacks}) == value);
  CHECK(dumps(value, signer, false, at(T)) == dumps_at(value, "new", "django.contrib.sessions.SessionStore", false));
}

TEST_CASE("loads: max_age against an injected now", "[signing][dumps]") {
  const std::string token = dumps_at(Data::parse("{}"), "secret", "django.core.signing", false);
  CHECK(loads(token, "secret", LoadsOptions{.max_age = 10.0, .now = at(T + 10)}) == Data::object());
  CHECK_THROWS_AS(loads(token, "secret", LoadsOptions{.max_age = 10.0, .now = at(T + 10.001)}), SignatureExpired);
  sessions::ManualClock clock(at(T + 5));
  CHECK(loads(token, "secret", LoadsOptions{.max_age = 5.0, .clock = sessions::Clock(clock)}) == Data::object());
  clock.advance(std::chrono::seconds(1));
  CHECK_THROWS_AS(loads(token, "secret", LoadsOptions{.max_age = 5.0, .clock = sessions::Clock(clock)}),
                  SignatureExpired);
}

TEST_CASE("loads: tampering, wrong key or salt, truncation", "[signing][dumps]") {
  const std::string token = dumps_at(Data::parse(R"({"user":42})"), "secret", "django.core.signing", true);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'x' ? 'y' : 'x';
    CAPTURE(tampered);
    CHECK_THROWS_AS(loads(tampered, "secret"), BadSignature);
  }
  for (std::size_t n = 0; n < token.size(); ++n) {
    CHECK_THROWS_AS(loads(token.substr(0, n), "secret"), BadSignature);
  }
  CHECK_THROWS_AS(loads(token, "wrong"), BadSignature);
  CHECK_THROWS_AS(loads(token, "secret", "django.contrib.sessions.SessionStore"), BadSignature);
  CHECK_THROWS_AS(loads(token, "secret", ""), BadSignature);
  CHECK_THROWS_AS(loads("", "secret"), BadSignature);
  CHECK_THROWS_AS(loads("no separator", "secret"), BadSignature);
}

TEST_CASE("loads: validly signed but malformed content", "[signing][dumps]") {
  CHECK(loads(sign_raw("e30"), "secret") == Data::object());
  CHECK(loads(sign_raw("eyJh****IjoxfQ"), "secret") == Data::parse(R"({"a":1})"));  // lenient base64
  CHECK(loads(sign_raw("e30=garbage"), "secret") == Data::object());
  for (const char* bad : {"", "!!!!", "e3", "e", ".e30", ".", "YQ", "WzEsXQ"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(loads(sign_raw(bad), "secret"), MalformedSignedData);
  }
  // No timestamp at all / a bad one.
  CHECK_THROWS_AS(loads(Signer("secret", "django.core.signing").sign("e30"), "secret"), MalformedSignedData);
  CHECK_THROWS_AS(loads(Signer("secret", "django.core.signing").sign("e30:1r3!"), "secret"), MalformedSignedData);
  CHECK_THROWS_AS(loads(Signer("secret", "django.core.signing").sign("e30:"), "secret"), MalformedSignedData);
  // Raw UTF-8 in the JSON: Django would read latin-1 mojibake; refused here.
  CHECK_THROWS_AS(loads(sign_raw(sessions::signing::b64_encode("{\"a\":\"\xc3\xa9\"}")), "secret"),
                  MalformedSignedData);
  // ...unless the caller asks for Django's latin-1 reading.
  LoadsOptions latin1;
  latin1.limits.json.non_ascii = sessions::signing::NonAsciiInput::latin1;
  CHECK(loads(sign_raw(sessions::signing::b64_encode("{\"a\":\"\xc3\xa9\"}")), "secret", latin1)["a"] ==
        "\xc3\x83\xc2\xa9");
}

TEST_CASE("loads: zlib streams, truncation and zip bombs", "[signing][dumps]") {
  using sessions::signing::b64_encode;
  using sessions::signing::zlib_compress;
  using sessions::signing::zlib_decompress;
  const std::string json = R"({"a":[1,2,3],"b":"text text text text text"})";
  const std::string z = zlib_compress(json);
  CHECK(loads(sign_raw("." + b64_encode(z)), "secret") == Data::parse(json));
  CHECK(loads(sign_raw("." + b64_encode(z + "trailing")), "secret") == Data::parse(json));  // as Python
  for (std::size_t n = 0; n < z.size(); ++n) {
    CAPTURE(n);
    CHECK_THROWS_AS(loads(sign_raw("." + b64_encode(z.substr(0, n))), "secret"), MalformedSignedData);
  }
  // A '.' payload that is not compressed.
  CHECK_THROWS_AS(loads(sign_raw("." + b64_encode(json)), "secret"), MalformedSignedData);

  const std::string bomb_json = "\"" + std::string(2u << 20, ' ') + "\"";
  const std::string bomb = sign_raw("." + b64_encode(zlib_compress(bomb_json)));
  CHECK(bomb.size() < 4000);
  CHECK_THROWS_AS(loads(bomb, "secret"), LimitExceeded);
  LoadsOptions roomy;
  roomy.limits.max_decompressed_size = 4u << 20;
  CHECK(loads(bomb, "secret", roomy).get_ref<const std::string&>().size() == 2u << 20);

  CHECK(zlib_decompress(zlib_compress(std::string(1000, 'a')), 1000) == std::string(1000, 'a'));
  CHECK_THROWS_AS(zlib_decompress(zlib_compress(std::string(1000, 'a')), 999), LimitExceeded);
  CHECK(zlib_decompress(zlib_compress(""), 0).empty());
  CHECK_THROWS_AS(zlib_decompress("", 100), MalformedSignedData);
  CHECK_THROWS_AS(zlib_decompress("\x78\x9c", 100), MalformedSignedData);
  CHECK_THROWS_AS(zlib_decompress("not zlib at all", 100), MalformedSignedData);
}

TEST_CASE("loads: random input only ever raises the library's typed errors", "[signing][dumps]") {
  std::mt19937 rng(12345);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.:*\xc3\xa9";
  const auto random_text = [&](std::size_t max_len) {
    std::string s(rng() % (max_len + 1), '\0');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  const std::string valid = dumps_at(Data::parse(R"({"k":[1,"v",null]})"), "secret", "django.core.signing", true);
  int untyped = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string input;
    switch (i % 3) {
      case 0:
        input = random_text(80);
        break;
      case 1:
        input = sign_raw(random_text(60));
        break;  // exercises every decoder after the signature
      default: {
        input = valid;
        input[rng() % input.size()] = alphabet[rng() % alphabet.size()];
        break;
      }
    }
    try {
      (void)loads(input, "secret", LoadsOptions{.max_age = 100.0, .now = at(T)});
    } catch (const sessions::Error&) {
      // BadSignature, SignatureExpired, MalformedSignedData, LimitExceeded: all fine.
    } catch (...) {
      ++untyped;
    }
  }
  CHECK(untyped == 0);
}
