// IMF-fixdate writing and reading: known instants, calendar corners, flooring, and the parser's
// strictness.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "sessions/clock.hpp"
#include "sessions/cookie/http_date.hpp"
#include "support/catch.hpp"

using sessions::TimePoint;
using sessions::cookie::http_date;
using sessions::cookie::parse_http_date;

namespace {

TimePoint at(std::int64_t unix_seconds) { return TimePoint{std::chrono::seconds{unix_seconds}}; }

}  // namespace

TEST_CASE("http_date writes IMF-fixdate for known instants", "[cookie][http_date]") {
  CHECK(http_date(at(0)) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(http_date(at(1'701'209'600)) == "Tue, 28 Nov 2023 22:13:20 GMT");
  CHECK(http_date(at(1'700'000'000)) == "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK(http_date(at(1'709'210'096)) == "Thu, 29 Feb 2024 12:34:56 GMT");  // leap day
  CHECK(http_date(at(951'782'400)) == "Tue, 29 Feb 2000 00:00:00 GMT");    // leap day of a /400 year
  CHECK(http_date(at(1'734'560'000)) == "Wed, 18 Dec 2024 22:13:20 GMT");
  CHECK(http_date(at(-1)) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(http_date(at(0)).size() == 29u);
}

TEST_CASE("http_date floors sub-second parts, also before the epoch", "[cookie][http_date]") {
  using std::chrono::milliseconds;
  CHECK(http_date(at(0) + milliseconds{999}) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(http_date(at(0) - milliseconds{1}) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(http_date(at(1'701'209'600) + milliseconds{500}) == "Tue, 28 Nov 2023 22:13:20 GMT");
}

// Each thread remembers the last date it wrote (one per second of responses): a repeat must give
// the same text, any other second its own, and append_http_date must append, not replace.
TEST_CASE("http_date: the remembered last date never answers for another second", "[cookie][http_date]") {
  using std::chrono::milliseconds;
  CHECK(http_date(at(1'700'000'000)) == "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK(http_date(at(1'700'000'000) + milliseconds{999}) == "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK(http_date(at(1'700'000'001)) == "Tue, 14 Nov 2023 22:13:21 GMT");
  CHECK(http_date(at(1'700'000'000)) == "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK(http_date(at(1'700'000'000 + 86'400)) == "Wed, 15 Nov 2023 22:13:20 GMT");
  std::string out = "Expires=";
  sessions::cookie::append_http_date(out, at(0));
  sessions::cookie::append_http_date(out, at(0));
  CHECK(out == "Expires=Thu, 01 Jan 1970 00:00:00 GMTThu, 01 Jan 1970 00:00:00 GMT");
}

TEST_CASE("http_date handles the ends of TimePoint's range", "[cookie][http_date]") {
  // libstdc++'s nanosecond system_clock spans 1677-2262; a wider clock is clamped to 0000-9999.
  CHECK(http_date(TimePoint::min()).size() == 29u);
  CHECK(http_date(TimePoint::max()).size() == 29u);
  // Flooring TimePoint::min() names a second that starts before it, which the parser therefore
  // refuses; one second later is representable both ways.
  const TimePoint lo = std::chrono::ceil<std::chrono::seconds>(TimePoint::min());
  const TimePoint hi = std::chrono::floor<std::chrono::seconds>(TimePoint::max());
  REQUIRE(parse_http_date(http_date(lo)).has_value());
  CHECK(*parse_http_date(http_date(lo)) == lo);
  REQUIRE(parse_http_date(http_date(hi)).has_value());
  CHECK(*parse_http_date(http_date(hi)) == hi);
}

TEST_CASE("parse_http_date reads what http_date writes", "[cookie][http_date]") {
  SECTION("known instants") {
    REQUIRE(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT").has_value());
    CHECK(*parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == at(0));
    REQUIRE(parse_http_date("Tue, 28 Nov 2023 22:13:20 GMT").has_value());
    CHECK(*parse_http_date("Tue, 28 Nov 2023 22:13:20 GMT") == at(1'701'209'600));
    REQUIRE(parse_http_date("Thu, 29 Feb 2024 12:34:56 GMT").has_value());
    CHECK(*parse_http_date("Thu, 29 Feb 2024 12:34:56 GMT") == at(1'709'210'096));
    REQUIRE(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT").has_value());
    CHECK(*parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT") == at(-1));
  }
  SECTION("round trip over a wide spread of instants") {
    // A step that is not a multiple of a minute, hour or day visits every field's values.
    for (std::int64_t t = -2'000'000'000; t < 7'000'000'000; t += 9'876'543) {
      const std::string text = http_date(at(t));
      const std::optional<TimePoint> back = parse_http_date(text);
      REQUIRE(back.has_value());
      CHECK(*back == at(t));
    }
  }
  SECTION("every day of a leap year and of a common year") {
    for (std::int64_t day = 0; day < 366 + 365; ++day) {
      const TimePoint t = at(1'704'067'200 + day * 86'400 + 3'661);  // from 2024-01-01 01:01:01
      const std::optional<TimePoint> back = parse_http_date(http_date(t));
      REQUIRE(back.has_value());
      CHECK(*back == t);
    }
  }
}

TEST_CASE("parse_http_date refuses anything but an exact IMF-fixdate", "[cookie][http_date]") {
  CHECK(!parse_http_date("").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT ").has_value());
  CHECK(!parse_http_date(" Thu, 01 Jan 1970 00:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 1 Jan 1970 00:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 00:00:00 gmt").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 00:00:00 UTC").has_value());
  CHECK(!parse_http_date("thu, 01 jan 1970 00:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01-Jan-1970 00:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT").has_value());  // RFC 850
  CHECK(!parse_http_date("Thu Jan  1 00:00:00 1970").has_value());          // asctime
  CHECK(!parse_http_date("Fri, 01 Jan 1970 00:00:00 GMT").has_value());     // wrong weekday
  CHECK(!parse_http_date("Thu, 30 Feb 2024 00:00:00 GMT").has_value());     // no such day
  CHECK(!parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT").has_value());     // not a leap year
  CHECK(!parse_http_date("Thu, 00 Jan 1970 00:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 24:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 00:60:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 00:00:60 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 0a:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01 Jan 1970 -1:00:00 GMT").has_value());
  CHECK(!parse_http_date("Thu, 01 Xyz 1970 00:00:00 GMT").has_value());
  CHECK(!parse_http_date(std::string("Thu, 01 Jan 1970 00:00:00 GM\0", 29)).has_value());
}

TEST_CASE("parse_http_date refuses instants TimePoint cannot hold", "[cookie][http_date]") {
  // Valid dates; whether they fit depends on the standard library's system_clock (libstdc++'s
  // nanoseconds span 1677-2262, libc++'s microseconds much more). A date parses exactly when its
  // instant lies within TimePoint's range, and nothing overflows on the way (checked under UBSan).
  using namespace std::chrono;
  struct Case {
    const char* text;
    sys_seconds instant;
  };
  const Case cases[] = {
      {"Fri, 31 Dec 9999 23:59:59 GMT", sys_days{year{9999} / 12 / 31} + hours{23} + minutes{59} + seconds{59}},
      {"Sat, 01 Jan 0000 00:00:00 GMT", sys_days{year{0} / 1 / 1}},
      {"Sat, 12 Apr 2262 00:00:00 GMT", sys_days{year{2262} / 4 / 12}},
      {"Mon, 20 Sep 1677 00:00:00 GMT", sys_days{year{1677} / 9 / 20}},
      {"Mon, 01 Jan 2001 00:00:00 GMT", sys_days{year{2001} / 1 / 1}},  // fits every clock
  };
  const sys_seconds earliest = ceil<seconds>(TimePoint::min());
  const sys_seconds latest = floor<seconds>(TimePoint::max());
  for (const Case& c : cases) {
    INFO(c.text);
    const std::optional<TimePoint> t = parse_http_date(c.text);
    REQUIRE(t.has_value() == (c.instant >= earliest && c.instant <= latest));
    if (t) {
      CHECK(floor<seconds>(*t) == c.instant);
      CHECK(http_date(*t) == c.text);
    }
  }
}
