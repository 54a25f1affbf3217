#pragma once
// Reading a request's `Cookie` header (RFC 6265 §5.4 is what a browser sends; this is the lenient
// reading servers and browsers apply to it).
//
// The header is `name=value; name2=value2; ...`. We split on `;`, trim spaces and tabs around names
// and values, take the value out of a pair of double quotes when it is wrapped in them, and skip
// pairs that cannot name a cookie (no `=`, an empty name) or that carry control characters. A name
// that occurs twice is kept twice, in order (parse_cookie_header). Which one names the session is
// a choice (find_session_cookie, Settings::duplicate_cookies): browsers send the cookie with the
// longest Path first, then the oldest, and anyone who can plant a cookie (a sibling subdomain, a
// plain-HTTP response) can place theirs before or after the site's own, so no position is
// trustworthy. Django's parse_cookie is a dict, so the LAST wins there; we do the same by default,
// so a Django application and ours behind one domain always serve the same session. The real
// defence is a `__Host-` cookie name, which nobody else can set (docs/SECURITY.md).
//
// The header comes from the network, so the work is bounded: only the first `max_bytes` bytes are
// read and at most `max_pairs` pairs are returned, and nothing is copied (the results are views
// into the caller's header, valid as long as it is).

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <optional>
#include <string_view>
#include <vector>

#include "../detail/byte_word.hpp"

namespace sessions::cookie {

/// How much of a Cookie header is read by default. Servers commonly refuse request headers over
/// 8 KiB; a longer Cookie header is an attack or a broken client, not something to read fully.
inline constexpr std::size_t kMaxCookieHeaderBytes = 8192;

/// How many pairs are returned (and searched) by default. Browsers keep a few dozen cookies per
/// domain; thousands of tiny pairs in one header exist only to make servers do work.
inline constexpr std::size_t kMaxCookiePairs = 256;

/// One `name=value` of a Cookie header, as views into the header.
struct CookiePair {
  std::string_view name;
  std::string_view value;

  friend bool operator==(const CookiePair&, const CookiePair&) = default;
};

namespace detail {

// RFC 6265's OWS around names and values: spaces and horizontal tabs only. Other whitespace
// (CR, LF, VT, FF) is a control character here, and a pair holding one is dropped as junk.
[[nodiscard]] constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 6265bis drops a cookie whose name or value holds %x00-08 / %x0A-1F / %x7F (HTAB is fine).
// A NUL or a CR/LF in a pair means a broken or hostile client; never hand such bytes onward,
// where they could end up in a log line, a file name or another header.
[[nodiscard]] constexpr bool has_control_byte(unsigned char c) noexcept { return (c < 0x20 && c != '\t') || c == 0x7F; }

// Eight bytes at a time while none is below 0x20 or 0x7F (every request's Cookie header passes
// here); a group that has one (a tab, most likely) is looked at byte by byte.
[[nodiscard]] constexpr bool has_control(std::string_view s) noexcept {
  std::size_t i = 0;
  if (!std::is_constant_evaluated()) {
    for (; i + 8 <= s.size(); i += 8) {
      const std::uint64_t w = sessions::detail::byte_word::load(s.data() + i);
      if (!sessions::detail::byte_word::any_below(w, 0x20) && !sessions::detail::byte_word::any_equal(w, 0x7F))
        continue;
      for (std::size_t j = i; j < i + 8; ++j) {
        if (has_control_byte(static_cast<unsigned char>(s[j]))) return true;
      }
    }
  }
  for (; i < s.size(); ++i) {
    if (has_control_byte(static_cast<unsigned char>(s[i]))) return true;
  }
  return false;
}

// The part of `header` that is read: all of it when it fits in `max_bytes`; otherwise the first
// `max_bytes` bytes, minus a pair cut in two by the limit. A cut pair is dropped rather than
// returned truncated, because a shortened value is a wrong value (a session key one byte short
// would look like a forged key). A pair counts as whole only when a `;` follows it right at the
// limit; looking further for the end of it would read past the bound.
[[nodiscard]] constexpr std::string_view bounded(std::string_view header, std::size_t max_bytes) noexcept {
  if (header.size() <= max_bytes) return header;
  if (header[max_bytes] == ';') return header.substr(0, max_bytes);
  const std::string_view head = header.substr(0, max_bytes);
  const std::size_t last_separator = head.rfind(';');
  return last_separator == std::string_view::npos ? std::string_view{} : head.substr(0, last_separator);
}

// One `;`-separated segment into a pair, or nothing if the segment is junk.
[[nodiscard]] constexpr std::optional<CookiePair> parse_pair(std::string_view segment) noexcept {
  // The first `=` splits: a value may hold `=` itself (base64 padding, signed values).
  const std::size_t eq = segment.find('=');
  if (eq == std::string_view::npos) return std::nullopt;  // `novalue`: not a name=value pair
  const std::string_view name = trim_ows(segment.substr(0, eq));
  if (name.empty()) return std::nullopt;  // `=x`: nothing to look the value up by
  std::string_view value = trim_ows(segment.substr(eq + 1));
  // RFC 6265 lets a value be DQUOTE-wrapped; the quotes are not part of it. Backslash escapes
  // are not decoded: `\` is not a cookie-octet, so no conforming server ever wrote one.
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (has_control(name) || has_control(value)) return std::nullopt;
  return CookiePair{name, value};
}

// Calls `visit(pair)` for each pair in order until it returns false or `max_pairs` pairs were
// seen. The only loop over the header, so find_cookie and parse_cookie_header always agree.
template <class Visit>
constexpr void for_each_pair(std::string_view header, std::size_t max_bytes, std::size_t max_pairs, Visit&& visit) {
  std::string_view rest = bounded(header, max_bytes);
  std::size_t seen = 0;
  while (seen < max_pairs && !rest.empty()) {
    const std::size_t semicolon = rest.find(';');
    const std::string_view segment = rest.substr(0, semicolon);
    rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
    if (const auto pair = parse_pair(segment)) {
      ++seen;
      if (!visit(*pair)) return;
    }
  }
}

}  // namespace detail

/// The value of the first cookie called `name` in a Cookie header, without allocating; nothing if
/// there is none. For the session cookie the middleware uses find_session_cookie, which applies
/// Settings::duplicate_cookies (Django's last-wins by default). Only the first `max_bytes` bytes
/// and the first `max_pairs` valid pairs are searched (see parse_cookie_header).
[[nodiscard]] inline std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name,
                                                                 std::size_t max_bytes = kMaxCookieHeaderBytes,
                                                                 std::size_t max_pairs = kMaxCookiePairs) {
  std::optional<std::string_view> found;
  detail::for_each_pair(header, max_bytes, max_pairs, [&](const CookiePair& pair) {
    if (pair.name != name) return true;
    found = pair.value;
    return false;
  });
  return found;
}

/// Which of several cookies with the session cookie's name names the session.
enum class DuplicateCookies {
  /// The last one, as Django's parse_cookie (a dict) does: the default, so that a Django twin
  /// behind the same domain serves the same session.
  last,
  /// The first one (the longest Path, as browsers order them).
  first,
  /// None, when their values differ: the request counts as carrying no session cookie (and is
  /// logged). An attacker who plants a cookie then cannot choose the session served, only keep
  /// the visitor from having one while the planted cookie lives.
  reject,
};

/// What find_session_cookie found: the value to use (if any), and whether the name occurred with
/// different values.
struct SessionCookie {
  std::optional<std::string_view> value;
  bool conflicting = false;
};

/// The session cookie called `name` under the `rule` for duplicates, within the same bounds as
/// find_cookie (only pairs within them count).
[[nodiscard]] inline SessionCookie find_session_cookie(std::string_view header, std::string_view name,
                                                       DuplicateCookies rule,
                                                       std::size_t max_bytes = kMaxCookieHeaderBytes,
                                                       std::size_t max_pairs = kMaxCookiePairs) {
  SessionCookie found;
  detail::for_each_pair(header, max_bytes, max_pairs, [&](const CookiePair& pair) {
    if (pair.name != name) return true;
    if (!found.value) {
      found.value = pair.value;
      return true;
    }
    if (pair.value != *found.value) found.conflicting = true;
    if (rule == DuplicateCookies::last) found.value = pair.value;
    return true;
  });
  if (rule == DuplicateCookies::reject && found.conflicting) found.value.reset();
  return found;
}

/// Every valid pair of a Cookie header, in order, repeated names included.
///
/// Bounds: a header longer than `max_bytes` is read only up to that length, and a pair that the
/// limit cuts in two is dropped rather than returned with a truncated value. At most `max_pairs`
/// pairs are returned; later ones are ignored. Skipped as junk: segments without `=`, with an
/// empty name, or with a control character (other than tab) in the name or value. Bytes above
/// 0x7F are kept as they are (browsers send UTF-8 values; validating them is the reader's job).
[[nodiscard]] inline std::vector<CookiePair> parse_cookie_header(std::string_view header,
                                                                 std::size_t max_bytes = kMaxCookieHeaderBytes,
                                                                 std::size_t max_pairs = kMaxCookiePairs) {
  std::vector<CookiePair> pairs;
  detail::for_each_pair(header, max_bytes, max_pairs, [&](const CookiePair& pair) {
    pairs.push_back(pair);
    return true;
  });
  return pairs;
}

}  // namespace sessions::cookie
