#pragma once
// Store URLs: one small parser for every store that is configured with a URL.
//
//   scheme://[user[:password]@]host[:port][,host[:port]...][/path][?name=value&...]
//   scheme:path[?query]                   (no authority: e.g. sqlite:relative.db)
//
// Examples:  sqlite:///var/lib/app/sessions.db        (absolute path "/var/lib/app/sessions.db")
//            sqlite://data/sessions.db                (relative: see SqliteStore)
//            postgresql://app:s%40cret@db1:5432,db2/app?sslmode=require
//            postgresql:///app?host=/var/run/postgresql   (unix socket)
//            redis://:password@127.0.0.1:6379/0   rediss://...   unix:///run/redis.sock
//            memcached://10.0.0.1:11211,10.0.0.2:11211
//
// What the parser does, and nothing more: splits the parts, lower-cases the scheme, percent-decodes
// user, password, hosts, path and query names and values (`+` stays a `+`: these are URLs, not
// HTML forms), checks ports (1..65535) and IPv6 literals (`[::1]:6379`). What a part means is the
// store's business (Url::take / take_integer / ... consume the query parameters a store knows, and
// reject_unknown_parameters() refuses the rest, so a typo is an error rather than a silent default).
//
// Every malformed URL is a sessions::ConfigurationError. Messages never contain the password: they
// show Url::redacted() or, before a URL is parsed, the text with its userinfo masked.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "../errors.hpp"

namespace sessions {

/// One host of a URL's host list, percent-decoded (an IPv6 literal without its brackets).
struct UrlHost {
  std::string name;
  std::optional<std::uint16_t> port;
  bool ipv6 = false;  // written as [literal]

  friend bool operator==(const UrlHost&, const UrlHost&) = default;
};

struct Url {
  /// Lower case, e.g. "postgresql".
  std::string scheme;
  /// The URL had a `//` authority part (possibly empty, as in `sqlite:///abs`).
  bool has_authority = false;
  std::optional<std::string> username;
  std::optional<std::string> password;
  /// Empty when the authority names no host (`postgresql:///db`, `unix:///path`).
  std::vector<UrlHost> hosts;
  /// Percent-decoded; starts with '/' whenever there is an authority and a path.
  std::string path;
  /// Query parameters in order, percent-decoded. `?flag` gives {"flag", ""}.
  std::vector<std::pair<std::string, std::string>> query;

  /// The value of parameter `name` (its last occurrence), without consuming it.
  [[nodiscard]] std::optional<std::string> parameter(std::string_view name) const {
    std::optional<std::string> value;
    for (const auto& [k, v] : query) {
      if (k == name) value = v;
    }
    return value;
  }

  /// Removes parameter `name` and returns its value; nullopt when absent. Given twice, it is a
  /// ConfigurationError (which one was meant?).
  std::optional<std::string> take(std::string_view name) {
    std::optional<std::string> value;
    for (auto it = query.begin(); it != query.end();) {
      if (it->first == name) {
        if (value) throw ConfigurationError(where() + ": the parameter '" + std::string(name) + "' is given twice");
        value = std::move(it->second);
        it = query.erase(it);
      } else {
        ++it;
      }
    }
    return value;
  }

  /// take(name) as an integer in [min, max].
  std::optional<std::int64_t> take_integer(std::string_view name, std::int64_t min, std::int64_t max) {
    const std::optional<std::string> text = take(name);
    if (!text) return std::nullopt;
    std::int64_t value = 0;
    const char* first = text->data();
    const char* last = first + text->size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (text->empty() || ec != std::errc{} || ptr != last || value < min || value > max) {
      throw ConfigurationError(where() + ": the parameter '" + std::string(name) + "' must be an integer from " +
                               std::to_string(min) + " to " + std::to_string(max) + ", not '" + *text + "'");
    }
    return value;
  }

  /// take(name) as a number of milliseconds (a plain integer) in [0, max].
  std::optional<std::chrono::milliseconds> take_milliseconds(std::string_view name,
                                                             std::int64_t max = 24LL * 3600 * 1000) {
    const auto value = take_integer(name, 0, max);
    if (!value) return std::nullopt;
    return std::chrono::milliseconds{*value};
  }

  /// take(name) as a boolean: 1/0, true/false, yes/no, on/off (any case); `?flag` alone is true.
  std::optional<bool> take_bool(std::string_view name) {
    const std::optional<std::string> text = take(name);
    if (!text) return std::nullopt;
    std::string lower = *text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return ascii_lower(c); });
    if (lower.empty() || lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
    throw ConfigurationError(where() + ": the parameter '" + std::string(name) + "' must be true or false, not '" +
                             *text + "'");
  }

  /// A ConfigurationError naming every parameter still in `query` (call it after taking the
  /// known ones).
  void reject_unknown_parameters() const {
    if (query.empty()) return;
    std::string names;
    for (const auto& [k, v] : query) {
      if (!names.empty()) names += ", ";
      names += "'" + k + "'";
    }
    throw ConfigurationError(where() + ": unknown parameter" + (query.size() > 1 ? "s " : " ") + names);
  }

  /// The URL for messages and logs: the password replaced by "***", the query left out.
  [[nodiscard]] std::string redacted() const {
    std::string out = scheme + ":";
    if (has_authority) {
      out += "//";
      if (username || password) {
        out += username.value_or("");
        if (password) out += ":***";
        out += '@';
      }
      out += host_list();
    }
    out += path;
    return out;
  }

  /// "host:port,host:port" (IPv6 in brackets), as written minus the percent-encoding.
  [[nodiscard]] std::string host_list() const {
    std::string out;
    for (const UrlHost& h : hosts) {
      if (!out.empty()) out += ',';
      // Appended piece by piece: a temporary `"[" + name + "]"` makes g++ 12 -O2 warn -Wrestrict.
      if (h.ipv6) out += '[';
      out += h.name;
      if (h.ipv6) out += ']';
      if (h.port) {
        out += ':';
        out += std::to_string(*h.port);
      }
    }
    return out;
  }

  [[nodiscard]] static constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }

 private:
  [[nodiscard]] std::string where() const { return "URL " + redacted(); }
};

namespace detail::url {

[[nodiscard]] constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// `text` with any userinfo (between "//" and the last '@' of the authority) replaced by "***",
/// for error messages about a URL that could not be parsed.
[[nodiscard]] inline std::string mask(std::string_view text) {
  const std::size_t slashes = text.find("//");
  if (slashes == std::string_view::npos) return std::string(text);
  const std::size_t start = slashes + 2;
  const std::size_t end = text.find_first_of("/?#", start);
  const std::string_view authority = text.substr(start, end == std::string_view::npos ? text.npos : end - start);
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  std::string out(text.substr(0, start));
  out += "***";
  out += text.substr(start + at);
  return out;
}

[[noreturn]] inline void fail(std::string_view text, std::string_view why) {
  throw ConfigurationError("invalid URL '" + mask(text) + "': " + std::string(why));
}

/// Percent-decodes `part`; a stray '%' or a decoded NUL is an error.
[[nodiscard]] inline std::string decode(std::string_view text, std::string_view part, std::string_view what) {
  std::string out;
  out.reserve(part.size());
  for (std::size_t i = 0; i < part.size(); ++i) {
    const char c = part[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= part.size()) fail(text, std::string("a truncated %-escape in the ") + std::string(what));
    const int hi = hex_value(part[i + 1]);
    const int lo = hex_value(part[i + 2]);
    if (hi < 0 || lo < 0) fail(text, std::string("an invalid %-escape in the ") + std::string(what));
    const char decoded = static_cast<char>((hi << 4) | lo);
    if (decoded == '\0') fail(text, std::string("%00 in the ") + std::string(what));
    out += decoded;
    i += 2;
  }
  return out;
}

[[nodiscard]] inline UrlHost parse_host(std::string_view text, std::string_view item) {
  UrlHost host;
  std::string_view port_text;
  bool has_port = false;
  if (!item.empty() && item.front() == '[') {
    const std::size_t close = item.find(']');
    if (close == std::string_view::npos) fail(text, "an IPv6 address without its closing ']'");
    // An address, optionally with a zone (RFC 6874: `[fe80::1%25eth0]`).
    const std::string literal = decode(text, item.substr(1, close - 1), "IPv6 address");
    const std::size_t zone = literal.find('%');
    const std::string_view address = std::string_view(literal).substr(0, zone);
    bool ok = !address.empty() && address.find(':') != std::string_view::npos &&
              address.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
    if (ok && zone != std::string::npos) {
      const std::string_view name = std::string_view(literal).substr(zone + 1);
      ok = !name.empty();
      for (const char c : name) ok = ok && (is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.' || c == '~');
    }
    if (!ok) fail(text, "an invalid IPv6 address");
    host.name = literal;
    host.ipv6 = true;
    const std::string_view rest = item.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') fail(text, "unexpected characters after an IPv6 address");
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    const std::size_t colon = item.rfind(':');
    std::string_view name = item;
    if (colon != std::string_view::npos) {
      name = item.substr(0, colon);
      port_text = item.substr(colon + 1);
      has_port = true;
      if (name.find(':') != std::string_view::npos) fail(text, "an IPv6 address must be written in brackets");
    }
    host.name = decode(text, name, "host");
  }
  if (has_port && !port_text.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535 ||
        !is_digit(port_text.front())) {
      fail(text, "the port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    host.port = static_cast<std::uint16_t>(value);
  }
  if (host.name.empty() && host.port) fail(text, "a port without a host");
  return host;
}

}  // namespace detail::url

/// The scheme of `text`, lower case, without parsing the rest: "sqlite" for `sqlite:/tmp/x.db`
/// (no authority, RFC 3986's form for an absolute path, as `file:/dir`) as for
/// `sqlite:///tmp/x.db`. For choosing a store by URL; ConfigurationError when there is no scheme.
[[nodiscard]] inline std::string url_scheme(std::string_view text) {
  const std::size_t colon = text.find(':');
  bool ok = colon != std::string_view::npos && colon != 0 && detail::url::is_alpha(text.front());
  std::string scheme;
  for (std::size_t i = 0; ok && i < colon; ++i) {
    const char c = text[i];
    ok = detail::url::is_alpha(c) || detail::url::is_digit(c) || c == '+' || c == '-' || c == '.';
    scheme += Url::ascii_lower(c);
  }
  if (!ok) detail::url::fail(text, "no scheme: a store URL starts with one, e.g. 'sqlite:' or 'redis:'");
  return scheme;
}

/// Parses `text`; ConfigurationError when it is not a well-formed URL.
[[nodiscard]] inline Url parse_url(std::string_view text) {
  using namespace detail::url;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) fail(text, "spaces and control characters must be %-encoded");
  }
  Url url;
  // scheme
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(text.front()))
    fail(text, "no scheme (e.g. 'sqlite:')");
  for (const char c : text.substr(0, colon)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') fail(text, "an invalid scheme");
    url.scheme += Url::ascii_lower(c);
  }
  std::string_view rest = text.substr(colon + 1);
  // fragment: no store has a use for one, and a raw '#' in a password would silently cut the URL
  if (rest.find('#') != std::string_view::npos) fail(text, "a '#' (write it as %23 in a password)");
  // query
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // authority
  if (rest.starts_with("//")) {
    url.has_authority = true;
    rest.remove_prefix(2);
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      authority.remove_prefix(at + 1);
      const std::size_t sep = userinfo.find(':');
      url.username = decode(text, userinfo.substr(0, sep), "user name");
      if (sep != std::string_view::npos) url.password = decode(text, userinfo.substr(sep + 1), "password");
    }
    if (!authority.empty()) {
      std::size_t start = 0;
      for (;;) {
        const std::size_t comma = authority.find(',', start);
        const std::string_view item =
            authority.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (item.empty()) fail(text, "an empty entry in the host list");
        url.hosts.push_back(parse_host(text, item));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      for (const UrlHost& h : url.hosts) {
        if (h.name.empty()) fail(text, "an empty host name");
      }
    }
  }
  url.path = decode(text, rest, "path");
  // query parameters
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    const std::size_t amp = query.find('&', start);
    const std::string_view item =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!item.empty()) {
      const std::size_t eq = item.find('=');
      std::string name = decode(text, item.substr(0, eq), "query");
      if (name.empty()) fail(text, "a query parameter without a name");
      std::string value = eq == std::string_view::npos ? std::string() : decode(text, item.substr(eq + 1), "query");
      url.query.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return url;
}

}  // namespace sessions
