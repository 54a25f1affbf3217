#pragma once
// Byte views shared by the crypto/ headers. Text (std::string_view) and binary buffers
// (std::vector<unsigned char>, std::array) both reach libcrypto as a span of unsigned char, so every
// primitive takes `ByteView` and the string overloads only reinterpret, never copy.

#include <cstddef>
#include <span>
#include <string_view>

namespace sessions::crypto {

/// Read-only bytes handed to a primitive.
using ByteView = std::span<const unsigned char>;

/// The bytes of a string (UTF-8 text is hashed and MACed as its encoded bytes, as Python does).
[[nodiscard]] inline ByteView as_bytes(std::string_view text) noexcept {
  // char and unsigned char may alias each other, so this view is well-defined.
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace sessions::crypto
