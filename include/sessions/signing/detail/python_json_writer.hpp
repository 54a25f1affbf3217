#pragma once
// The Python JSON writer behind dump_python_json() (signing/python_json.hpp): Data to exactly the
// bytes of Python's json.dumps(value, separators=(',', ':')).

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "../../data.hpp"
#include "../../errors.hpp"
#include "../python_json_options.hpp"
#include "python_json_text.hpp"

namespace sessions::signing::detail {

inline void append_python_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // Printable ASCII other than `"` and `\` is written as it is: copy such runs in one piece
    // (most session strings are one such run), and decode only what needs an escape.
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') break;
      ++run;
    }
    if (run != i) {
      out.append(s.substr(i, run - i));
      i = run;
      continue;
    }
    const std::optional<std::uint32_t> decoded = next_utf8(s, i);
    if (!decoded) throw EncodeError("a string in the data is not valid UTF-8");
    const std::uint32_t cp = *decoded;
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      append_u_escape(out, cp);  // C0 controls, DEL and the rest of the BMP
    } else {
      const std::uint32_t v = cp - 0x10000;
      append_u_escape(out, 0xD800 + (v >> 10));
      append_u_escape(out, 0xDC00 + (v & 0x3FF));
    }
  }
  out += '"';
}

/// Appends Python's repr() of a double.
inline void append_python_float(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "NaN";
    return;
  }
  if (std::isinf(x)) {
    out += x < 0 ? "-Infinity" : "Infinity";
    return;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+16", "5e-324", "0e+00".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  std::string_view body = sci;
  const bool negative = !body.empty() && body.front() == '-';
  if (negative) body.remove_prefix(1);
  const std::size_t e_pos = body.find('e');
  const std::string_view mantissa = body.substr(0, e_pos);
  int exponent = 0;
  std::from_chars(body.data() + e_pos + 1 + (body[e_pos + 1] == '+' ? 1 : 0), body.data() + body.size(), exponent);
  std::string digits;
  for (const char c : mantissa) {
    if (c != '.') digits += c;
  }
  // Python's rule: with the value written as 0.DIGITS * 10^decpt, use plain notation when
  // -4 < decpt <= 16, i.e. 1e-4 <= |x| < 1e16.
  const int decpt = exponent + 1;
  const auto n = static_cast<int>(digits.size());
  if (negative) out += '-';
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= n) {
      out += digits;
      out.append(static_cast<std::size_t>(decpt - n), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<std::size_t>(decpt));
      out += '.';
      out.append(digits, static_cast<std::size_t>(decpt), std::string::npos);
    }
    return;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits, 1, std::string::npos);
  }
  const int e = decpt - 1;
  out += e < 0 ? "e-" : "e+";
  const int magnitude = e < 0 ? -e : e;
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
}

inline void append_python_json(std::string& out, const Data& value, std::size_t depth_left) {
  switch (value.type()) {
    case Data::value_t::null:
      out += "null";
      return;
    case Data::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Data::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      return;
    case Data::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      return;
    case Data::value_t::number_float:
      append_python_float(out, value.get<double>());
      return;
    case Data::value_t::string:
      append_python_string(out, value.get_ref<const std::string&>());
      return;
    case Data::value_t::binary: {
      const std::optional<std::string_view> text = big_int_digits(value);
      if (!text || !is_canonical_int_text(*text) || *text == "-0") {
        throw EncodeError("binary values cannot be written as JSON (only big integers, see python_json.hpp)");
      }
      out += *text;
      return;
    }
    case Data::value_t::array: {
      if (depth_left == 0) throw EncodeError("data nests deeper than the JSON depth limit");
      out += '[';
      bool first = true;
      for (const Data& item : value) {
        if (!first) out += ',';
        first = false;
        append_python_json(out, item, depth_left - 1);
      }
      out += ']';
      return;
    }
    case Data::value_t::object: {
      if (depth_left == 0) throw EncodeError("data nests deeper than the JSON depth limit");
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ',';
        first = false;
        append_python_string(out, key);
        out += ':';
        append_python_json(out, item, depth_left - 1);
      }
      out += '}';
      return;
    }
    case Data::value_t::discarded:
    default:
      throw EncodeError("a discarded JSON value cannot be written");
  }
}

}  // namespace sessions::signing::detail
