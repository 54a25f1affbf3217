#include <sessions/crypto/compare.hpp>

#include <string>
#include <vector>

#include "support/catch.hpp"

using sessions::crypto::ByteView;
using sessions::crypto::constant_time_equal;

TEST_CASE("compare: equal and unequal byte strings", "[crypto][compare]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "Abc"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK_FALSE(constant_time_equal("ab", "abc"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK_FALSE(constant_time_equal("abc", "abc="));
  const std::string with_nul("a\0b", 3);
  CHECK(constant_time_equal(with_nul, std::string("a\0b", 3)));
  CHECK_FALSE(constant_time_equal(with_nul, std::string("a\0c", 3)));
  const std::vector<unsigned char> x{1, 2, 3}, y{1, 2, 3}, z{1, 2, 4};
  CHECK(constant_time_equal(ByteView(x), ByteView(y)));
  CHECK_FALSE(constant_time_equal(ByteView(x), ByteView(z)));
}
