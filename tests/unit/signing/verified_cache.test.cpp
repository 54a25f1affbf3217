// VerifiedCache: the bounded memory of verified signed values (signing/verified_cache.hpp).

#include <memory>
#include <sessions/signing/verified_cache.hpp>
#include <string>

#include "support/catch.hpp"

using sessions::Data;
using sessions::signing::VerifiedCache;

namespace {
VerifiedCache::Entry entry(int n, std::int64_t timestamp = 1700000000) {
  return VerifiedCache::Entry{std::make_shared<const Data>(Data{{"n", n}}), timestamp};
}
}  // namespace

TEST_CASE("VerifiedCache finds exactly the values inserted", "[verified-cache]") {
  VerifiedCache cache{64};
  CHECK(cache.enabled());
  CHECK(cache.capacity() == 64);
  CHECK_FALSE(cache.find("abc:1r31eq:sig"));
  cache.insert("abc:1r31eq:sig", entry(1));
  const auto hit = cache.find("abc:1r31eq:sig");
  REQUIRE(hit);
  CHECK(*hit->data == Data{{"n", 1}});
  CHECK(hit->timestamp == 1700000000);
  // Same length, one byte different; a prefix; an extension: never a hit.
  CHECK_FALSE(cache.find("abc:1r31eq:sih"));
  CHECK_FALSE(cache.find("abc:1r31eq:si"));
  CHECK_FALSE(cache.find("abc:1r31eq:sig "));
  CHECK_FALSE(cache.find(""));
}

TEST_CASE("VerifiedCache is bounded: a new value replaces the one in its slot", "[verified-cache]") {
  VerifiedCache one{1};
  CHECK(one.capacity() == 1);
  one.insert("first", entry(1));
  one.insert("second", entry(2));
  CHECK_FALSE(one.find("first"));
  REQUIRE(one.find("second"));
  CHECK(*one.find("second")->data == Data{{"n", 2}});

  VerifiedCache small{8};
  for (int i = 0; i < 1000; ++i) small.insert("value-" + std::to_string(i), entry(i));
  int remembered = 0;
  for (int i = 0; i < 1000; ++i) remembered += small.find("value-" + std::to_string(i)) ? 1 : 0;
  CHECK(remembered >= 1);
  CHECK(remembered <= 8);
}

TEST_CASE("VerifiedCache shares its data immutably and can be cleared or disabled", "[verified-cache]") {
  VerifiedCache cache{16};
  cache.insert("v", entry(7));
  const auto a = cache.find("v");
  const auto b = cache.find("v");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->data.get() == b->data.get());  // one parsed copy, shared read-only
  cache.clear();
  CHECK_FALSE(cache.find("v"));
  CHECK(*a->data == Data{{"n", 7}});  // holders keep their data

  VerifiedCache off{0};
  CHECK_FALSE(off.enabled());
  CHECK(off.capacity() == 0);
  off.insert("v", entry(1));
  CHECK_FALSE(off.find("v"));
}
