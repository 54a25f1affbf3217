// Reading Cookie headers: the usual shapes, the sloppy ones browsers and proxies produce, and
// hostile ones that must cost bounded work and never yield control bytes.

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sessions/cookie/parse.hpp"
#include "support/catch.hpp"

using namespace std::string_view_literals;
using sessions::cookie::CookiePair;
using sessions::cookie::find_cookie;
using sessions::cookie::parse_cookie_header;

namespace {

constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

// The found value, or a marker no test expects, so a failed lookup fails a CHECK instead of
// dereferencing an empty optional.
std::string_view got(std::optional<std::string_view> v) { return v ? *v : "<no such cookie>"; }

}  // namespace

TEST_CASE("a normal Cookie header yields every pair in order", "[cookie][parse]") {
  const std::string_view header = "sessionid=abc123; csrftoken=XyZ; theme=dark";
  const std::vector<CookiePair> pairs = parse_cookie_header(header);
  REQUIRE(pairs.size() == 3u);
  CHECK(pairs[0] == CookiePair{"sessionid", "abc123"});
  CHECK(pairs[1] == CookiePair{"csrftoken", "XyZ"});
  CHECK(pairs[2] == CookiePair{"theme", "dark"});

  SECTION("lookup finds each by name") {
    REQUIRE(find_cookie(header, "sessionid").has_value());
    CHECK(got(find_cookie(header, "sessionid")) == "abc123");
    CHECK(got(find_cookie(header, "theme")) == "dark");
    CHECK(!find_cookie(header, "missing").has_value());
    CHECK(!find_cookie(header, "").has_value());
  }
  SECTION("names are case-sensitive") { CHECK(!find_cookie(header, "SessionId").has_value()); }
  SECTION("a single pair without spaces") {
    REQUIRE(find_cookie("a=b", "a").has_value());
    CHECK(got(find_cookie("a=b", "a")) == "b");
  }
  SECTION("results are views into the header, not copies") {
    const std::string owned = "k=value";
    const auto v = find_cookie(owned, "k");
    REQUIRE(v.has_value());
    CHECK(v->data() == owned.data() + 2);
  }
}

TEST_CASE("an empty or blank header has no cookies", "[cookie][parse]") {
  CHECK(parse_cookie_header("").empty());
  CHECK(parse_cookie_header("   \t ").empty());
  CHECK(parse_cookie_header(";").empty());
  CHECK(!find_cookie("", "a").has_value());
}

TEST_CASE("spaces and tabs around names and values are trimmed", "[cookie][parse]") {
  const std::vector<CookiePair> pairs = parse_cookie_header("\ta\t=\t1\t;  b = 2 ;c=3;d =4");
  REQUIRE(pairs.size() == 4u);
  CHECK(pairs[0] == CookiePair{"a", "1"});
  CHECK(pairs[1] == CookiePair{"b", "2"});
  CHECK(pairs[2] == CookiePair{"c", "3"});
  CHECK(pairs[3] == CookiePair{"d", "4"});

  SECTION("inner spaces and tabs are kept") {
    const auto v = find_cookie("a= x \t y ", "a");
    REQUIRE(v.has_value());
    CHECK(*v == "x \t y");
  }
}

TEST_CASE("values: '=' inside, empty, and double-quoted", "[cookie][parse]") {
  SECTION("only the first '=' separates name from value") {
    const auto v = find_cookie("t=abc==; u=1", "t");
    REQUIRE(v.has_value());
    CHECK(*v == "abc==");
    CHECK(got(find_cookie("sig=a:b=c:d", "sig")) == "a:b=c:d");
  }
  SECTION("an empty value is a cookie with an empty value") {
    const auto v = find_cookie("a=; b=2", "a");
    REQUIRE(v.has_value());
    CHECK(v->empty());
  }
  SECTION("DQUOTE-wrapped values lose their quotes") {
    CHECK(got(find_cookie("a=\"xyz\"", "a")) == "xyz");
    CHECK(got(find_cookie("a = \"xyz\" ; b=1", "a")) == "xyz");
    CHECK(got(find_cookie("a=\" q \"", "a")) == " q ");
  }
  SECTION("Django's deletion value \"\" reads as empty") {
    const auto v = find_cookie("sessionid=\"\"", "sessionid");
    REQUIRE(v.has_value());
    CHECK(v->empty());
  }
  SECTION("an unbalanced quote is kept as is") {
    CHECK(got(find_cookie("a=\"", "a")) == "\"");
    CHECK(got(find_cookie("a=\"x", "a")) == "\"x");
    CHECK(got(find_cookie("a=x\"", "a")) == "x\"");
  }
  SECTION("backslash escapes inside quotes are not decoded") {
    CHECK(got(find_cookie(R"(a="x\"y")", "a")) == R"(x\"y)");
  }
}

TEST_CASE("repeated names are all kept, lookup returns the first", "[cookie][parse]") {
  const std::string_view header = "sid=first; other=x; sid=second; sid=third";
  REQUIRE(find_cookie(header, "sid").has_value());
  CHECK(got(find_cookie(header, "sid")) == "first");
  const std::vector<CookiePair> pairs = parse_cookie_header(header);
  REQUIRE(pairs.size() == 4u);
  CHECK(pairs[0] == CookiePair{"sid", "first"});
  CHECK(pairs[1] == CookiePair{"other", "x"});
  CHECK(pairs[2] == CookiePair{"sid", "second"});
  CHECK(pairs[3] == CookiePair{"sid", "third"});
}

TEST_CASE("junk pairs are skipped", "[cookie][parse]") {
  const std::vector<CookiePair> pairs = parse_cookie_header(";;a=1;=x; = y ;novalue;  ;b=2;");
  REQUIRE(pairs.size() == 2u);
  CHECK(pairs[0] == CookiePair{"a", "1"});
  CHECK(pairs[1] == CookiePair{"b", "2"});

  SECTION("a junk segment does not hide a later real cookie") {
    CHECK(got(find_cookie("novalue; =x; sid=ok", "sid")) == "ok");
  }
  SECTION("a bare word is not an empty-named cookie") {
    CHECK(!find_cookie("novalue", "").has_value());
    CHECK(!find_cookie("novalue", "novalue").has_value());
  }
  SECTION("trailing separators") {
    CHECK(parse_cookie_header("a=1;").size() == 1u);
    CHECK(parse_cookie_header("a=1; ; ;").size() == 1u);
  }
}

TEST_CASE("hostile headers: control bytes", "[cookie][parse][hostile]") {
  SECTION("a pair with an embedded NUL is dropped, its neighbours kept") {
    const std::string_view header = "a=1; b=x\0y; c=3"sv;
    const std::vector<CookiePair> pairs = parse_cookie_header(header);
    REQUIRE(pairs.size() == 2u);
    CHECK(pairs[0] == CookiePair{"a", "1"});
    CHECK(pairs[1] == CookiePair{"c", "3"});
    CHECK(!find_cookie(header, "b").has_value());
  }
  SECTION("a NUL in a name drops the pair") {
    CHECK(!find_cookie("s\0id=1"sv, "s"sv).has_value());
    CHECK(!find_cookie("s\0id=1"sv, "s\0id"sv).has_value());
  }
  SECTION("CR/LF never reach a value") {
    const std::string_view header = "a=1\r\nSet-Cookie: evil=1; c=3";
    CHECK(!find_cookie(header, "a").has_value());
    REQUIRE(find_cookie(header, "c").has_value());
    for (const CookiePair& p : parse_cookie_header(header)) {
      CHECK(p.value.find_first_of("\r\n") == std::string_view::npos);
      CHECK(p.name.find_first_of("\r\n") == std::string_view::npos);
    }
  }
  SECTION("DEL and other C0 controls drop the pair; a tab inside is fine") {
    CHECK(!find_cookie("a=x\x7fy", "a").has_value());
    CHECK(!find_cookie("a=x\x01y", "a").has_value());
    CHECK(!find_cookie("a=x\x0by", "a").has_value());
    CHECK(got(find_cookie("a=x\ty", "a")) == "x\ty");
  }
  SECTION("every byte at every position of a long value: dropped exactly when it is a control byte") {
    // Values longer than eight bytes are checked eight bytes at a time: each byte value must be
    // judged the same in any position of a group, and in the tail after the last whole group.
    for (unsigned b = 0; b < 256; ++b) {
      const auto c = static_cast<unsigned char>(b);
      if (c == ';' || c == ' ' || c == '"') continue;  // separators and trimmed or unquoted bytes
      const bool control = (c < 0x20 && c != '\t') || c == 0x7F;
      for (std::size_t at = 0; at < 21; ++at) {
        std::string value(21, 'v');
        value[at] = static_cast<char>(c);
        if (c == '\t' && (at == 0 || at == 20)) continue;  // a tab at either end is trimmed
        const std::string header = "k=" + value;           // found is a view into it
        const auto found = find_cookie(header, "k");
        CAPTURE(b, at);
        CHECK(found.has_value() == !control);
        if (found) CHECK(*found == value);
      }
    }
  }
  SECTION("non-ASCII bytes are passed through untouched") {
    const auto v = find_cookie("n=caf\xC3\xA9; m=\xFF\xFE", "n");
    REQUIRE(v.has_value());
    CHECK(*v == "caf\xC3\xA9");
    CHECK(got(find_cookie("n=caf\xC3\xA9; m=\xFF\xFE", "m")) == "\xFF\xFE");
    CHECK(got(find_cookie("\xC3\xA9=1", "\xC3\xA9")) == "1");
  }
}

TEST_CASE("hostile headers: size is bounded", "[cookie][parse][hostile]") {
  SECTION("100 kB header: only the first 8192 bytes are read") {
    std::string header;
    while (header.size() < 100'000) header += "pad=xxxxxxxxxxxxxxxx; ";
    header += "late=1";
    CHECK(!find_cookie(header, "late").has_value());
    CHECK(find_cookie(header, "late", kUnbounded, kUnbounded).has_value());
    const std::vector<CookiePair> pairs = parse_cookie_header(header);
    CHECK(pairs.size() <= sessions::cookie::kMaxCookiePairs);
    for (const CookiePair& p : pairs) {
      CHECK(p.name.data() + p.name.size() <= header.data() + sessions::cookie::kMaxCookieHeaderBytes);
      CHECK(p.value.data() + p.value.size() <= header.data() + sessions::cookie::kMaxCookieHeaderBytes);
    }
  }
  SECTION("one huge value past the limit is dropped, not truncated") {
    const std::string header = "a=1; big=" + std::string(100'000, 'v');
    const std::vector<CookiePair> pairs = parse_cookie_header(header);
    REQUIRE(pairs.size() == 1u);
    CHECK(pairs[0] == CookiePair{"a", "1"});
    CHECK(!find_cookie(header, "big").has_value());
    CHECK(got(find_cookie(header, "big", kUnbounded)).size() == 100'000u);
  }
  SECTION("the limit boundary") {
    const std::string_view header = "a=1; b=2222";
    // Cut inside b's value: b is dropped.
    REQUIRE(parse_cookie_header(header, 8).size() == 1u);
    CHECK(!find_cookie(header, "b", 8).has_value());
    // The limit falls on the ';' after a: a is whole.
    REQUIRE(parse_cookie_header(header, 3).size() == 1u);
    CHECK(got(find_cookie(header, "a", 3)) == "1");
    // Cut inside a: nothing.
    CHECK(parse_cookie_header(header, 2).empty());
    CHECK(parse_cookie_header(header, 0).empty());
    // Exactly the header's length: everything.
    CHECK(parse_cookie_header(header, header.size()).size() == 2u);
    CHECK(got(find_cookie(header, "b", header.size())) == "2222");
  }
  SECTION("10k pairs: at most 256 returned, lookup searches no further") {
    std::string header;
    for (int i = 0; i < 10'000; ++i) {
      // Appended piece by piece: GCC 12 -O2 warns (-Wrestrict, a false positive) on a chain of
      // string operator+ with to_string.
      const std::string n = std::to_string(i);
      header.append("c").append(n).append("=v").append(n).append("; ");
    }
    CHECK(header.size() > 100'000u);
    const std::vector<CookiePair> pairs = parse_cookie_header(header, kUnbounded);
    REQUIRE(pairs.size() == sessions::cookie::kMaxCookiePairs);
    CHECK(pairs.front() == CookiePair{"c0", "v0"});
    CHECK(pairs.back() == CookiePair{"c255", "v255"});
    CHECK(got(find_cookie(header, "c255", kUnbounded)) == "v255");
    CHECK(!find_cookie(header, "c256", kUnbounded).has_value());
    CHECK(got(find_cookie(header, "c9999", kUnbounded, kUnbounded)) == "v9999");
    CHECK(parse_cookie_header(header, kUnbounded, 3).size() == 3u);
    CHECK(parse_cookie_header(header, kUnbounded, 0).empty());
  }
  SECTION("junk segments do not count against the pair cap") {
    std::string header;
    for (int i = 0; i < 1'000; ++i) header += ";;novalue;=x;";
    header += "sid=ok";
    CHECK(got(find_cookie(header, "sid", kUnbounded)) == "ok");
  }
  SECTION("a header of only separators or only NULs") {
    CHECK(parse_cookie_header(std::string(100'000, ';')).empty());
    CHECK(parse_cookie_header(std::string(100'000, '\0')).empty());
    CHECK(parse_cookie_header(std::string(100'000, '=')).empty());
  }
}
