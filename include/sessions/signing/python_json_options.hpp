#pragma once
// The knobs of the Python JSON reader and writer (signing/python_json.hpp) and the marker of a
// big integer: what a caller names when reading or writing Django's JSON.

#include <cstddef>
#include <cstdint>

namespace sessions::signing {

/// Binary subtype that marks a big integer's decimal digits ('P' for Python).
inline constexpr std::uint64_t python_int_subtype = 0x50;

/// Python's default limit on the digits of an int converted from or to text (3.11+,
/// sys.get_int_max_str_digits()). Django fails on longer literals; so does the reader by default.
inline constexpr std::size_t python_int_max_str_digits = 4300;

/// Default bound on nesting for reading and writing; deeper data is refused rather than
/// risking the stack.
inline constexpr std::size_t python_json_default_max_depth = 512;

/// What the reader does with bytes >= 0x80 (see the header comment).
enum class NonAsciiInput {
  reject,  ///< DecodeError (default): never silently differ from Django
  latin1,  ///< each byte is the code point of the same value, exactly as Django reads it
  utf8,    ///< valid UTF-8 is kept as is, invalid UTF-8 is a DecodeError
};

struct PythonJsonReadOptions {
  std::size_t max_depth = python_json_default_max_depth;
  NonAsciiInput non_ascii = NonAsciiInput::reject;
  std::size_t max_int_digits = python_int_max_str_digits;
};

}  // namespace sessions::signing
