#pragma once
// A store's name where the library names it (session events, metrics): its public `store_name` when
// it declares one (every store of the library does), else "store".

#include <concepts>
#include <string_view>

namespace sessions::detail {

template <class Storage>
[[nodiscard]] constexpr std::string_view store_name() noexcept {
  if constexpr (requires {
                  { Storage::store_name } -> std::convertible_to<std::string_view>;
                }) {
    return Storage::store_name;
  } else {
    return "store";
  }
}

}  // namespace sessions::detail
