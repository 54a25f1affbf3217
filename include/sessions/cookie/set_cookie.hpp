#pragma once
// Writing a `Set-Cookie` header value, byte for byte as Django writes it through Python's
// http.cookies: `name=value` then the attributes sorted by Python's key (domain, expires,
// httponly, max-age, path, samesite, secure), spelled `Domain`, `expires`, `HttpOnly`, `Max-Age`,
// `Path`, `SameSite`, `Secure`, with `Partitioned` (not in Django) last. Matching Django exactly
// lets a C++ service and a Django one share a session cookie, and lets tests compare headers as
// strings.
//
// Everything written is checked first: a name, value, Domain or Path that could end the header
// early (CR/LF), add an attribute (`;`) or be mangled by a browser is refused with CookieError,
// as is a cookie a browser would silently drop (a broken prefix rule, SameSite=None without
// Secure, more than 4096 bytes). Failing loudly on the server beats a session that never sticks.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "../clock.hpp"
#include "../errors.hpp"
#include "../settings.hpp"
#include "http_date.hpp"

namespace sessions::cookie {

/// The most a browser keeps of one cookie; a larger Set-Cookie value is refused (CookieTooLarge).
/// Counted over the whole header value (name, value and attributes), which is stricter than
/// RFC 6265bis's name+value limit and so safe under either reading.
inline constexpr std::size_t kMaxSetCookieBytes = 4096;

/// The longest lifetime browsers honour (RFC 6265bis: 400 days); Max-Age and Expires are capped
/// to it so that what we write is what the browser does.
inline constexpr std::chrono::seconds kMaxCookieLifetime{400LL * 24 * 60 * 60};  // 34'560'000

/// One cookie to set. An empty `path` or an engaged but empty `domain` writes no attribute, as
/// Python's Morsel skips empty attributes.
struct SetCookie {
  std::string name;
  std::string value;
  std::optional<std::chrono::seconds> max_age;  // Max-Age
  std::optional<TimePoint> expires;             // Expires
  std::optional<std::string> domain;
  std::string path = "/";
  bool secure = false;
  bool httponly = false;
  sessions::SameSite samesite = sessions::SameSite::omit;
  bool partitioned = false;
};

namespace detail {

[[nodiscard]] constexpr bool is_ctl(unsigned char c) noexcept { return c < 0x20 || c == 0x7F; }

// RFC 2616 token, which RFC 6265 uses for cookie names: visible ASCII except the separators.
[[nodiscard]] constexpr bool is_token_char_slow(unsigned char c) noexcept {
  if (is_ctl(c) || c >= 0x80 || c == ' ') return false;
  return std::string_view{"()<>@,;:\\\"/[]?={}"}.find(static_cast<char>(c)) == std::string_view::npos;
}

// RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, i.e. visible ASCII except
// DQUOTE, comma, semicolon and backslash.
[[nodiscard]] constexpr bool is_cookie_octet_slow(unsigned char c) noexcept {
  return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

// The two checks above as one table (every response checks its cookie's name and value byte by
// byte): bit 0 token, bit 1 cookie-octet.
inline constexpr auto kCookieCharClass = [] {
  struct Table {
    unsigned char bits[256];
  } t{};
  for (unsigned c = 0; c < 256; ++c) {
    const auto b = static_cast<unsigned char>(c);
    t.bits[c] = static_cast<unsigned char>((is_token_char_slow(b) ? 1U : 0U) | (is_cookie_octet_slow(b) ? 2U : 0U));
  }
  return t;
}();

[[nodiscard]] constexpr bool is_token_char(unsigned char c) noexcept { return (kCookieCharClass.bits[c] & 1U) != 0; }
[[nodiscard]] constexpr bool is_cookie_octet(unsigned char c) noexcept { return (kCookieCharClass.bits[c] & 2U) != 0; }

// Path: RFC 6265's av-octet (any CHAR but CTLs and `;`), ASCII only.
[[nodiscard]] constexpr bool is_path_char(unsigned char c) noexcept { return !is_ctl(c) && c < 0x80 && c != ';'; }

// Domain: a host name (LDH labels and dots); anything else is not a domain a browser accepts.
[[nodiscard]] constexpr bool is_domain_char(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// Browsers match the cookie prefixes case-insensitively (RFC 6265bis), so `__secure-x` gets the
// same rules as `__Secure-x`; checking the same way keeps us from writing what they would drop.
[[nodiscard]] constexpr bool has_prefix_ci(std::string_view name, std::string_view prefix) noexcept {
  if (name.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char p = prefix[i];
    if (p >= 'A' && p <= 'Z') p = static_cast<char>(p - 'A' + 'a');
    if (c != p) return false;
  }
  return true;
}

[[nodiscard]] constexpr bool has_secure_prefix(std::string_view name) noexcept {
  return has_prefix_ci(name, "__Secure-");
}
[[nodiscard]] constexpr bool has_host_prefix(std::string_view name) noexcept { return has_prefix_ci(name, "__Host-"); }

// `text` for an error message: printable ASCII as is, every other byte as \xNN, at most 64 bytes.
// A refused name may hold CR/LF; putting it raw into a message would move the injection into
// whatever log the message lands in.
[[nodiscard]] inline std::string printable(std::string_view text) {
  constexpr std::size_t kShown = 64;
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4U];
      out += kHex[c & 0x0FU];
    }
  }
  if (text.size() > kShown) out += "...";
  return out;
}

[[nodiscard]] inline std::string byte_at(std::string_view text, std::size_t i) {
  return "byte " + printable(text.substr(i, 1)) + " at offset " + std::to_string(i);
}

[[noreturn]] inline void refuse(const std::string& what) { throw CookieError("cannot set cookie: " + what); }

inline void check_name(std::string_view name) {
  if (name.empty()) refuse("the cookie name is empty");
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_token_char(static_cast<unsigned char>(name[i]))) {
      refuse("cookie name \"" + printable(name) + "\" has " + byte_at(name, i) +
             ", which is not allowed in an RFC 6265 token (no control characters, spaces, "
             "separators ()<>@,;:\\\"/[]?={} or non-ASCII bytes)");
    }
  }
}

inline void check_value(std::string_view name, std::string_view value) {
  // Django deletes a cookie by setting it to `""` (Python quotes the empty string); keep that.
  if (value == "\"\"") return;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!is_cookie_octet(static_cast<unsigned char>(value[i]))) {
      // The value itself is not quoted: it may be a session key.
      refuse("the value of cookie \"" + printable(name) + "\" has " + byte_at(value, i) +
             ", which is not a cookie-octet (allowed: visible ASCII except '\"', ',', ';' and '\\')");
    }
  }
}

inline void check_domain(std::string_view name, std::string_view domain) {
  for (std::size_t i = 0; i < domain.size(); ++i) {
    if (!is_domain_char(static_cast<unsigned char>(domain[i]))) {
      refuse("the Domain \"" + printable(domain) + "\" of cookie \"" + printable(name) + "\" has " +
             byte_at(domain, i) + "; a Domain may hold only A-Z, a-z, 0-9, '.' and '-'");
    }
  }
}

inline void check_path(std::string_view name, std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (!is_path_char(static_cast<unsigned char>(path[i]))) {
      refuse("the Path \"" + printable(path) + "\" of cookie \"" + printable(name) + "\" has " + byte_at(path, i) +
             "; a Path may not hold control characters, ';' or non-ASCII bytes");
    }
  }
}

[[nodiscard]] constexpr std::string_view samesite_text(SameSite s) noexcept {
  switch (s) {
    case SameSite::lax:
      return "Lax";
    case SameSite::strict:
      return "Strict";
    case SameSite::none:
      return "None";
    case SameSite::omit:
      return "";
  }
  return "";
}

// now + d, saturating at TimePoint::max() so that a far-future clock cannot overflow (UB). `d` is
// always within [0, kMaxCookieLifetime] here, so `max() - d` itself cannot overflow.
[[nodiscard]] inline TimePoint saturating_add(TimePoint now, std::chrono::seconds d) noexcept {
  if (now > TimePoint::max() - d) return TimePoint::max();
  return now + d;
}

}  // namespace detail

/// The value of a Set-Cookie header for `c` (without `Set-Cookie: `), e.g.
/// `sid=abc; Domain=.example.local; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly;
/// Max-Age=1209600; Path=/app/; SameSite=Strict; Secure`.
///
/// `now` is used for the 400-day cap and, as Django's set_cookie does ("IE requires expires"), to
/// write `expires=now+Max-Age` when Max-Age is given without Expires. Max-Age is written within
/// [0, 34560000] (a negative one as 0, an expired cookie) and Expires at most now + 400 days.
///
/// Throws CookieError, naming the offending part, for: an empty or non-token name; a value with a
/// byte outside cookie-octet (the exact value `""` is allowed); a Domain outside [A-Za-z0-9.-]; a
/// Path with a control character, `;` or a non-ASCII byte; SameSite=None or Partitioned without
/// Secure; a `__Secure-` name without Secure; a `__Host-` name without Secure, with a Domain, or
/// with a Path other than `/` (prefixes matched case-insensitively, as browsers do). Throws
/// CookieTooLarge if the result would exceed kMaxSetCookieBytes.
[[nodiscard]] inline std::string build_set_cookie(const SetCookie& c, TimePoint now) {
  const std::string_view domain = c.domain ? std::string_view{*c.domain} : std::string_view{};

  detail::check_name(c.name);
  detail::check_value(c.name, c.value);
  detail::check_domain(c.name, domain);
  detail::check_path(c.name, c.path);

  // Rules under which a browser drops the cookie without a word; refusing here surfaces the
  // misconfiguration instead of a login that silently never sticks.
  // The name as messages show it, built only for a refusal (every response builds a cookie).
  const auto shown = [&c] { return "\"" + detail::printable(c.name) + "\""; };
  if (detail::has_secure_prefix(c.name) && !c.secure) {
    detail::refuse("cookie " + shown() + " has the __Secure- prefix, so it must be Secure");
  }
  if (detail::has_host_prefix(c.name)) {
    if (!c.secure) detail::refuse("cookie " + shown() + " has the __Host- prefix, so it must be Secure");
    if (!domain.empty()) detail::refuse("cookie " + shown() + " has the __Host- prefix, so it may not have a Domain");
    if (c.path != "/") detail::refuse("cookie " + shown() + " has the __Host- prefix, so its Path must be \"/\"");
  }
  if (c.samesite == SameSite::none && !c.secure) {
    detail::refuse("cookie " + shown() + " has SameSite=None, which browsers accept only with Secure");
  }
  if (c.partitioned && !c.secure) {
    detail::refuse("cookie " + shown() + " is Partitioned, which browsers accept only with Secure");
  }

  std::optional<std::chrono::seconds> max_age;
  if (c.max_age) max_age = std::clamp(*c.max_age, std::chrono::seconds{0}, kMaxCookieLifetime);
  std::optional<TimePoint> expires;
  if (c.expires) {
    expires = std::min(*c.expires, detail::saturating_add(now, kMaxCookieLifetime));
  } else if (max_age) {
    expires = detail::saturating_add(now, *max_age);
  }

  std::string out;
  out.reserve(c.name.size() + c.value.size() + domain.size() + c.path.size() + 128);
  out += c.name;
  out += '=';
  out += c.value;
  if (!domain.empty()) {
    out += "; Domain=";
    out += domain;
  }
  if (expires) {
    out += "; expires=";
    append_http_date(out, *expires);
  }
  if (c.httponly) out += "; HttpOnly";
  if (max_age) {
    out += "; Max-Age=";
    out += std::to_string(max_age->count());
  }
  if (!c.path.empty()) {
    out += "; Path=";
    out += c.path;
  }
  if (c.samesite != SameSite::omit) {
    out += "; SameSite=";
    out += detail::samesite_text(c.samesite);
  }
  if (c.secure) out += "; Secure";
  if (c.partitioned) out += "; Partitioned";

  if (out.size() > kMaxSetCookieBytes) {
    throw CookieTooLarge("cannot set cookie " + shown() + ": its Set-Cookie value is " + std::to_string(out.size()) +
                         " bytes, over the " + std::to_string(kMaxSetCookieBytes) +
                         "-byte limit browsers keep for one cookie");
  }
  return out;
}

/// The Set-Cookie value that deletes cookie `name`, exactly as Django's delete_cookie writes it:
/// value `""`, `expires` at the epoch, `Max-Age=0`, the given Path, Domain and SameSite, and Secure
/// when the name has a `__Secure-`/`__Host-` prefix or SameSite is None (Django 4+), since a
/// browser would ignore the deletion otherwise. Path and Domain must match the ones the cookie was
/// set with, or the browser deletes nothing. Throws CookieError as build_set_cookie does.
[[nodiscard]] inline std::string delete_cookie_value(std::string_view name, std::string_view path,
                                                     const std::optional<std::string>& domain, SameSite samesite) {
  SetCookie c;
  c.name = std::string{name};
  c.value = "\"\"";
  c.max_age = std::chrono::seconds{0};
  c.expires = TimePoint{};  // Thu, 01 Jan 1970 00:00:00 GMT
  c.domain = domain;
  c.path = std::string{path};
  c.secure = detail::has_secure_prefix(name) || detail::has_host_prefix(name) || samesite == SameSite::none;
  c.samesite = samesite;
  // Every value written is fixed, so "now" only feeds the 400-day cap, which the epoch never
  // reaches; the epoch keeps the result independent of the clock.
  return build_set_cookie(c, TimePoint{});
}

}  // namespace sessions::cookie
