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

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "../data.hpp"
#include "../errors.hpp"

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

namespace detail {

[[nodiscard]] inline bool is_canonical_int_text(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  if (s.size() > 1 && s.front() == '0') return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Integer literal (already validated as -?(0|[1-9][0-9]*)) to Data.
[[nodiscard]] inline Data int_from_literal(std::string_view text) {
  const bool negative = text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  std::uint64_t m = 0;
  bool fits = true;
  for (const char c : digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (m > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      fits = false;
      break;
    }
    m = m * 10 + d;
  }
  if (fits && !negative) return Data(m);
  if (fits && m <= (std::uint64_t{1} << 63)) {
    // -0 is the integer 0, as in Python.
    return Data(m == 0 ? std::int64_t{0} : -static_cast<std::int64_t>(m - 1) - 1);
  }
  // "-0..." cannot reach here: it fits. Strip nothing else: the literal is canonical already.
  return Data::binary(std::vector<std::uint8_t>(text.begin(), text.end()), python_int_subtype);
}

}  // namespace detail

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
  return value.is_binary() && value.get_binary().has_subtype() && value.get_binary().subtype() == python_int_subtype;
}

/// The decimal text of any integer value (int64, uint64 or big integer); nullopt otherwise.
[[nodiscard]] inline std::optional<std::string> python_int_text(const Data& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (is_python_big_int(value)) {
    const auto& bytes = value.get_binary();
    return std::string(bytes.begin(), bytes.end());
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Writer

namespace detail {

inline constexpr char lower_hex[] = "0123456789abcdef";

inline void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  out += lower_hex[(unit >> 12) & 0xF];
  out += lower_hex[(unit >> 8) & 0xF];
  out += lower_hex[(unit >> 4) & 0xF];
  out += lower_hex[unit & 0xF];
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or nullopt for an
// invalid sequence (overlong, surrogate, beyond U+10FFFF, truncated, stray continuation byte).
[[nodiscard]] inline std::optional<std::uint32_t> next_utf8(std::string_view s, std::size_t& i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  std::uint32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return std::nullopt;
  }
  if (s.size() - i < len) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return std::nullopt;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  i += len;
  return cp;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

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
      const std::optional<std::string> text = is_python_big_int(value) ? python_int_text(value) : std::nullopt;
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

}  // namespace detail

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

namespace detail {

class PythonJsonParser {
 public:
  PythonJsonParser(std::string_view text, const PythonJsonReadOptions& options) : s_(text), opt_(options) {}

  [[nodiscard]] Data parse() {
    skip_ws();
    Data result = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("extra data after the JSON value");
    return result;
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw DecodeError(std::string("invalid JSON: ") + what + " at byte " + std::to_string(pos_));
  }

  [[nodiscard]] bool at_end() const noexcept { return pos_ >= s_.size(); }
  [[nodiscard]] char peek() const noexcept { return s_[pos_]; }

  void skip_ws() noexcept {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  [[nodiscard]] bool consume_literal(std::string_view word) noexcept {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  [[nodiscard]] Data value(std::size_t depth) {
    if (at_end()) fail("expecting a value");
    switch (peek()) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return Data(string());
      case 'n':
        if (consume_literal("null")) return Data(nullptr);
        break;
      case 't':
        if (consume_literal("true")) return Data(true);
        break;
      case 'f':
        if (consume_literal("false")) return Data(false);
        break;
      case 'N':
        if (consume_literal("NaN")) return Data(std::numeric_limits<double>::quiet_NaN());
        break;
      case 'I':
        if (consume_literal("Infinity")) return Data(std::numeric_limits<double>::infinity());
        break;
      case '-':
        if (consume_literal("-Infinity")) return Data(-std::numeric_limits<double>::infinity());
        return number();
      default:
        if (peek() >= '0' && peek() <= '9') return number();
        break;
    }
    fail("expecting a value");
  }

  // Objects and arrays collect their members on a stack shared by the whole parse (members_,
  // elements_) and are built at their closing bracket with exactly the room they need: growing
  // each one member by member cost two or three reallocations per small object, a quarter of
  // the time a 3 KB session took to parse.
  [[nodiscard]] Data object(std::size_t depth) {
    if (depth > opt_.max_depth) fail("nesting deeper than the limit");
    ++pos_;  // '{'
    skip_ws();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return Data::object();
    }
    const std::size_t base = members_.size();
    while (true) {
      if (at_end() || peek() != '"') fail("expecting a property name in double quotes");
      std::string key = string();
      skip_ws();
      if (at_end() || peek() != ':') fail("expecting ':' delimiter");
      ++pos_;
      skip_ws();
      Data member = value(depth);
      members_.emplace_back(std::move(key), std::move(member));
      skip_ws();
      if (at_end()) fail("expecting ',' delimiter");
      if (peek() == '}') {
        ++pos_;
        break;
      }
      if (peek() != ',') fail("expecting ',' delimiter");
      ++pos_;
      skip_ws();
    }
    Data result = Data::object();
    auto& map = result.get_ref<Data::object_t&>();
    map.reserve(members_.size() - base);
    for (std::size_t i = base; i < members_.size(); ++i) {
      // A duplicate key keeps its first position and takes the last value, as in a Python dict.
      auto [at, inserted] = map.emplace(std::move(members_[i].first), std::move(members_[i].second));
      if (!inserted) at->second = std::move(members_[i].second);
    }
    members_.resize(base);
    return result;
  }

  [[nodiscard]] Data array(std::size_t depth) {
    if (depth > opt_.max_depth) fail("nesting deeper than the limit");
    ++pos_;  // '['
    skip_ws();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return Data::array();
    }
    const std::size_t base = elements_.size();
    while (true) {
      Data element = value(depth);
      elements_.push_back(std::move(element));
      skip_ws();
      if (at_end()) fail("expecting ',' delimiter");
      if (peek() == ']') {
        ++pos_;
        break;
      }
      if (peek() != ',') fail("expecting ',' delimiter");
      ++pos_;
      skip_ws();
    }
    Data result = Data::array();
    auto& items = result.get_ref<Data::array_t&>();
    items.reserve(elements_.size() - base);
    for (std::size_t i = base; i < elements_.size(); ++i) items.push_back(std::move(elements_[i]));
    elements_.resize(base);
    return result;
  }

  [[nodiscard]] std::uint32_t hex4() {
    if (s_.size() - pos_ < 4) fail("invalid \\uXXXX escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_++];
      std::uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("invalid \\uXXXX escape");
      }
      v = (v << 4) | d;
    }
    return v;
  }

  // The characters a string copies as they are: printable ASCII but `"` and `\\`.
  [[nodiscard]] static bool is_plain(unsigned char c) noexcept {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  // The end of the run of plain characters from `from`.
  [[nodiscard]] std::size_t plain_run_end(std::size_t from) const noexcept {
    while (from < s_.size() && is_plain(static_cast<unsigned char>(s_[from]))) ++from;
    return from;
  }

  [[nodiscard]] std::string string() {
    ++pos_;  // opening quote
    // Most strings have no escape: copy them in one piece.
    std::size_t run_end = plain_run_end(pos_);
    if (run_end < s_.size() && s_[run_end] == '"') {
      std::string out(s_.substr(pos_, run_end - pos_));
      pos_ = run_end + 1;
      return out;
    }
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("invalid control character in a string");
      if (c >= 0x80) {
        non_ascii(out);
        continue;
      }
      if (c != '\\') {
        run_end = plain_run_end(pos_);
        out.append(s_.substr(pos_, run_end - pos_));
        pos_ = run_end;
        continue;
      }
      ++pos_;
      if (at_end()) fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone UTF-16 surrogate in a \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") fail("lone UTF-16 surrogate in a \\u escape");
            pos_ += 2;
            const std::uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("lone UTF-16 surrogate in a \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("invalid escape");
      }
    }
  }

  // A byte >= 0x80 inside a string, handled as the options say.
  void non_ascii(std::string& out) {
    switch (opt_.non_ascii) {
      case NonAsciiInput::latin1:
        append_utf8(out, static_cast<unsigned char>(s_[pos_]));
        ++pos_;
        return;
      case NonAsciiInput::utf8: {
        const std::size_t start = pos_;
        if (!next_utf8(s_, pos_)) fail("invalid UTF-8");
        out.append(s_.substr(start, pos_ - start));
        return;
      }
      case NonAsciiInput::reject:
      default:
        fail("non-ASCII byte (Django would read it as latin-1)");
    }
  }

  [[nodiscard]] static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

  // Python's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?; an integer when neither the
  // fraction nor the exponent is present.
  [[nodiscard]] Data number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (at_end() || !is_digit(peek())) fail("expecting a value");
    const std::size_t int_start = pos_;
    if (peek() == '0') {
      ++pos_;
    } else {
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    const std::size_t int_end = pos_;
    bool is_float = false;
    std::size_t frac_start = pos_, frac_end = pos_;
    if (pos_ + 1 < s_.size() && peek() == '.' && is_digit(s_[pos_ + 1])) {
      is_float = true;
      ++pos_;
      frac_start = pos_;
      while (!at_end() && is_digit(peek())) ++pos_;
      frac_end = pos_;
    }
    long long exponent = 0;
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      std::size_t p = pos_ + 1;
      bool exp_negative = false;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) exp_negative = s_[p++] == '-';
      if (p < s_.size() && is_digit(s_[p])) {
        is_float = true;
        while (p < s_.size() && is_digit(s_[p])) {
          // Saturate: only the sign and "very large" matter for out-of-range values.
          if (exponent < 1'000'000'000) exponent = exponent * 10 + (s_[p] - '0');
          ++p;
        }
        if (exp_negative) exponent = -exponent;
        pos_ = p;
      }
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (!is_float) {
      if (int_end - int_start > opt_.max_int_digits) fail("integer literal longer than the digit limit");
      return int_from_literal(text);
    }
    double v = 0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::general);
    if (res.ec == std::errc::result_out_of_range) {
      // Python's float() gives +/-inf on overflow and +/-0.0 on underflow; from_chars leaves the
      // value alone, so decide from the position of the first significant digit.
      const std::string_view int_digits = s_.substr(int_start, int_end - int_start);
      const std::string_view frac_digits = s_.substr(frac_start, frac_end - frac_start);
      long long magnitude = 0;  // value ~ 10^(magnitude + exponent - 1)
      if (const auto nz = int_digits.find_first_not_of('0'); nz != std::string_view::npos) {
        magnitude = static_cast<long long>(int_digits.size() - nz);
      } else if (const auto fnz = frac_digits.find_first_not_of('0'); fnz != std::string_view::npos) {
        magnitude = -static_cast<long long>(fnz);
      }
      const bool overflow = magnitude + exponent > 0;
      v = overflow ? std::numeric_limits<double>::infinity() : 0.0;
      if (text.front() == '-') v = -v;
    } else if (res.ec != std::errc{} || res.ptr != text.data() + text.size()) {
      fail("invalid number");
    }
    return Data(v);
  }

  std::string_view s_;
  const PythonJsonReadOptions& opt_;
  std::size_t pos_ = 0;
  // The members and elements of the objects and arrays still open, innermost last.
  std::vector<std::pair<std::string, Data>> members_{};
  std::vector<Data> elements_{};
};

}  // namespace detail

/// Parses `text` as Python's json.loads would (see the header comment for the deliberate
/// refusals). Throws DecodeError for anything it does not accept.
[[nodiscard]] inline Data parse_python_json(std::string_view text, const PythonJsonReadOptions& options = {}) {
  return detail::PythonJsonParser(text, options).parse();
}

}  // namespace sessions::signing
