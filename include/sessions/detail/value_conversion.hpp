#pragma once
// Session::get(key, fallback)'s conversion of a stored value to the fallback's type.

#include <string>
#include <string_view>
#include <type_traits>

#include "../data.hpp"
#include "../errors.hpp"

namespace sessions::detail {

/// The type get(key, fallback) returns: the fallback's, with a string literal (or anything else
/// that converts to std::string_view, but Data) read as std::string.
template <class T>
using get_result_t =
    std::conditional_t<std::is_convertible_v<T, std::string_view> && !std::is_same_v<std::remove_cvref_t<T>, Data>,
                       std::string, std::remove_cvref_t<T>>;

/// `value` (stored under `key`) as an R; ValueTypeError when it cannot be converted.
template <class R>
[[nodiscard]] R converted_value(std::string_view key, const Data& value) {
  if constexpr (std::is_same_v<R, Data>) {
    return value;
  } else {
    try {
      return value.template get<R>();
    } catch (const nlohmann::json::exception&) {
      throw ValueTypeError("session value '" + std::string(key) + "' is a " + value.type_name() +
                           " and cannot be converted to the requested type");
    }
  }
}

}  // namespace sessions::detail
