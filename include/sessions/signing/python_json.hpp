#pragma once
// JSON exactly as Django's JSONSerializer writes and reads it, i.e. as Python's
// `json.dumps(obj, separators=(',', ':'))` (ensure_ascii, allow_nan, insertion order) and
// `json.loads`. Signatures cover these bytes, so "the same data" is not enough: a signed value is
// only interchangeable with Django if every byte matches.
//
// Writing (dump_python_json):
//   - compact: no spaces; objects keep insertion order (Data keeps it, as nlohmann::ordered_json);
//   - strings: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`; other C0 controls and DEL as `\u00XX`;
//     every non-ASCII code point as `\uXXXX` with lowercase hex, non-BMP ones as a UTF-16
//     surrogate pair; `/ < > & '` stay as they are. A string that is not valid UTF-8 is an
//     EncodeError (Python strings cannot hold such bytes).
//   - floats as Python's repr(): the shortest text that reads back to the same double, plain
//     notation when 1e-4 <= |x| < 1e16 (always with a fraction: `1.0`, `-0.0`), otherwise
//     `d[.ddd]e+XX`/`e-XX` with at least two exponent digits (`1e+16`, `1e-05`, `2.5e-07`);
//     NaN and infinities as the bare tokens `NaN`, `Infinity`, `-Infinity`.
//   - integers exactly, including ones beyond 64 bits (see "Big integers").
//
// Reading (parse_python_json) accepts what Python's json.loads accepts: any top-level value,
// whitespace (space, tab, CR, LF only), `NaN`/`Infinity`/`-Infinity`, `\u` escapes in either case
// with surrogate pairs, duplicate keys (the last value wins; the key keeps its first position, as
// in a Python dict), integers of any size up to Python's 4300-digit limit. Beyond Python it
// refuses, with DecodeError:
//   - nesting deeper than max_depth (Python's own limit is its recursion limit, about 1000);
//   - a lone UTF-16 surrogate escape such as "\ud800" (Python keeps it; UTF-8 cannot hold it);
//   - by default, any byte >= 0x80. Django decodes its input as latin-1, so raw UTF-8 bytes in a
//     payload silently become mojibake there ("é" -> "Ã©"); Django itself never writes them.
//     Options: NonAsciiInput::latin1 reproduces Django's reading byte for byte,
//     NonAsciiInput::utf8 takes them as UTF-8 (for hand-written input such as a CLI's stdin).
//
// Big integers. nlohmann stores integers in 64 bits, Python's are unbounded, and Django payloads
// may carry e.g. 18446744073709551617. The reader keeps an integer literal that fits neither
// int64 nor uint64 as an nlohmann *binary* value with subtype `python_int_subtype` whose bytes
// are the literal's ASCII decimal digits (with a leading '-' when negative, no leading zeros).
// JSON text never produces binary values otherwise, so the marker is unambiguous. The writer
// prints those digits back, so such a payload round-trips exactly. Use make_python_int() /
// python_int_text() to create or read one; other serializers see an ordinary binary value.
// In-range integers are stored as nlohmann does: non-negative as number_unsigned, negative as
// number_integer.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../data.hpp"
#include "../errors.hpp"
#include "detail/python_json_parser.hpp"
#include "detail/python_json_text.hpp"
#include "detail/python_json_writer.hpp"
#include "python_json_options.hpp"

namespace sessions::signing {

/// An integer from its decimal text (`-?(0|[1-9][0-9]*)`), of any size: a normal JSON number
/// when it fits int64/uint64, otherwise the big-integer binary value. Throws ValueTypeError for
/// text that is not a canonical decimal integer.
[[nodiscard]] inline Data make_python_int(std::string_view decimal) {
  if (!detail::is_canonical_int_text(decimal) || decimal == "-0") {
    throw ValueTypeError("not a canonical decimal integer");
  }
  return detail::int_from_literal(decimal);
}

/// True iff `value` is a big integer kept as digits (see the header comment).
[[nodiscard]] inline bool is_python_big_int(const Data& value) noexcept {
  return detail::big_int_digits(value).has_value();
}

/// The decimal text of any integer value (int64, uint64 or big integer); nullopt otherwise.
[[nodiscard]] inline std::optional<std::string> python_int_text(const Data& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (const std::optional<std::string_view> digits = detail::big_int_digits(value)) return std::string(*digits);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Appends `value` to `out` exactly as Python's json.dumps(value, separators=(',', ':')) writes
/// it. Throws EncodeError for invalid UTF-8, binary values other than big integers, discarded
/// values, or nesting deeper than `max_depth`.
inline void dump_python_json(const Data& value, std::string& out,
                             std::size_t max_depth = python_json_default_max_depth) {
  detail::append_python_json(out, value, max_depth);
}

/// `value` as Python's json.dumps(value, separators=(',', ':')) text (always ASCII).
[[nodiscard]] inline std::string dump_python_json(const Data& value,
                                                  std::size_t max_depth = python_json_default_max_depth) {
  std::string out;
  dump_python_json(value, out, max_depth);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reader

/// Parses `text` as Python's json.loads would (see the header comment for the deliberate
/// refusals). Throws DecodeError for anything it does not accept.
[[nodiscard]] inline Data parse_python_json(std::string_view text, const PythonJsonReadOptions& options = {}) {
  return detail::PythonJsonParser(text, options).parse();
}

}  // namespace sessions::signing
