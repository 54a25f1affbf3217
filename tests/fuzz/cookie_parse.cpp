// Fuzz target: the request Cookie header parser (cookie/parse.hpp).
//
// Input: two bytes choosing the limits (max_bytes, max_pairs), then the header.
// Invariants:
//   - every pair is a view into the part of the header within max_bytes; at most max_pairs;
//   - names are non-empty, values and names hold no `;`, no control byte but tab, no OWS at
//     either end; names hold no `=`;
//   - find_cookie agrees with parse_cookie_header: the first pair of each name, nothing for a
//     name not returned;
//   - find_session_cookie picks the last / first value of a name, or none under `reject` when
//     the values differ, and says when they differ;
//   - writing the pairs back as `name="value"; ...` and parsing again gives the same pairs;
//   - the default limits behave as the explicit defaults.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sessions/cookie/parse.hpp>

#include "fuzz_support.hpp"

namespace {

using sessions::cookie::CookiePair;

bool is_control(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return (c < 0x20 && c != '\t') || c == 0x7F;
}

void check_pair_shape(const CookiePair& pair) {
  FUZZ_CHECK(!pair.name.empty());
  FUZZ_CHECK(pair.name.find('=') == std::string_view::npos);
  for (const std::string_view part : {pair.name, pair.value}) {
    FUZZ_CHECK(part.find(';') == std::string_view::npos);
    for (const char c : part) FUZZ_CHECK_MSG(!is_control(c), sessions_fuzz::shown(part));
  }
  FUZZ_CHECK(pair.name.front() != ' ' && pair.name.front() != '\t');
  FUZZ_CHECK(pair.name.back() != ' ' && pair.name.back() != '\t');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  // Small limits reach the truncation and pair-count paths with short inputs.
  const std::size_t max_bytes = input.ConsumeIntegralInRange<std::size_t>(0, 300);
  const std::size_t max_pairs = input.ConsumeIntegralInRange<std::size_t>(0, 40);
  const std::string header = input.ConsumeRemainingBytesAsString();
  const std::string_view view(header);

  const std::vector<CookiePair> pairs = sessions::cookie::parse_cookie_header(view, max_bytes, max_pairs);
  FUZZ_CHECK(pairs.size() <= max_pairs);
  const char* const begin = view.data();
  const char* const limit = view.data() + std::min(view.size(), max_bytes);
  for (const CookiePair& pair : pairs) {
    check_pair_shape(pair);
    FUZZ_CHECK(pair.name.data() >= begin && pair.name.data() + pair.name.size() <= limit);
    FUZZ_CHECK(pair.value.data() >= begin && pair.value.data() + pair.value.size() <= limit);
  }

  // find_cookie walks the same pairs: the first value of each name, and nothing for other names.
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    std::size_t first = i;
    for (std::size_t k = 0; k < i; ++k) {
      if (pairs[k].name == pairs[i].name) {
        first = k;
        break;
      }
    }
    const auto found = sessions::cookie::find_cookie(view, pairs[i].name, max_bytes, max_pairs);
    FUZZ_CHECK(found.has_value());
    FUZZ_CHECK(*found == pairs[first].value);
    FUZZ_CHECK(found->data() == pairs[first].value.data());
  }
  // find_session_cookie under each rule for duplicates agrees with the pairs: the last or first
  // value of the name (Django keeps the last), none under `reject` when two values differ.
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    using sessions::cookie::DuplicateCookies;
    const std::string_view name = pairs[i].name;
    std::vector<std::string_view> values;
    for (const CookiePair& pair : pairs) {
      if (pair.name == name) values.push_back(pair.value);
    }
    const bool differ =
        std::any_of(values.begin(), values.end(), [&](std::string_view v) { return v != values.front(); });
    const auto last = sessions::cookie::find_session_cookie(view, name, DuplicateCookies::last, max_bytes, max_pairs);
    const auto first = sessions::cookie::find_session_cookie(view, name, DuplicateCookies::first, max_bytes, max_pairs);
    const auto reject =
        sessions::cookie::find_session_cookie(view, name, DuplicateCookies::reject, max_bytes, max_pairs);
    FUZZ_CHECK(last.value && last.value->data() == values.back().data());
    FUZZ_CHECK(first.value && first.value->data() == values.front().data());
    FUZZ_CHECK(last.conflicting == differ && first.conflicting == differ && reject.conflicting == differ);
    FUZZ_CHECK(differ ? !reject.value.has_value() : (reject.value && *reject.value == values.front()));
  }
  if (pairs.empty()) {
    FUZZ_CHECK(!sessions::cookie::find_cookie(view, "sessionid", max_bytes, max_pairs).has_value());
  }
  // A name no pair has is not found. (Names may hold spaces, as in Django's parse_cookie: the
  // fuzzer found a header with a cookie literally named "no such cookie".)
  const std::string absent = "no such cookie";
  const bool named_absent =
      std::any_of(pairs.begin(), pairs.end(), [&](const CookiePair& pair) { return pair.name == absent; });
  if (!named_absent) FUZZ_CHECK(!sessions::cookie::find_cookie(view, absent, max_bytes, max_pairs).has_value());

  // Round trip: the pairs written back (values always quoted, so the quotes the parser removed
  // once are removed once again) parse to the same pairs.
  std::string rebuilt;
  for (const CookiePair& pair : pairs) {
    if (!rebuilt.empty()) rebuilt += "; ";
    rebuilt.append(pair.name).append("=\"").append(pair.value).append("\"");
  }
  const std::vector<CookiePair> again = sessions::cookie::parse_cookie_header(rebuilt, rebuilt.size(), pairs.size());
  FUZZ_CHECK_MSG(again == pairs, sessions_fuzz::shown(rebuilt));

  // The defaults are the documented constants.
  FUZZ_CHECK(sessions::cookie::parse_cookie_header(view) ==
             sessions::cookie::parse_cookie_header(view, sessions::cookie::kMaxCookieHeaderBytes,
                                                   sessions::cookie::kMaxCookiePairs));
  return 0;
}
