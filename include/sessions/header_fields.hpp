#pragma once
// The response headers the middleware hands to an adapter, and how an adapter puts them on its
// response: Vary and Cache-Control merge into the response's own field of that name (one field,
// as Django's patch_vary_headers and patch_cache_control leave it), every other header (Set-Cookie,
// the session header) is added as a field of its own. An adapter needs only this:
//
//   for (const HeaderField& h : middleware.finish(session, status)) {
//     if (merges_into_response(h.name)) set(h.name, merge_header(h.name, existing(h.name), h.value));
//     else add(h.name, h.value);
//   }

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace sessions {

struct HeaderField {
  std::string name;
  std::string value;
  friend bool operator==(const HeaderField&, const HeaderField&) = default;
};
using HeaderFields = std::vector<HeaderField>;

namespace detail {

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline bool iequal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// Calls `each(item)` for every non-empty, trimmed item of a comma-separated header value; stops
/// (returning true) when `each` returns true.
template <class Each>
bool any_list_item(std::string_view value, Each&& each) {
  while (true) {
    const auto comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    if (!item.empty() && each(item)) return true;
    if (comma == std::string_view::npos) return false;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace detail

/// Django's patch_vary_headers for one header: `add` appended to an existing Vary value unless
/// present already (compared case-insensitively); `*` stays `*`.
[[nodiscard]] inline std::string patch_vary(std::string_view existing, std::string_view add) {
  bool any = false;
  bool star = false;
  const bool present = detail::any_list_item(existing, [&](std::string_view item) {
    any = true;
    star = item == "*";
    return star || detail::iequal(item, add);
  });
  if (star) return "*";
  if (present) return std::string(detail::trim_ows(existing));
  if (!any) return std::string(add);
  std::string out(detail::trim_ows(existing));
  out += ", ";
  out += add;
  return out;
}

/// Django's patch_cache_control(response, private=True): `public` dropped (the two contradict
/// each other), `private` appended unless present already; the other directives stay as they are.
[[nodiscard]] inline std::string patch_cache_control_private(std::string_view existing) {
  std::string out;
  bool has_private = false;
  (void)detail::any_list_item(existing, [&](std::string_view item) {
    const std::string_view directive = detail::trim_ows(item.substr(0, item.find('=')));
    if (detail::iequal(directive, "public")) return false;
    has_private = has_private || detail::iequal(directive, "private");
    if (!out.empty()) out += ", ";
    out += item;
    return false;
  });
  if (!has_private) out += out.empty() ? "private" : ", private";
  return out;
}

/// Whether an adapter merges the header `name` from the middleware into the response's own field
/// of that name (Vary, Cache-Control) instead of adding a field.
[[nodiscard]] inline bool merges_into_response(std::string_view name) noexcept {
  return detail::iequal(name, "Vary") || detail::iequal(name, "Cache-Control");
}

/// The merged value of a header merges_into_response() names: `existing` is the response's own
/// value (its fields joined with ", "; empty when it has none), `add` the middleware's.
[[nodiscard]] inline std::string merge_header(std::string_view name, std::string_view existing, std::string_view add) {
  if (detail::trim_ows(existing).empty()) return std::string(add);
  // The middleware's Cache-Control is always `private`.
  if (detail::iequal(name, "Cache-Control")) return patch_cache_control_private(existing);
  return patch_vary(existing, add);  // the middleware sends one name per Vary field
}

}  // namespace sessions
